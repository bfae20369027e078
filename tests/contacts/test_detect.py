"""The confidentiality-request detector and ``groupguard detect``.

Pure Python: these tests need no database.
"""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from groupguard.contacts.detect import (
    RULES,
    RULES_BY_ID,
    Detection,
    UnsupportedLanguage,
    detect,
)

ROOT = Path(__file__).resolve().parents[2]

EXPLICIT = [
    ("Please don't tell the group.", "explicit.dont-tell"),
    ("pls dont tell the group", "explicit.dont-tell"),
    ("Don't bring this up in group, okay?", "explicit.dont-tell"),
    ("Can you not tell the group about my relapse?", "explicit.dont-tell"),
    ("You won't tell the others, will you?", "explicit.dont-tell"),
    ("She asked me not to tell the others.", "explicit.asked-not-to-tell"),
    ("He begged me not to mention it in group.", "explicit.asked-not-to-tell"),
    ("She asked that I not mention it in group.", "explicit.asked-not-to-tell"),
    ("She said I shouldn't tell the group.", "explicit.asked-not-to-tell"),
    ("She doesn't want me to tell the group.", "explicit.asked-not-to-tell"),
    ("I'd rather you didn't mention it to the others.", "explicit.asked-not-to-tell"),
    ("Promise you won't?", "explicit.promise-not-to-tell"),
    ("Promise you won't tell anyone.", "explicit.promise-not-to-tell"),
    ("She made me promise not to tell.", "explicit.promise-not-to-tell"),
    ("She swore me to secrecy.", "explicit.promise-not-to-tell"),
    ("He begged me to keep it from the group.", "explicit.keep-between-us"),
    ("Let's keep this between us.", "explicit.keep-between-us"),
    ("Could you keep this to yourself?", "explicit.keep-between-us"),
    ("Keep this off the record please.", "explicit.keep-between-us"),
    ("I need you to keep this quiet.", "explicit.keep-between-us"),
    ("Could we keep this one between the two of us?", "explicit.keep-between-us"),
    ("She asked me to keep it confidential.", "explicit.keep-secret"),
    ("She asked if I could keep it private.", "explicit.keep-secret"),
    ("Please keep my diagnosis private.", "explicit.keep-secret"),
    ("He said: keep it secret.", "explicit.keep-secret"),
    ("This stays between us.", "explicit.stays-between-us"),
    ("Can this stay here?", "explicit.stays-between-us"),
    ("This is just between us, okay?", "explicit.stays-between-us"),
    ("This doesn't leave this room.", "explicit.stays-between-us"),
    ("This has to stay confidential.", "explicit.stays-confidential"),
    ("Just between you and me, I relapsed.", "explicit.between-you-and-me"),
    ("Off the record, I used again.", "explicit.off-the-record"),
    ("She told me in confidence that she relapsed.", "explicit.in-confidence"),
    ("Don't let the others find out.", "explicit.dont-let-them-know"),
    ("Make sure nobody in group finds out.", "explicit.dont-let-them-know"),
    # "to keep" after a request, and "whether I could keep", are requests, not a habit or a
    # question about the policy (the vetoes' exceptions).
    ("The client asked this writer to keep the loan from the group.", "explicit.keep-between-us"),
    ("Can I trust you to keep quiet about it?", "explicit.keep-between-us"),
    ("He wondered whether I could keep the eviction out of group.", "explicit.keep-between-us"),
]

IMPLIED = [
    ("Nobody in the group knows.", "implied.nobody-knows"),
    ("No one else knows about the affair.", "implied.nobody-knows"),
    ("The group doesn't know yet.", "implied.nobody-knows"),
    ("None of the others know about it.", "implied.nobody-knows"),
    ("I haven't told the group.", "implied.not-told-group"),
    ("She has never told anyone in group about the affair.", "implied.not-told-group"),
    ("I waited until everyone left.", "implied.waited-until-alone"),
    ("She hung back until the others had gone.", "implied.waited-until-alone"),
    ("She waited until we were alone.", "implied.waited-until-alone"),
    ("She didn't want to say it in front of the group.", "implied.not-in-front-of-group"),
    ("She wasn't ready to share it with the group.", "implied.not-in-front-of-group"),
    ("He couldn't bring himself to say it in front of everyone.", "implied.not-in-front-of-group"),
    ("The others can't find out.", "implied.others-cant-find-out"),
    ("If the group ever found out I'd leave.", "implied.others-cant-find-out"),
    ("I don't want the group to know.", "implied.dont-want-them-to-know"),
    ("I'd be mortified if they knew.", "implied.fear-of-them-knowing"),
    ("She's terrified the others will find out.", "implied.fear-of-them-knowing"),
    (
        "She texted me privately because she didn't want the group to see.",
        "implied.private-channel",
    ),
    ("He asked to speak to me alone after group.", "implied.private-channel"),
]

