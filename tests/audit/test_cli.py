from __future__ import annotations

import base64
import hashlib
import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from groupguard.audit import triggers
from groupguard.audit.checkpoints import verify_checkpoint_signature
from groupguard.audit.merkle_proofs import verify_consistency, verify_inclusion
from groupguard.audit.models import AuditLog
from tests.audit.factories import grow_log
from tests.conftest import Cast


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_export_prove_and_verify_with_the_public_key_alone(cast: Cast, tmp_path) -> None:
    grow_log(cast.north, 40)
    out = tmp_path / "log.jsonl"
    run("export", "--practice", "north", "--out", str(out))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["index"] for line in lines] == list(range(len(lines)))
    raw_lines = out.read_text().splitlines()
    for raw, line in zip(raw_lines, lines, strict=True):
        # The entry's exact bytes sit in the line: hash them as a verifier would.
        entry_bytes = raw[raw.index('"entry":') + 8 : raw.rindex(',"leaf_hash"')].encode()
        assert hashlib.sha256(b"\x00" + entry_bytes).hexdigest() == line["leaf_hash"]
    assert lines[-1]["entry"]["action"] == "audit.export"  # the export itself is audited

    checkpoint = json.loads(run("checkpoint", "--practice", "north"))
    key = json.loads(run("pubkey"))
    assert len(base64.b64decode(key["public_key"])) == 32
    assert verify_checkpoint_signature(checkpoint, key["public_key"])
    size = checkpoint["tree_size"]
    root = bytes.fromhex(checkpoint["root_hash"])

    proof = json.loads(
        run("prove", "--practice", "north", "--index", "7", "--tree-size", str(size))
    )
    assert set(proof) == {"leaf_index", "tree_size", "leaf_hash", "audit_path"}
    assert verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        7,
        size,
        [bytes.fromhex(h) for h in proof["audit_path"]],
        root,
    )
    earlier = json.loads(run("checkpoint", "--practice", "north"))  # same size, same root
    assert earlier["root_hash"] == checkpoint["root_hash"]
    grow_log(cast.north, 5)
    later = json.loads(run("checkpoint", "--practice", "north"))
    cons = json.loads(
        run(
            "consistency",
            "--practice",
            "north",
            "--from",
            str(size),
            "--to",
            str(later["tree_size"]),
        )
    )
    assert verify_consistency(
        size,
        later["tree_size"],
        root,
        bytes.fromhex(later["root_hash"]),
        [bytes.fromhex(h) for h in cons["proof"]],
    )
    trusted = tmp_path / "trusted.json"
    trusted.write_text(json.dumps(checkpoint))
    report = json.loads(run("verify", "--practice", "north", "--trusted", str(trusted)))
    assert report["ok"] and report["logs"][0]["checkpoints_checked"] == 4


def test_bad_arguments_are_named(cast: Cast) -> None:
    with pytest.raises(CommandError, match="index must be between"):
        run("prove", "--practice", "north", "--index", "100000")
    with pytest.raises(CommandError, match="no practice"):
        run("checkpoint", "--practice", "nowhere")
    with pytest.raises(CommandError, match="not a base64"):
        run("verify", "--pubkey", "%%%")


def test_verify_without_a_practice_checks_every_log(cast: Cast) -> None:
    report = json.loads(run("verify"))
    assert report["ok"] and len(report["logs"]) >= 2


def test_checkpoint_all_signs_only_logs_that_grew(cast: Cast) -> None:
    first = json.loads(run("checkpoint", "--all"))
    assert {cp["origin"].split("/practice/")[-1] for cp in first} >= {
        str(cast.north.id),
        str(cast.south.id),
    }
    assert json.loads(run("checkpoint", "--all")) == []
    grow_log(cast.north, 1)
    again = json.loads(run("checkpoint", "--all"))
    assert [cp["origin"] for cp in again] == [f"groupguard/practice/{cast.north.id}"]


def store_in_north(cast: Cast, statement: str, params: list[Any]) -> None:
    """Run ``statement`` on north's log with the triggers out of the way, as someone holding
    the database could."""
    log = AuditLog.objects.get(practice=cast.north)
    with triggers.suspended(connection), connection.cursor() as cursor:
        cursor.execute(statement, [*params, log.pk])


def verify_fails(*args: str) -> tuple[str, str]:
    """The one-line error and the stderr of a verify that must exit 1."""
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("audit", "verify", *args, stdout=io.StringIO(), stderr=err)
    assert failed.value.returncode == 1
    message = str(failed.value)
    assert "\n" not in message and "Traceback" not in message
    return message, err.getvalue()


def test_verify_names_a_leaf_stored_as_text_instead_of_crashing(cast: Cast) -> None:
    grow_log(cast.north, 20)
    store_in_north(
        cast, 'UPDATE audit_auditentry SET leaf = %s WHERE "index" = 7 AND log_id = %s', ["x"]
    )
    # PostgreSQL turns the text into bytes on the way in; SQLite keeps it as text.
    expected = {"sqlite": "its leaf is text 'x', not bytes"}.get(
        connection.vendor, "leaf bytes do not match their stored hash"
    )
    for args in (("--practice", "north"), ()):  # one log, and every log
        message, _ = verify_fails(*args)
        assert message == f"log practice/{cast.north.id}: first bad index 7: entry 7: {expected}"


def test_verify_names_a_damaged_log_head_and_still_exits_1(cast: Cast) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite stores text in an integer column")
    store_in_north(cast, "UPDATE audit_auditlog SET size = %s WHERE id = %s", ["lots"])
    for args in (("--practice", "north"), ()):
        message, stderr = verify_fails(*args)
        assert message == (
            f"log practice/{cast.north.id}: "
            "the log's head row is malformed: its size is text 'lots', not a whole number"
        )
        # No entry can be appended to that log, and saying so is not a crash either.
        assert "this verify could not be written to the log" in stderr


def test_verify_refuses_a_trusted_file_that_holds_no_checkpoint(cast: Cast, tmp_path) -> None:
    trusted = tmp_path / "trusted.json"
    trusted.write_text("[1, 2]")
    with pytest.raises(CommandError, match="must hold a JSON object or a list of them"):
        run("verify", "--trusted", str(trusted))
