"""Field-level encryption of protected health information (PHI).

Every PHI value is sealed with AES-256-GCM under a named key. The stored text is

    gg1:<key id>:<base64url(nonce || ciphertext || tag)>

and the associated data binds the ciphertext to its place: ``<table>|<column>|<primary key>``.
A ciphertext copied to another row or column fails to open, as does a tampered value, a value
under a key this server does not hold, or plaintext found where a ciphertext belongs: reading
never falls back to returning what is stored ("fails closed").

Keys never live in the database. They come from ``GROUPGUARD_ENCRYPTION_KEYS`` (JSON, or the
file named by ``GROUPGUARD_ENCRYPTION_KEYS_FILE``), or, when neither is set, from a key file in
the data directory that the first run generates with mode 0600. A key file is generated only
while the database holds nothing sealed, and a keyring that lacks a key id stored data uses is
refused before any use (``core.keys``, ``audit.keys``).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "gg1"
NONCE_BYTES = 12
KEY_BYTES = 32


class EncryptionError(Exception):
    """A value could not be sealed or opened. The message never contains the plaintext."""


class KeyConfigurationError(EncryptionError):
    """The key configuration is missing, malformed or does not hold a needed key."""


@dataclass(frozen=True)
class Keyring:
    """The keys this server holds, by id, and the id of the one new values are sealed with."""

    active: str
    keys: dict[str, bytes]

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise KeyConfigurationError(f"active key {self.active!r} is not among the keys")
        for kid, key in self.keys.items():
            if not kid or ":" in kid or not kid.isascii():
                raise KeyConfigurationError(f"key id {kid!r} must be ASCII without ':'")
            if len(key) != KEY_BYTES:
                raise KeyConfigurationError(
                    f"key {kid!r} must be {KEY_BYTES} bytes, not {len(key)}"
                )

    @classmethod
    def from_json(cls, text: str, *, source: str) -> Keyring:
        try:
            data = json.loads(text)
            active = data["active"]
            raw_keys = data["keys"]
            keys = {
                str(kid): base64.b64decode(value, validate=True) for kid, value in raw_keys.items()
            }
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise KeyConfigurationError(
                f"{source} must be JSON like "
                '{"active": "KEY_ID", "keys": {"KEY_ID": "<base64 of 32 random bytes>"}}'
                f" ({type(exc).__name__})"
            ) from None
        if not isinstance(active, str):
            raise KeyConfigurationError(f"{source}: 'active' must be a key id string")
        return cls(active=active, keys=keys)

    def to_json(self) -> str:
        keys = {kid: base64.b64encode(key).decode("ascii") for kid, key in self.keys.items()}
        return json.dumps({"active": self.active, "keys": keys}, indent=2, sort_keys=True) + "\n"

    def with_new_active_key(self) -> Keyring:
        kid = new_key_id()
        return Keyring(active=kid, keys={**self.keys, kid: AESGCM.generate_key(bit_length=256)})


def new_key_id() -> str:
    return "k" + secrets.token_hex(4)


def generate_keyring() -> Keyring:
    kid = new_key_id()
    return Keyring(active=kid, keys={kid: AESGCM.generate_key(bit_length=256)})


def write_key_file(path: Path, keyring: Keyring, *, exclusive: bool) -> None:
    """Write a key file readable by its owner only; ``exclusive`` refuses to replace one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(keyring.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            os.link(tmp, path)  # fails with FileExistsError if another process won the race
        else:
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def seal(keyring: Keyring, plaintext: str, associated_data: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(keyring.keys[keyring.active]).encrypt(
        nonce, plaintext.encode("utf-8"), associated_data.encode("utf-8")
    )
    body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
    return f"{PREFIX}:{keyring.active}:{body}"


def key_id_of(token: str) -> str:
    """The key id a stored token was sealed with (no decryption)."""
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise EncryptionError("stored value is not a groupguard ciphertext")
    return parts[1]


def open_sealed(keyring: Keyring, token: str, associated_data: str) -> str:
    kid = key_id_of(token)
    key = keyring.keys.get(kid)
    if key is None:
        raise KeyConfigurationError(f"value was sealed with key {kid!r}, which is not configured")
    try:
        raw = base64.urlsafe_b64decode(token.split(":", 2)[2].encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise EncryptionError("stored ciphertext is not valid base64") from None
    if len(raw) < NONCE_BYTES + 16:
        raise EncryptionError("stored ciphertext is truncated")
    try:
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data.encode())
    except InvalidTag:
        raise EncryptionError(
            "stored ciphertext failed authentication "
            "(tampered, moved from another row, or wrong key)"
        ) from None
    return plain.decode("utf-8")


_lock = threading.Lock()
_cached: tuple[tuple[str, str], Keyring] | None = None


def configured_keyring() -> Keyring:
    """The keyring from settings, loaded once per process (and again if settings change)."""
    global _cached
    from django.conf import settings

    inline: str = settings.GROUPGUARD_ENCRYPTION_KEYS
    key_file: str = str(settings.GROUPGUARD_ENCRYPTION_KEYS_FILE)
    cache_key = (inline, key_file)
    cached = _cached
    if cached is not None and cached[0] == cache_key:
        return cached[1]
    with _lock:
        from groupguard.core import keys

        if inline:
            keyring = Keyring.from_json(inline, source="GROUPGUARD_ENCRYPTION_KEYS")
        else:
            keyring = _load_or_create_key_file(Path(key_file))
        # Before the first value is sealed or opened: a keyring that lacks a key stored data
        # needs is refused, so nothing is written under a replacement key.
        keys.require_encryption_keys(keyring)
        _cached = (cache_key, keyring)
        return keyring


def reset_keyring_cache() -> None:
    global _cached
    _cached = None


def _load_or_create_key_file(path: Path) -> Keyring:
    if not path.exists():
        from groupguard.core import keys

        keys.may_generate_encryption_keys()  # only for a database with nothing sealed
        try:
            write_key_file(path, generate_keyring(), exclusive=True)
        except FileExistsError:
            pass  # another process created it first; read theirs
        else:
            print(
                f"groupguard: generated a new encryption key file at {path} (mode 0600).\n"
                "  Keep a copy apart from the data and its backups: "
                "without it the PHI cannot be read.",
                file=sys.stderr,
            )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyConfigurationError(f"cannot read key file {path}: {exc}") from exc
    return Keyring.from_json(text, source=str(path))
