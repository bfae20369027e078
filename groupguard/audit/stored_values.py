"""Reading the values audit verify takes from storage: each checked before use, a bad one a named
fault (Malformed) rather than a crash.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

HASH_SIZE = 32
SIGNATURE_SIZE = 64
CHECKPOINT_FIELDS = ("origin", "tree_size", "root_hash", "timestamp", "key_id", "signature")
ROOT_HEX = re.compile(r"[0-9a-f]{64}")


class Malformed(Exception):
    """A stored value of the wrong type, length or form; the message says which and how."""


class BadText:
    """Stands in for SQLite text that is not UTF-8, so the row can be reported, not fetched
    with an exception."""

    __slots__ = ("raw",)

    def __init__(self, raw: bytes) -> None:
        self.raw = raw


def decode_text(raw: bytes) -> str | BadText:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return BadText(raw)


@contextmanager
def undecodable_text_as_values() -> Iterator[None]:
    """On SQLite, fetch text that is not UTF-8 as a ``BadText`` value.

    Python's SQLite driver raises on such a row, which would end the whole verify without
    saying where. PostgreSQL refuses invalid text when it is written, so it needs nothing.
    """
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.text_factory
    raw.text_factory = decode_text
    try:
        yield
    finally:
        raw.text_factory = previous


def describe(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, BadText):
        return "text that is not valid UTF-8"
    if isinstance(value, str):
        return f"text {value[:40] + '…' if len(value) > 40 else value!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, bytes | bytearray | memoryview):
        return "1 byte" if len(value) == 1 else f"{len(value)} bytes"
    return f"a {type(value).__name__}"


def as_bytes(value: object) -> bytes | None:
    """Bytes from any buffer a driver returns; None for anything that is not bytes."""
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else None


def checked_bytes(value: object, what: str, size: int | None = None) -> bytes:
    data = as_bytes(value)
    if data is None:
        raise Malformed(f"{what} is {describe(value)}, not bytes")
    if size is not None and len(data) != size:
        raise Malformed(f"{what} is {len(data)} bytes long, not {size}")
    return data


def checked_count(value: object, what: str) -> int:
    if type(value) is not int or value < 0:
        raise Malformed(f"{what} is {describe(value)}, not a whole number")
    return value


def checked_text(value: object, what: str) -> str:
    if isinstance(value, BadText):
        raise Malformed(f"{what} is not valid UTF-8")
    if type(value) is not str:
        raise Malformed(f"{what} is {describe(value)}, not text")
    return value


def head_values(tree_root: object, signature: object, key_id: object) -> tuple[bytes, bytes, str]:
    """An entry's signed head: its tree root, signature and key id, each checked."""
    return (
        checked_bytes(tree_root, "its tree_root", HASH_SIZE),
        checked_bytes(signature, "its head_signature", SIGNATURE_SIZE),
        checked_text(key_id, "its key_id"),
    )


def checkpoint_values(cp: object) -> tuple[str, int, str, str, bytes]:
    """A checkpoint's origin, tree size, root hash, key id and raw signature, each checked."""
    if not isinstance(cp, dict):
        raise Malformed(f"it is {describe(cp)}, not a JSON object")
    missing = [name for name in CHECKPOINT_FIELDS if name not in cp]
    if missing:
        raise Malformed(f"it has no {', '.join(missing)}")
    size = checked_count(cp["tree_size"], "its tree_size")
    cp_origin = checked_text(cp["origin"], "its origin")
    checked_text(cp["timestamp"], "its timestamp")
    key_id = checked_text(cp["key_id"], "its key_id")
    root = checked_text(cp["root_hash"], "its root_hash")
    if not ROOT_HEX.fullmatch(root):
        raise Malformed(f"its root_hash {describe(root)} is not 64 lowercase hex digits")
    try:
        signature = base64.b64decode(checked_text(cp["signature"], "its signature"), validate=True)
    except ValueError:
        raise Malformed("its signature is not base64") from None
    if len(signature) != SIGNATURE_SIZE:
        raise Malformed(f"its signature is {len(signature)} bytes long, not {SIGNATURE_SIZE}")
    return cp_origin, size, root, key_id, signature