INNOCENT: list[Any] = [
    # Secrecy and confidentiality mentioned, nothing asked.
    "We talked about confidentiality in group.",
    "She said it's fine to share this with the group.",
    "I told her nothing is secret in group.",
    "I reminded him of the no-secrets policy he signed.",
    "He asked what the limits of confidentiality are.",
    "He said the group is confidential and that helps him.",
    "I explained that what members tell me outside group can come up in group.",
    # A question about the group's policy is not a request (see the module docstring).
    "He asked whether the group keeps things confidential.",
    "He asked whether the group would keep it confidential.",
    "Does what I say here stay confidential?",
    # Negated requests and habits.
    "She didn't ask me to keep it private.",
    "She doesn't need me to keep it between us anymore.",
    "I told her I couldn't promise not to tell the group.",
    "I explained that I can't keep things between us.",
    "I don't tell anyone my plans, she joked.",
    "It's hard to keep this private in a small town, she said.",
    "We keep notes private and locked.",
    "I would keep it to myself if I were her, he said.",
    "She asked if the others could keep it quiet outside group.",
    "He keeps his feelings to himself in group.",
    # Permission and plans to share.
    "She is happy for me to bring it up in group.",
    "She doesn't mind if I mention it to the others.",
    "She plans to tell the group about her diagnosis next week.",
    "He wants me to tell the group he's sorry.",
    # Near misses.
    "Nobody knows why the session ran late.",
    "She didn't say much in group today.",
    "Everyone left early because of the storm.",
    "She was embarrassed when she arrived late.",
    "She called me because her ride cancelled.",
    "She asked me to keep an eye on her progress.",
    "I asked her to keep a mood diary.",
    "She has confidence in the group.",
    "Keep up the good work, I told him.",
]


def spans(detection: Detection) -> list[tuple[str, str]]:
    return [(m.rule, m.text) for m in detection.matches]


@pytest.mark.parametrize(("text", "rule"), EXPLICIT)
def test_it_finds_explicit_requests(text: str, rule: str) -> None:
    detection = detect(text)
    assert detection.request == "explicit", spans(detection)
    assert rule in [m.rule for m in detection.matches], spans(detection)


@pytest.mark.parametrize(("text", "rule"), IMPLIED)
def test_it_finds_implied_requests(text: str, rule: str) -> None:
    detection = detect(text)
    assert detection.request == "implied", spans(detection)
    assert [m.rule for m in detection.matches] == [rule]


@pytest.mark.parametrize("text", INNOCENT)
def test_it_leaves_innocent_notes_alone(text: str) -> None:
    detection = detect(text)
    assert detection.request == "none", spans(detection)
    assert detection.matches == ()


def test_every_rule_matches_its_own_examples() -> None:
    for rules in RULES.values():
        for rule in rules:
            assert rule.examples, rule.id
            for example in rule.examples:
                assert rule.id in [m.rule for m in detect(example, rule.language).matches], (
                    rule.id,
                    example,
                )


def test_rules_are_data_with_unique_ids_and_explanations() -> None:
    rules = [rule for rules in RULES.values() for rule in rules]
    assert len(RULES_BY_ID) == len(rules)
    for rule in rules:
        assert rule.id.startswith(f"{rule.level}."), rule.id
        assert rule.explanation and "\n" not in rule.explanation
        assert rule.language in RULES
        assert rule.pattern.pattern == rule.source


def test_reported_speech_of_the_member_asking_is_explicit() -> None:
    detection = detect(
        "She asked me not to tell the others, and he begged me to keep it from the group."
    )
    assert detection.request == "explicit"
    assert spans(detection) == [
        ("explicit.asked-not-to-tell", "asked me not to tell the others"),
        ("explicit.keep-between-us", "begged me to keep it from the group"),
    ]


def test_it_reports_several_matches_with_offsets_into_the_original() -> None:
    text = (
        "Mia stayed after group. She asked me not to tell the others about the relapse. "
        "Nobody in the group knows, and she waited until everyone left. "
        "I reminded her of the no-secrets policy."
    )
    detection = detect(text)
    assert detection.request == "explicit"
    assert spans(detection) == [
        ("explicit.asked-not-to-tell", "asked me not to tell the others"),
        ("implied.nobody-knows", "Nobody in the group knows"),
        ("implied.waited-until-alone", "waited until everyone left"),
    ]
    for match in detection.matches:
        assert text[match.start : match.end] == match.text
    starts = [m.start for m in detection.matches]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in pairwise(detection.matches))


def test_explicit_wins_over_an_overlapping_implied_match() -> None:
    # Both explicit.dont-tell and implied.not-in-front-of-group match the same words.
    text = "Never mention it in front of the group."
    assert "implied.not-in-front-of-group" in [
        m.rule for m in detect("She would never mention it in front of the group.").matches
    ]
    assert spans(detect(text)) == [("explicit.dont-tell", "Never mention it in front of the group")]


def test_the_longer_of_two_overlapping_matches_wins() -> None:
    detection = detect("Can we keep this just between you and me?")
    assert spans(detection) == [
        ("explicit.keep-between-us", "Can we keep this just between you and me")
    ]


