"""The detector's judgement beyond its rules: wordings by kind, who said it, the facilitator's
promises and risk flags, and the model file itself.

The sentences here are the team's own, written for these tests (none is a corpus text or an
issue's example); each stands for a kind of wording a facilitator's notes use. Pure Python:
no database.
"""

from __future__ import annotations

import pytest

from groupguard.contacts.detect import describe, detect
from groupguard.contacts.detector import model as detector_model

# (note, the request it makes)
BY_KIND = {
    "clinical charting": [
        ("Client requested that the matter with her landlord remain confidential.", "explicit"),
        ("Pt asked that the overdraft not be processed in group.", "explicit"),
        ("Mbr wants her custody dispute kept out of group discussion.", "explicit"),
    ],
    "quoted speech": [
        ('"Please keep this between the two of us," he said about the layoff.', "explicit"),
        ('"Don\'t bring any of this up on Thursday," she told me.', "explicit"),
        ('"This is strictly confidential, okay?" he said.', "explicit"),
    ],
    "extracted promises and pleading": [
        ("She made me promise not to say a word to the group.", "explicit"),
        ("He pleaded with me not to mention the arrest to anyone in group.", "explicit"),
    ],
    "conditions": [
        ("He asked me not to tell the group about it until he is ready.", "explicit"),
    ],
    "implied": [
        ("She waited until everyone had left before she told me about the pills.", "implied"),
        ("Nobody in the group knows about his second job.", "implied"),
        ("He said he would be mortified if the group found out.", "implied"),
    ],
}
NOT_REQUESTS = [
    "She asked whether what she tells me stays confidential.",
    "We went over the limits of confidentiality in the agreement.",
    "She already told the group about the divorce last week.",
    "He plans to share the news with the group on Monday.",
    "Her husband told her not to tell anyone about the loan.",
    "She didn't ask me to keep anything private.",
    "Confirmed the new session time by text.",
]


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [(kind, text, expected) for kind, pairs in BY_KIND.items() for text, expected in pairs],
)
def test_it_hears_each_kind_of_request(kind: str, text: str, expected: str) -> None:
    detection = detect(text)
    assert detection.request == expected, (kind, detection.as_json())
    assert all(m.speaker == "member" for m in detection.matches)


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_it_does_not_hear_a_request_where_none_was_made(text: str) -> None:
    assert detect(text).request == "none", detect(text).as_json()


def test_a_third_partys_words_are_set_aside_not_taken_as_the_members() -> None:
    detection = detect('Her mother told her, "don\'t tell anyone about the money."')
    assert detection.request == "none"
    assert [m.speaker for m in detection.set_aside] == ["third_party"]


def test_the_facilitators_own_promise_is_a_promise_not_a_request() -> None:
    detection = detect("I told her I would not mention it in group.")
    assert detection.request == "none"
    assert [m.rule for m in detection.promises] == ["promise.facilitator"]
    assert detection.promises[0].speaker == "facilitator"


@pytest.mark.parametrize(
    "text",
    [
        "I assured him it would stay between the two of us.",
        "Told clt it would stay between us.",
        "I told Rosa it could stay between us for now.",
        "I said that it stays between us.",
        'Writer told pt that what was said would be "off the record."',
    ],
)
def test_a_secrecy_phrase_the_facilitator_says_to_the_member_is_a_promise(text: str) -> None:
    detection = detect(text)
    assert detection.request == "none", detection.as_json()
    assert [m.speaker for m in detection.promises] == ["facilitator"]
    assert all(m.speaker == "facilitator" for m in detection.set_aside)


@pytest.mark.parametrize(
    "text",
    [
        "Mia: can you not mention the move on Thursday? / me: sure, not a word",
        'She texted "please keep the DUI out of group" and I wrote back "of course".',
        "Told Noor I'm a locked box about it.",
        "Agreed to hold off on raising it in group until after her hearing.",
    ],
)
def test_the_facilitators_agreeing_reply_and_charted_promises_are_promises(text: str) -> None:
    detection = detect(text)
    assert [m.speaker for m in detection.promises] == ["facilitator"], detection.as_json()


