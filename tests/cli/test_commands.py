from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from groupguard.accounts.models import User
from groupguard.cli.main import main as cli_main
from groupguard.contacts.models import Contact
from groupguard.practice.models import Member
from tests.conftest import Cast


def run(*args: str, stdin: str | None = None, monkeypatch=None) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_groups_lists_json(cast: Cast) -> None:
    data = json.loads(run("groups", "--practice", "north"))
    assert [g["name"] for g in data] == ["Monday Group", "Thursday Group"]
    thursday = data[1]
    assert thursday["id"] == str(cast.thursday.id)
    assert {f["username"]: f["role"] for f in thursday["facilitators"]} == {
        "bob": "lead",
        "carol": "co",
    }


def test_members_lists_json(cast: Cast) -> None:
    data = json.loads(run("members", "--practice", "north"))
    names = [m["name"] for m in data]
    assert names == sorted(names, key=str.casefold)
    mia = next(m for m in data if m["id"] == str(cast.mia.id))
    assert mia["groups"][0]["name"] == "Thursday Group"


def test_an_unknown_practice_is_named(cast: Cast) -> None:
    with pytest.raises(CommandError, match="no practice with slug 'nope'.*north"):
        run("groups", "--practice", "nope")


def test_createuser_reads_the_password_from_a_file(cast: Cast, tmp_path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("a-long-enough-passphrase\n")
    data = json.loads(
        run(
            "createuser",
            "--practice",
            "north",
            "--username",
            "erin",
            "--password-file",
            str(secret),
            "--license-type",
            "MFT",
            "--ethics-code",
            "AAMFT",
        )
    )
    user = User.objects.get(pk=data["id"])
    assert user.check_password("a-long-enough-passphrase")
    assert user.practitioner.ethics_code == "AAMFT"


def test_createuser_refuses_a_weak_password(cast: Cast, tmp_path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("short\n")
    with pytest.raises(CommandError, match="password"):
        run(
            "createuser",
            "--practice",
            "north",
            "--username",
            "erin",
            "--password-file",
            str(secret),
        )
    assert not User.objects.filter(username="erin").exists()


def test_createpractice_names_the_bad_field(db) -> None:
    with pytest.raises(CommandError, match="jurisdiction"):
        run("createpractice", "--name", "X", "--slug", "x", "--jurisdiction", "California")


@pytest.mark.django_db(transaction=True)
def test_demo_builds_refuses_and_resets() -> None:
    output = run("demo")
    assert "ada" in output and "demo-password-2026" in output
    assert Member.objects.count() == 20
    assert Member.objects.filter(is_minor=True).count() == 1
    assert Contact.objects.count() == 8
    with pytest.raises(CommandError, match="already exists"):
        run("demo")
    run("demo", "--reset", "--quiet")
    assert Member.objects.count() == 20
    assert Contact.objects.count() == 8


def test_the_console_command_prints_its_commands(capsys) -> None:
    cli_main(["groupguard", "--help"])
    out = capsys.readouterr().out
    for name in ("serve", "demo", "createuser", "groups", "members"):
        assert name in out


def test_resetuser_sets_a_temporary_password_from_a_file(cast: Cast, tmp_path) -> None:
    from groupguard.audit.models import AuditEntry
    from groupguard.lockout.actions import record_failure
    from groupguard.lockout.selectors import lockout_for
    from tests.support import authenticator_for

    authenticator_for(cast.alice)
    for _ in range(20):
        record_failure(username="alice", client="198.51.100.7")
    assert lockout_for(username="alice", client=None) is not None
    secret = tmp_path / "pw"
    secret.write_text("an-operator-chosen-passphrase\n")
    data = json.loads(
        run(
            "resetuser",
            "--practice",
            "north",
            "--username",
            "Alice",
            "--password-file",
            str(secret),
        )
    )
    assert data == {
        "id": cast.alice.pk,
        "username": "alice",
        "must_change_password": True,
        "second_step_reset": False,
        "sessions_ended": 0,
        "lockout_failures_cleared": 20,
    }
    cast.alice.refresh_from_db()
    assert cast.alice.check_password("an-operator-chosen-passphrase")
    assert cast.alice.must_change_password
    assert lockout_for(username="alice", client=None) is None
    from groupguard.accounts.mfa import has_authenticator

    assert has_authenticator(cast.alice)
    entry = AuditEntry.objects.get(action="auth.password_reset")
    leaf = json.loads(bytes(entry.leaf))
    assert entry.severity == "high" and leaf["actor"] == {"kind": "system", "id": None}
    assert leaf["detail"]["via"] == "cli" and leaf["detail"]["generated"] is False
    assert "an-operator-chosen-passphrase" not in bytes(entry.leaf).decode()


def test_resetuser_with_mfa_also_removes_the_authenticator(cast: Cast, monkeypatch) -> None:
    from groupguard.accounts.mfa import has_authenticator
    from tests.support import authenticator_for

    authenticator_for(cast.alice)
    monkeypatch.setattr("sys.stdin", io.StringIO("read-from-standard-input\n"))
    data = json.loads(run("resetuser", "--practice", "north", "--username", "alice", "--mfa"))
    assert data["second_step_reset"] is True
    assert not has_authenticator(cast.alice)
    cast.alice.refresh_from_db()
    assert cast.alice.check_password("read-from-standard-input")


def test_resetuser_refuses_a_weak_password_and_an_unknown_user(cast: Cast, tmp_path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("woodpecker21\n")
    with pytest.raises(CommandError, match="breach"):
        run(
            "resetuser",
            "--practice",
            "north",
            "--username",
            "alice",
            "--password-file",
            str(secret),
        )
    with pytest.raises(CommandError, match="no active user 'oscar' in practice 'north'"):
        run(
            "resetuser",
            "--practice",
            "north",
            "--username",
            "oscar",
            "--password-file",
            str(secret),
        )
    cast.alice.refresh_from_db()
    assert not cast.alice.must_change_password
