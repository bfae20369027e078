"""proofs.json and manifest.json, and the offline check of a whole packet folder.

The packets here are synthetic (a small packet.json citing a few entries), but every audit
entry, checkpoint, proof and signature is the real thing, made through ``audit.log.record``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.db import connection, transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from groupguard.audit import triggers
from groupguard.audit.checkpoints import make_checkpoint, public_key_info, raw_public_key
from groupguard.audit.jcs import canonicalize
from groupguard.audit.log import SYSTEM, log_for, record
from groupguard.audit.merkle import leaf_hash
from groupguard.audit.merkle_proofs import verify_inclusion
from groupguard.audit.models import AuditEntry, AuditLog, Checkpoint
from groupguard.audit.selectors import prove_inclusion
from groupguard.evidence.proofs import build_proofs, sign_manifest
from groupguard.evidence.verify import main, read_public_key, verify_packet
from tests.audit.factories import grow_log
from tests.conftest import Cast

ROOT = Path(__file__).resolve().parents[2]
FILES = ("packet.pdf", "packet.json", "fhir.json", "proofs.json", "manifest.json")
AGREEMENT = b"We keep what is said in group inside the group."
AGREEMENT_SHA256 = hashlib.sha256(AGREEMENT).hexdigest()


@dataclass
class Packet:
    folder: Path
    log: AuditLog
    checkpoint: Checkpoint
    content: dict[str, Any]
    signed: int  # the entry whose detail carries the agreement's sha256
    viewed: int
    key: str  # the audit public key, base64

    def verify(self, key: str | None = "given") -> Any:
        return verify_packet(self.folder, self.key if key == "given" else key)


def dump(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8")


def write_packet(
    folder: Path,
    log: AuditLog,
    checkpoint: Checkpoint,
    content: dict[str, Any],
    *,
    proved: list[int] | None = None,
    unlisted: tuple[str, ...] = (),
) -> None:
    """Write the five files as the packet builder would; ``unlisted`` files miss the manifest."""
    folder.mkdir(exist_ok=True)
    indexes = content["audit"]["entries"] if proved is None else proved
    files = {
        "packet.pdf": b"%PDF-1.7\n% a stand-in for the rendered packet\n%%EOF\n",
        "packet.json": dump(content),
        "fhir.json": b"{}",
        "proofs.json": dump(build_proofs(log, checkpoint, indexes)),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    listed = {name: data for name, data in files.items() if name not in unlisted}
    (folder / "manifest.json").write_bytes(dump(sign_manifest(listed)))


def entry(cast: Cast, action: str, **detail: Any) -> int:
    with transaction.atomic():
        return record(
            practice_id=cast.north.id,
            actor=SYSTEM,
            action=action,
            object_type="statement",
            object_id="1",
            member_id=cast.mia.id,
            detail=detail,
        )


@pytest.fixture
def packet(cast: Cast, tmp_path: Path) -> Packet:
    signed = entry(cast, "signature.create", sha256=AGREEMENT_SHA256)
    viewed = entry(cast, "member.view")
    other = entry(cast, "statement.view", sha256="0" * 64)
    log = log_for(cast.north.id)
    checkpoint = make_checkpoint(log)
    log.refresh_from_db()
    content = {
        "member": "Mia Zephyrine",
        "audit": {"log": log.name, "entries": [signed, viewed, other]},
        "records": [],
        "timeline": [
            {"kind": "view", "at": "2026-01-02T10:00:00Z", "audit": [viewed]},
            {"kind": "signature", "content_sha256": AGREEMENT_SHA256, "audit": [signed, other]},
        ],
    }
    folder = tmp_path / "packet"
    write_packet(folder, log, checkpoint, content)
    return Packet(folder, log, checkpoint, content, signed, viewed, public_key_info()["public_key"])


def first_failure(report: Any) -> str:
    assert not report.ok, "expected a failure"
    return str(report.failures[0])


# --- proofs.json and manifest.json -----------------------------------------------------------


def test_it_lists_each_cited_entry_once_in_index_order_with_its_exact_leaf(
    packet: Packet,
) -> None:
    wanted = [packet.viewed, packet.signed, packet.viewed, 0]
    proofs = build_proofs(packet.log, packet.checkpoint, wanted)
    assert set(proofs) == {"format", "log", "public_key", "checkpoint", "entries"}
    assert proofs["format"] == "groupguard-proofs/1"
    assert proofs["log"] == packet.log.name
    assert proofs["public_key"] == public_key_info()
    assert proofs["checkpoint"] == packet.checkpoint.as_dict()
    assert [e["index"] for e in proofs["entries"]] == [0, packet.signed, packet.viewed]
    stored = AuditEntry.objects.get(log=packet.log, index=packet.signed)
    item = proofs["entries"][1]
    assert set(item) == {"index", "leaf", "entry", "leaf_hash", "proof"}
    assert base64.b64decode(item["leaf"]) == bytes(stored.leaf)
    assert item["leaf_hash"] == bytes(stored.leaf_hash).hex()
    assert item["entry"]["detail"] == {"sha256": AGREEMENT_SHA256}
    assert canonicalize(item["entry"]) == bytes(stored.leaf)


def test_its_proofs_equal_the_selectors_and_verify(cast: Cast) -> None:
    # 700 entries: stored nodes of 256 and 512 leaves, and a ragged right edge.
    log = grow_log(cast.north, 700 - log_for(cast.north.id).size)
    checkpoint = make_checkpoint(log)
    size = checkpoint.tree_size
    indexes = [0, 1, 255, 256, 511, 512, 600, 640, 698, size - 1]
    proofs = build_proofs(log, checkpoint, indexes)
    root = bytes.fromhex(checkpoint.root_hash)
    for item in proofs["entries"]:
        expected = prove_inclusion(log, item["index"], size)
        assert item["proof"] == expected["audit_path"], item["index"]
        path = [bytes.fromhex(h) for h in item["proof"]]
        leaf = leaf_hash(base64.b64decode(item["leaf"]))
        assert verify_inclusion(leaf, item["index"], size, path, root)


def test_it_reads_storage_in_a_few_queries_however_many_entries_are_cited(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    log = grow_log(cast.north, 700 - log_for(cast.north.id).size)
    checkpoint = make_checkpoint(log)
    # Entries, nodes of two levels, leaf hashes: about one query each.
    with django_assert_max_num_queries(6):
        proofs = build_proofs(log, checkpoint, range(checkpoint.tree_size))
    assert len(proofs["entries"]) == checkpoint.tree_size


def test_it_refuses_an_index_the_checkpoint_does_not_cover(packet: Packet) -> None:
    size = packet.checkpoint.tree_size
    with pytest.raises(ValueError, match=f"audit index {size} is not covered"):
        build_proofs(packet.log, packet.checkpoint, [0, size])
    with pytest.raises(ValueError, match="audit index -1 "):
        build_proofs(packet.log, packet.checkpoint, [-1])


def test_the_manifest_is_sorted_signed_and_deterministic(packet: Packet) -> None:
    files = {"b.json": b"{}", "a.pdf": b"%PDF"}
    manifest = sign_manifest(files)
    assert manifest == sign_manifest(dict(reversed(files.items())))
    assert list(manifest["files"]) == ["a.pdf", "b.json"]
    assert manifest["files"]["a.pdf"] == hashlib.sha256(b"%PDF").hexdigest()
    assert manifest["format"] == "groupguard-manifest/1"
    assert manifest["key_id"] == public_key_info()["key_id"]
    with pytest.raises(ValueError, match="plain file names"):
        sign_manifest({"../packet.pdf": b""})


# --- verify_packet ---------------------------------------------------------------------------


def test_it_verifies_a_packet_built_from_the_log(packet: Packet) -> None:
    report = packet.verify()
    assert report.ok, report.failures
    assert report.warnings == []
    assert report.checked == {
        "files": 4,
        "entries": 3,
        "citations": 6,
        "content_hashes": 1,
        "records": 0,
        "facts": 0,
    }


def test_it_warns_that_the_embedded_key_was_not_independently_checked(packet: Packet) -> None:
    report = packet.verify(key=None)
    assert report.ok, report.failures
    assert len(report.warnings) == 1
    assert "not independently checked" in report.warnings[0]


@pytest.mark.parametrize("name", FILES)
def test_one_changed_byte_in_any_file_fails_naming_that_file(packet: Packet, name: str) -> None:
    path = packet.folder / name
    original = path.read_bytes()
    for at in (0, len(original) // 3, len(original) // 2, len(original) - 1):
        changed = bytearray(original)
        changed[at] ^= 0x01
        path.write_bytes(bytes(changed))
        assert first_failure(packet.verify()).startswith(f"{name}: "), at
    path.write_bytes(original)
    assert packet.verify().ok


@pytest.mark.parametrize("tamper", ["rewrite", "flip"])
def test_an_entry_changed_in_the_database_fails_naming_its_index(
    packet: Packet, tamper: str
) -> None:
    stored = bytes(AuditEntry.objects.get(log=packet.log, index=packet.signed).leaf)
    if tamper == "rewrite":  # still canonical JSON: the attacker re-serialised it
        changed = json.loads(stored)
        changed["detail"]["sha256"] = "f" * 64
        leaf = canonicalize(changed)
    else:
        leaf = stored[:10] + bytes([stored[10] ^ 0x01]) + stored[11:]
    with triggers.suspended(connection, only=["audit_auditentry"]):
        with connection.cursor() as cursor:
            cursor.execute(
                'UPDATE audit_auditentry SET leaf = %s WHERE log_id = %s AND "index" = %s',
                [leaf, packet.log.pk, packet.signed],
            )
    write_packet(packet.folder, packet.log, packet.checkpoint, packet.content)
    report = packet.verify()
    assert first_failure(report).startswith(f"proofs.json: entry {packet.signed}: ")
    proofs_failures = [f for f in report.failures if f.startswith("proofs.json: ")]
    assert all(f.startswith(f"proofs.json: entry {packet.signed}: ") for f in proofs_failures)
    assert (
        f"packet.json: timeline[1].audit cites audit entry {packet.signed}, whose proof failed"
        in report.failures
    )


def test_a_key_that_did_not_sign_the_packet_fails(packet: Packet) -> None:
    stranger = raw_public_key(Ed25519PrivateKey.generate().public_key())
    report = packet.verify(base64.b64encode(stranger).decode())
    assert first_failure(report).startswith("manifest.json: signed with key ")
    assert any(f.startswith("proofs.json: checkpoint signed with key ") for f in report.failures)


def test_a_packet_re_signed_with_another_key_fails_even_on_its_own_embedded_key(
    packet: Packet,
) -> None:
    forger = Ed25519PrivateKey.generate()
    raw = raw_public_key(forger.public_key())
    key_id = hashlib.sha256(raw).hexdigest()[:16]
    proofs = json.loads((packet.folder / "proofs.json").read_bytes())
    proofs["public_key"] = {"key_id": key_id, "public_key": base64.b64encode(raw).decode()}
    (packet.folder / "proofs.json").write_bytes(dump(proofs))
    files = {n: (packet.folder / n).read_bytes() for n in FILES if n != "manifest.json"}
    body = {
        "format": "groupguard-manifest/1",
        "files": {n: hashlib.sha256(d).hexdigest() for n, d in sorted(files.items())},
        "key_id": key_id,
    }
    manifest = {**body, "signature": base64.b64encode(forger.sign(canonicalize(body))).decode()}
    (packet.folder / "manifest.json").write_bytes(dump(manifest))
    report = packet.verify(key=None)
    assert first_failure(report).startswith("proofs.json: checkpoint signed with key ")
    assert first_failure(packet.verify()).startswith("manifest.json: signed with key ")


@pytest.mark.parametrize("name", FILES)
def test_a_missing_file_fails_naming_it(packet: Packet, name: str) -> None:
    (packet.folder / name).unlink()
    assert first_failure(packet.verify()) == f"{name}: missing from the folder"


def test_a_file_the_manifest_does_not_list_fails(packet: Packet) -> None:
    (packet.folder / "notes.txt").write_text("added later")
    assert first_failure(packet.verify()) == (
        "notes.txt: in the folder but not listed in manifest.json"
    )


def test_a_packet_file_left_out_of_the_manifest_fails(packet: Packet) -> None:
    write_packet(
        packet.folder, packet.log, packet.checkpoint, packet.content, unlisted=("fhir.json",)
    )
    assert first_failure(packet.verify()) == "fhir.json: not listed in manifest.json"


def test_a_cited_entry_without_a_proof_fails_naming_where_it_is_cited(packet: Packet) -> None:
    write_packet(
        packet.folder, packet.log, packet.checkpoint, packet.content, proved=[packet.signed]
    )
    assert first_failure(packet.verify()) == (
        f"packet.json: audit.entries cites audit entry {packet.viewed}, not in proofs.json"
    )
    assert (
        f"packet.json: timeline[0].audit cites audit entry {packet.viewed}, not in proofs.json"
        in packet.verify().failures
    )


def test_a_content_hash_no_cited_entry_records_fails_naming_the_record(packet: Packet) -> None:
    content = json.loads(json.dumps(packet.content))
    content["contacts"] = [
        {
            "id": "c1",
            "content_sha256": AGREEMENT_SHA256,
            "amendments": [{"content_sha256": "e" * 64, "audit": [packet.signed]}],
            "audit": [packet.signed],
        }
    ]
    write_packet(packet.folder, packet.log, packet.checkpoint, content)
    report = packet.verify()
    assert first_failure(report).startswith(
        "packet.json: contacts[0].amendments[0]: content_sha256 'eeee"
    )
    # The one other failure: a contact shown without its stored row (check e).
    assert report.failures[1:] == ["packet.json: contacts[0] (c1) has no stored row in records"]
    assert report.checked["content_hashes"] == 3


# --- the command -----------------------------------------------------------------------------


def test_the_command_exits_0_for_a_good_packet_and_prints_the_report(
    packet: Packet, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(packet.folder), "--pubkey", packet.key]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True
    assert out["first_failure"] is None


def test_the_command_exits_1_naming_the_first_failure(
    packet: Packet, capsys: pytest.CaptureFixture[str]
) -> None:
    (packet.folder / "fhir.json").write_bytes(b"[]")
    assert main([str(packet.folder), "--pubkey", packet.key]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["first_failure"].startswith("fhir.json: SHA-256 ")
    assert "fhir.json: SHA-256 " in captured.err


def test_the_command_exits_2_for_usage_errors(
    packet: Packet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "nowhere")]) == 2
    assert main([]) == 2
    assert main([str(packet.folder), "--pubkey", "not a key"]) == 2
    wrong_id = json.dumps({"key_id": "0" * 16, "public_key": packet.key})
    assert main([str(packet.folder), "--pubkey", wrong_id]) == 2
    assert "is neither a packet folder nor a packet zip" in capsys.readouterr().err


def test_the_command_takes_the_key_as_printed_by_audit_pubkey_or_in_a_file(
    packet: Packet, tmp_path: Path
) -> None:
    printed = io.StringIO()
    call_command("audit", "pubkey", stdout=printed)
    as_json = tmp_path / "audit-key.json"
    as_json.write_text(printed.getvalue())
    bare = tmp_path / "audit-key.txt"
    bare.write_text(packet.key + "\n")
    for text in (printed.getvalue(), str(as_json), str(bare), packet.key):
        assert read_public_key(text) == packet.key
    assert main([str(packet.folder), "--pubkey", str(as_json)]) == 0


def test_verifying_never_imports_django(packet: Packet) -> None:
    script = (
        "import sys\n"
        "from groupguard.evidence.verify import main\n"
        "code = main(sys.argv[1:])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'django')\n"
        "sys.exit(99 if loaded else code)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(packet.folder), "--pubkey", packet.key],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
PLACES = [
    ("proofs.json", ()),
    ("proofs.json", ("public_key",)),
    ("proofs.json", ("public_key", "public_key")),
    ("proofs.json", ("checkpoint",)),
    ("proofs.json", ("checkpoint", "tree_size")),
    ("proofs.json", ("checkpoint", "root_hash")),
    ("proofs.json", ("checkpoint", "signature")),
    ("proofs.json", ("entries",)),
    ("proofs.json", ("entries", 0)),
    ("proofs.json", ("entries", 0, "index")),
    ("proofs.json", ("entries", 0, "leaf")),
    ("proofs.json", ("entries", 0, "entry")),
    ("proofs.json", ("entries", 0, "entry", "detail")),
    ("proofs.json", ("entries", 1, "leaf_hash")),
    ("proofs.json", ("entries", 1, "proof")),
    ("proofs.json", ("entries", 1, "proof", 0)),
    ("packet.json", ()),
    ("packet.json", ("audit",)),
    ("packet.json", ("audit", "entries")),
    ("packet.json", ("audit", "entries", 0)),
    ("packet.json", ("timeline", 0)),
    ("packet.json", ("timeline", 1, "content_sha256")),
    ("packet.json", ("timeline", 1, "audit")),
    ("manifest.json", ()),
    ("manifest.json", ("files",)),
    ("manifest.json", ("files", "packet.pdf")),
    ("manifest.json", ("key_id",)),
    ("manifest.json", ("signature",)),
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(place=st.sampled_from(PLACES), value=JSON, with_key=st.booleans())
def test_any_malformed_value_fails_and_never_raises(
    packet: Packet, place: tuple[str, tuple[Any, ...]], value: Any, with_key: bool
) -> None:
    name, path = place
    original = (packet.folder / name).read_bytes()
    data: Any = json.loads(original)
    if path:
        holder = data
        for step in path[:-1]:
            holder = holder[step]
        assume(holder[path[-1]] != value)
        holder[path[-1]] = value
    else:
        assume(data != value)
        data = value
    try:
        (packet.folder / name).write_bytes(dump(data))
        report = packet.verify() if with_key else packet.verify(key=None)
        assert first_failure(report).startswith(f"{name}: ")
    finally:
        (packet.folder / name).write_bytes(original)