@pytest.mark.parametrize(
    "text",
    [
        # No rule phrase: the model hears the promise, in a sentence the facilitator speaks
        # (the sentence is read whole, whatever word weighed most).
        "Writer assured pt that writer would not be the one to bring it to group.",
        "Later that evening I gave her my word that none of it would reach the circle.",
    ],
)
def test_the_model_hears_a_promise_in_the_facilitators_own_sentence(text: str) -> None:
    detection = detect(text)
    assert [m.speaker for m in detection.promises] == ["facilitator"], detection.as_json()


@pytest.mark.parametrize(
    "text",
    [
        "I told him I can't be a vault for things the group needs to hear.",
        "I said I wouldn't keep it from the group and offered her a referral.",
        "Writer explained it doesn't work that way in this group.",
    ],
)
def test_the_facilitator_declining_to_keep_a_secret_is_no_promise(text: str) -> None:
    assert detect(text).promises == (), detect(text).as_json()


@pytest.mark.parametrize(
    "text",
    [
        "me: ok, see you on Thursday",
        "He asked how group went. me: ok, it went well.",
    ],
)
def test_a_reply_that_answers_no_request_is_no_promise(text: str) -> None:
    assert detect(text).promises == (), detect(text).as_json()


@pytest.mark.parametrize(
    "text",
    [
        "I did not tell her it would stay between us.",
        "She told me to keep it between us.",
        'He said "off the record, right?" as he left.',
    ],
)
def test_the_facilitators_frame_needs_the_facilitator_saying_it(text: str) -> None:
    assert detect(text).promises == (), detect(text).as_json()


def test_a_request_and_the_promise_that_answered_it_are_both_found() -> None:
    detection = detect("She asked me not to tell the group. I agreed not to bring it up.")
    assert detection.request == "explicit"
    assert detection.promises and detection.promises[0].start > detection.matches[0].end


def test_refusing_to_promise_is_not_a_promise() -> None:
    assert detect("I told him I could not promise to keep it from the group.").promises == ()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("He said he is going to hurt his neighbour if the noise goes on.", "threat"),
        ("Endorses passive SI, no plan.", "suicide"),
        ("She has been cutting her forearms again this week.", "self_harm"),
        ("He admitted he hit his daughter with a belt.", "child_abuse"),
        ("Her brother has been taking money from their elderly father's account.", "elder_abuse"),
        ("The aide at the group home slapped her disabled son.", "dependent_adult_abuse"),
        ("Reports drinking again after six months sober.", "substance_use"),
    ],
)
def test_it_flags_risk_with_its_span(text: str, kind: str) -> None:
    detection = detect(text)
    assert kind in detection.risks, detection.as_json()
    flag = next(f for f in detection.flags if f.kind == kind)
    assert text[flag.start : flag.end] == flag.text and flag.text
    level, explanation = describe(flag.rule) or ("", "")
    assert level == "risk" and explanation


@pytest.mark.parametrize(
    "text",
    [
        "Client denies SI/HI today.",
        "This commute is killing me, she joked.",
        "He celebrated two years sober on Sunday.",
    ],
)
def test_ruled_out_risk_and_idioms_raise_no_flag(text: str) -> None:
    assert detect(text).flags == (), detect(text).as_json()


def test_a_risk_in_a_request_is_both_a_request_and_a_flag() -> None:
    detection = detect("Please don't tell the group that I've been using meth again.")
    assert detection.request == "explicit"
    assert "substance_use" in detection.risks


def test_a_model_finding_names_the_words_that_carried_it() -> None:
    detection = detect("Pt would prefer that the bankruptcy stay out of group for now.")
    model_matches = [m for m in detection.matches if m.rule.startswith("model.")]
    assert model_matches, detection.as_json()
    assert model_matches[0].words and all(
        w in model_matches[0].text.lower() for w in model_matches[0].words
    )


