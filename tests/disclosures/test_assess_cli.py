"""``groupguard assess [FILE]``: the engine's decision as JSON, without Django.

Run as ``python -m groupguard.cli.assess`` in a subprocess and in-process through ``main()``.
Pure Python: these tests need no database.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from groupguard.cli.assess import main
from groupguard.disclosures.engine import RULES_VERSION, evaluate

ROOT = Path(__file__).resolve().parents[2]
FOUNDING = {
    "recipient": "group",
    "jurisdiction": "US-CA",
    "said_in": "outside_session_casual",
    "agreement": "signed_before",
}


def assess(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "groupguard.cli.assess", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def write(tmp_path: Path, content: str) -> str:
    path = tmp_path / "facts.json"
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_it_prints_the_decision_for_a_file_as_one_line_of_json(tmp_path: Path) -> None:
    result = assess(write(tmp_path, json.dumps(FOUNDING)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert json.loads(result.stdout) == evaluate(FOUNDING).as_json()
    assert json.loads(result.stdout)["level"] == "low"
    assert json.loads(result.stdout)["rules_version"] == RULES_VERSION


def test_it_reads_standard_input_without_a_file_or_with_a_dash() -> None:
    facts = {"recipient": "third_party", "third_party": "court"}
    for args in ((), ("-",)):
        result = assess(*args, stdin=json.dumps(facts))
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["level"] == "not_permitted"


def test_it_indents_with_pretty() -> None:
    result = assess("--pretty", stdin=json.dumps(FOUNDING))
    assert result.returncode == 0
    assert result.stdout.startswith('{\n  "level": "low",')
    assert json.loads(result.stdout) == evaluate(FOUNDING).as_json()


def test_invalid_facts_exit_2_naming_the_field_and_its_allowed_values(tmp_path: Path) -> None:
    result = assess(write(tmp_path, '{"recipient": "group", "promise": "sort of"}'))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        'groupguard assess: invalid facts: promise: "sort of" is not allowed; allowed values: '
        "none, implied, express\n"
    )
    missing = assess(stdin='{"agreement": "none"}')
    assert missing.returncode == 2
    assert "recipient is required; allowed values: group, third_party" in missing.stderr


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("{not json", "standard input is not valid JSON"),
        ("[1, 2]", "facts must be a JSON object, not an array"),
        ('{"recipient": "group", "unknown": 1}', "unknown field 'unknown'; allowed fields: "),
    ],
)
def test_unreadable_input_exits_2(stdin: str, message: str) -> None:
    result = assess(stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = assess(str(tmp_path / "nowhere.json"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "nowhere.json" in result.stderr


def test_it_has_help() -> None:
    result = assess("--help")
    assert result.returncode == 0
    assert "usage: groupguard assess" in result.stdout
    assert "not legal advice" in result.stdout


def test_main_runs_in_process_on_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([write(tmp_path, json.dumps(FOUNDING))]) == 0
    assert json.loads(capsys.readouterr().out) == evaluate(FOUNDING).as_json()


def test_main_runs_in_process_on_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    facts = {"recipient": "third_party", "third_party": "potential_victim"}
    facts["danger"] = "threat_to_identifiable_victim"
    stdin = io.TextIOWrapper(io.BytesIO(json.dumps(facts).encode("utf-8")), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main([]) == 0
    assert json.loads(capsys.readouterr().out)["level"] == "high"  # US: check the state


def test_main_returns_2_for_invalid_facts_and_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([write(tmp_path, '{"recipient": "group", "minor": "yes"}')]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "minor: expected true or false" in captured.err
    assert main(["--no-such-option"]) == 2


def test_the_command_does_not_import_django(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps(FOUNDING))
    code = (
        "import sys; from groupguard.cli.assess import main; "
        f"assert main([{path!r}]) == 0; "
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')], "
        "sorted(m for m in sys.modules if m.startswith('django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_console_command_dispatches_before_django(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps(FOUNDING))
    code = (
        "import sys; from groupguard.cli.main import main\n"
        "try:\n"
        f"    main(['groupguard', 'assess', {path!r}])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["level"] == "low"
