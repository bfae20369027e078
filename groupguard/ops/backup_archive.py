"""The backup file: one tar archive, checked before anything is restored from it.

A backup file holds three members, in this order:

- ``manifest.json``: what the backup is (see ``docs/operations.md``): format version, engine,
  time, the applied migrations, row counts, each audit log's size and signed checkpoint, the
  audit public key, the ids of the encryption keys the data needs, and the SHA-256 of the payload;
- ``manifest.sig``: ``{"key_id", "signature"}``, an Ed25519 signature with the audit key over the
  RFC 8785 bytes of ``{"kind": "backup-manifest", "manifest": <manifest>}`` (an object no
  checkpoint or entry head can be confused with). The payload's hash is in the manifest, so the
  signature covers every byte of the backup;
- the **payload**: ``database.sqlite3.gz`` (a gzip of a consistent copy of the SQLite file) or
  ``database.pgdump`` (``pg_dump --format=custom``, compressed by pg_dump itself).

No member holds a key: PHI inside the payload stays sealed under keys kept elsewhere.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from groupguard.audit.checkpoints import key_id_for, signing_key
from groupguard.audit.jcs import canonicalize

FORMAT = "groupguard-backup"
VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PAYLOADS = {"sqlite": "database.sqlite3.gz", "postgresql": "database.pgdump"}
CHUNK = 1 << 20
MAX_MANIFEST_BYTES = 16 << 20


class BackupError(Exception):
    """A backup or restore was refused or failed; the message says what and why."""


def _signed_bytes(manifest: dict[str, Any]) -> bytes:
    return canonicalize({"kind": "backup-manifest", "manifest": manifest})


def sign_manifest(manifest: dict[str, Any]) -> dict[str, str]:
    key = signing_key()
    return {
        "key_id": key_id_for(key.public_key()),
        "signature": base64.b64encode(key.sign(_signed_bytes(manifest))).decode("ascii"),
    }


def sha256_of(stream: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def write_archive(
    out: Path, manifest: dict[str, Any], signature: dict[str, str], payload: Path
) -> None:
    """Write the backup to ``out`` atomically (a temporary file, fsync, then a hard link that
    fails if ``out`` exists), readable by its owner only."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            with tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT) as tar:
                _add(tar, MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())
                _add(tar, SIGNATURE, json.dumps(signature, sort_keys=True).encode())
                info = _info(manifest["payload"]["name"], payload.stat().st_size)
                with payload.open("rb") as source:
                    tar.addfile(info, source)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, out)
        except FileExistsError:
            raise BackupError(f"{out} already exists: refusing to overwrite it") from None
        except OSError:  # a file system without hard links: check, then rename
            if out.exists():
                raise BackupError(f"{out} already exists: refusing to overwrite it") from None
            os.replace(tmp, out)
        _fsync_dir(out.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.mtime = int(time.time())
    return info


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    tar.addfile(_info(name, len(data)), io.BytesIO(data))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Archive:
    """A backup file whose manifest is signed by a trusted key and whose payload matches it."""

    path: Path
    tar: tarfile.TarFile
    manifest: dict[str, Any]
    signer: str

    @contextlib.contextmanager
    def payload(self) -> Iterator[IO[bytes]]:
        stream = self.tar.extractfile(self.manifest["payload"]["name"])
        if stream is None:  # checked in open_archive; kept for the type checker
            raise BackupError(f"{self.path}: the payload is not a regular file")
        with stream:
            yield stream


@contextlib.contextmanager
def open_archive(path: Path, keys: dict[str, Ed25519PublicKey]) -> Iterator[Archive]:
    """Open and check a backup file before anything is restored from it: its members, the
    manifest's signature (by one of ``keys``), format and the payload's SHA-256 and size."""
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115  (closed below)
    except FileNotFoundError:
        raise BackupError(f"no backup file at {path}") from None
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(
            f"{path} is not a groupguard backup file (not a tar archive: {exc})"
        ) from None
    try:
        archive = _check(path, tar, keys)
        yield archive
    finally:
        tar.close()


def _check(path: Path, tar: tarfile.TarFile, keys: dict[str, Ed25519PublicKey]) -> Archive:
    broken = f"{path} is not a complete groupguard backup (truncated or damaged)"
    try:
        members = tar.getmembers()
    except (OSError, EOFError, tarfile.TarError):
        raise BackupError(broken) from None
    names = [m.name for m in members]
    if len(names) != 3 or names[:2] != [MANIFEST, SIGNATURE] or names[2] not in PAYLOADS.values():
        raise BackupError(
            f"{path} is not a groupguard backup: expected {MANIFEST}, {SIGNATURE} and a "
            f"payload, found {names[:6]}"
        )
    if not all(m.isfile() for m in members) or members[0].size > MAX_MANIFEST_BYTES:
        raise BackupError(f"{path} is not a groupguard backup: unexpected member types or sizes")
    try:
        manifest = json.loads(_read(tar, MANIFEST))
        signature = json.loads(_read(tar, SIGNATURE))
    except (OSError, EOFError, tarfile.TarError):
        raise BackupError(broken) from None
    except ValueError:
        raise BackupError(f"{path}: the manifest is not valid JSON (damaged or edited)") from None
    if not isinstance(manifest, dict) or not isinstance(signature, dict):
        raise BackupError(f"{path}: the manifest is not a JSON object")
    signer = _verify_signature(path, manifest, signature, keys)
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(
            f"{path}: backup format {manifest.get('format')!r} version "
            f"{manifest.get('version')!r} is not one this groupguard reads ({FORMAT} {VERSION})"
        )
    payload = manifest["payload"]
    if payload["name"] != names[2]:
        raise BackupError(
            f"{path}: the payload is {names[2]!r}, the manifest says {payload['name']!r}"
        )
    archive = Archive(path=path, tar=tar, manifest=manifest, signer=signer)
    try:
        with archive.payload() as stream:
            digest, size = sha256_of(stream)
    except (OSError, EOFError, tarfile.TarError):
        raise BackupError(broken) from None
    if (digest, size) != (payload["sha256"], payload["bytes"]):
        raise BackupError(
            f"{path}: the payload does not match the manifest (SHA-256 {digest}, {size} bytes; "
            f"expected {payload['sha256']}, {payload['bytes']} bytes): the file was damaged or "
            "changed after the backup was made"
        )
    return archive


def _read(tar: tarfile.TarFile, name: str) -> bytes:
    stream = tar.extractfile(name)
    if stream is None:
        raise tarfile.TarError(f"{name} is not a regular file")
    with stream:
        return stream.read()


def _verify_signature(
    path: Path,
    manifest: dict[str, Any],
    signature: dict[str, Any],
    keys: dict[str, Ed25519PublicKey],
) -> str:
    key_id = str(signature.get("key_id"))
    public = keys.get(key_id)
    if public is None:
        raise BackupError(
            f"{path} was signed with audit key {key_id!r}, which is not the configured audit key "
            f"({', '.join(sorted(keys))}): configure the audit key of the server that made the "
            "backup (GROUPGUARD_AUDIT_KEY_FILE), or pass its public key with --pubkey"
        )
    try:
        public.verify(
            base64.b64decode(str(signature["signature"]), validate=True), _signed_bytes(manifest)
        )
    except (InvalidSignature, ValueError, KeyError, TypeError):
        raise BackupError(
            f"{path}: the manifest's signature does not verify: the manifest was edited or damaged"
        ) from None
    return key_id