def test_the_stored_record_carries_no_words_of_the_note() -> None:
    text = "She asked me not to tell the group about the DUI. She drank again."
    record = detect(text).as_record()
    assert record["model"].startswith("rules-") and "+gg-detector-" in record["model"]
    flat = repr(record)
    assert "DUI" not in flat and "drank" not in flat
    assert record["matches"] and record["flags"]


def test_the_risk_word_checks_never_hide_a_flag() -> None:
    """``_NEEDS`` only skips work: a risk pattern never matches a note without its words."""
    from bench.detect import generate
    from groupguard.contacts.detector import risk

    texts = [t for _, t in generate(300)] + [
        "Endorses passive SI, no plan.",
        "He admitted he hit his daughter with a belt.",
        "The aide at the group home slapped her disabled son.",
        "Positive UDS for fentanyl; reports he relapsed Friday.",
    ]
    for text in texts:
        lowered = text.lower()
        for kind, pattern in risk.patterns().items():
            if pattern.search(lowered):
                assert any(p in lowered for p in risk._NEEDS[kind]), (kind, text)


@pytest.mark.parametrize(
    "text",
    [
        "she didn't ask me to keep it private, not at all",
        "pls dont tell the grp about the DUI ok",
        "Pt requested that the matter remain confidential.",
    ],
)
def test_the_model_reads_the_features_the_trainer_counted(text: str) -> None:
    """Inference sums cached rows by word and word tuple; training counts
    ``features.unit_features``. Both must see the same features, each as often."""
    from groupguard.contacts.detector.features import NORMALISE, tokens, unit_features

    model = detector_model.load()
    words = tokens(text.translate(NORMALISE).lower())
    features = unit_features(words)
    rows = [model._row(f) for f in features]
    expected = [sum(r[i] for r in rows if r is not None) for i in range(model.k)]
    assert model.vector(words) == [*expected, len(features)]


def test_the_model_file_reads_back_what_was_written() -> None:
    shipped = detector_model.load()
    data = detector_model.MODEL_PATH.read_bytes()
    again = detector_model.read(data)
    assert again.version == shipped.version and again.k == shipped.k
    assert len(data) < 5_000_000  # a few MB at most: it ships in the package
    with pytest.raises(ValueError, match="bad magic"):
        detector_model.read(b"XXXX" + data[4:])
    with pytest.raises(ValueError, match="trailing or missing"):
        detector_model.read(data + b"\0")


def test_the_test_notes_repeat_no_sentence_of_the_training_families() -> None:
    from groupguard.contacts.detector.features import segments
    from tools import detector_corpus as corpus

    families = corpus.load()
    taught = corpus.sentences_of(families, "train") | corpus.sentences_of(families, "dev")
    keys = {n.source for n in corpus.notes(families, "test")}
    assert keys and all(keys)
    for key in keys:
        for start, end in segments(key):
            sentence = " ".join(key[start:end].lower().split())
            assert len(sentence.split()) < 3 or sentence not in taught, sentence


def test_a_sentence_is_also_read_as_its_word_classes() -> None:
    """Synonyms share a class, so "pleaded ... not to raise ... with the others" and "asked
    ... not to tell ... the group" give the model the same class sequence."""
    from groupguard.contacts.detector.classes import class_sequence
    from groupguard.contacts.detector.features import NORMALISE, tokens

    def read(text: str) -> list[str]:
        return class_sequence(tokens(text.translate(NORMALISE).lower()))

    request = ["ASK", "I", "NEG", "REVEAL", "GROUP"]
    assert read("Pt pleaded with writer not to raise it with the others.") == request
    assert read("Client begged me not to mention it to anyone.") == request
    assert read("She asked me, twice, not to bring it up in group.") == [
        "THEY", "ASK", "I", "NEG", "REVEAL", "UP", "GROUP"
    ]  # fmt: skip


def test_a_word_in_two_classes_is_refused() -> None:
    from groupguard.contacts.detector.classes import _classes

    with pytest.raises(ValueError, match="'keep' is in two classes: KEEP and HIDE"):
        _classes(KEEP="keep hold", HIDE="hide keep")