def test_curly_quotes_are_read_and_offsets_still_index_the_original() -> None:
    text = "\u201cPlease don\u2019t tell the group,\u201d she said \u2014 it\u2019s private."
    detection = detect(text)
    assert spans(detection) == [("explicit.dont-tell", "Please don\u2019t tell the group")]
    match = detection.matches[0]
    assert text[match.start : match.end] == match.text
    assert match.start == 1


def test_it_is_case_insensitive_and_survives_text_whose_lower_case_is_longer() -> None:
    assert detect("PLEASE DON'T TELL THE GROUP").request == "explicit"
    # "İ" lower-cases to two characters: the detector falls back to case-insensitive patterns.
    text = "İstanbul trip. Please don't tell the group."
    detection = detect(text)
    assert spans(detection) == [("explicit.dont-tell", "Please don't tell the group")]
    assert (
        text[detection.matches[0].start : detection.matches[0].end] == "Please don't tell the group"
    )


def test_empty_and_blank_texts_are_none() -> None:
    for text in ("", "   ", "\n"):
        found = detect(text).as_json()
        assert (found["request"], found["matches"], found["flags"]) == ("none", [], [])


def test_a_very_long_note_is_scanned_quickly_and_completely() -> None:
    filler = "She talked about her week and the group schedule, and we agreed on next steps. "
    text = filler * 2000 + "Please don't tell the group." + filler * 2000
    detection = detect(text)
    assert spans(detection) == [("explicit.dont-tell", "Please don't tell the group")]
    assert detection.matches[0].start == len(filler) * 2000


def test_as_json_is_the_cli_shape() -> None:
    found = detect("This stays between us.").as_json()
    assert set(found) == {"request", "matches", "set_aside", "promises", "flags", "scores", "model"}
    assert found["request"] == "explicit"
    assert found["matches"] == [
        {
            "start": 0,
            "end": 21,
            "text": "This stays between us",
            "rule": "explicit.stays-between-us",
            "level": "explicit",
            "speaker": "member",
        }
    ]
    assert (found["set_aside"], found["promises"], found["flags"]) == ([], [], [])
    assert found["model"] == detect("").model


def test_an_unsupported_language_is_refused() -> None:
    with pytest.raises(UnsupportedLanguage, match="unsupported language 'fr'; supported: en"):
        detect("Ne le dis pas au groupe.", "fr")


def test_the_word_checks_never_hide_a_match() -> None:
    """``needs`` only skips work: with it ignored the answers are the same."""
    from bench.detect import generate
    from groupguard.contacts.detector import features as module

    innocent = [t if isinstance(t, str) else str(t.values[0]) for t in INNOCENT]
    texts = [t for t, _ in EXPLICIT + IMPLIED] + innocent + [t for _, t in generate(300)]
    for text in texts:
        scan = text.translate(module.NORMALISE).lower()
        for rule in RULES["en"]:
            if any(rule.pattern.finditer(scan)):
                assert all(any(w in scan for w in words) for words in rule.needs), (rule.id, text)


# --- the command ---------------------------------------------------------------------------


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    code = f"from groupguard.cli.detect import main; raise SystemExit(main({list(args)!r}))"
    return subprocess.run(
        [sys.executable, "-c", code],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_the_command_prints_one_line_of_json() -> None:
    result = cli("Mia said: please don\u2019t tell the group.")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert "\u2019" in result.stdout  # ensure_ascii=False
    found = json.loads(result.stdout)
    assert found["request"] == "explicit"
    assert found["matches"] == [
        {
            "start": 10,
            "end": 37,
            "text": "please don\u2019t tell the group",
            "rule": "explicit.dont-tell",
            "level": "explicit",
            "speaker": "member",
        }
    ]


def test_the_command_reads_standard_input_without_text() -> None:
    result = cli(stdin="I waited until everyone left.\n")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["request"] == "implied"
    assert [(m["start"], m["end"], m["rule"]) for m in found["matches"]] == [
        (2, 28, "implied.waited-until-alone")
    ]
    nothing = json.loads(cli("-", stdin="Nothing to see.").stdout)
    assert (nothing["request"], nothing["matches"]) == ("none", [])


def test_the_command_refuses_an_unsupported_language_with_status_2() -> None:
    result = cli("--language", "fr", "Ne le dis pas au groupe.")
    assert result.returncode == 2
    assert "unsupported language 'fr' (supported: en)" in result.stderr
    assert result.stdout == ""


def test_the_command_has_help() -> None:
    result = cli("--help")
    assert result.returncode == 0
    assert "usage: groupguard detect" in result.stdout
    assert "--language" in result.stdout


def test_the_command_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "groupguard.cli.detect", "--language", "en", "Can this stay here?"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout)["request"] == "explicit"


def test_the_command_does_not_import_django() -> None:
    code = (
        "import sys; from groupguard.cli.detect import main; "
        "main(['Please keep this between us.']); "
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], "
        "sorted(m for m in sys.modules if m.startswith('django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
