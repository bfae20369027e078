"""JSON Canonicalization Scheme (JCS, RFC 8785) for the audit log.

To hash or sign a JSON value, every party must turn it into exactly the same
bytes. RFC 8785 pins down one such serialization:

* no whitespace between tokens;
* object members sorted by key, comparing the keys as sequences of UTF-16
  code units (not Unicode code points: a key holding U+1F600, stored in
  UTF-16 as the surrogate pair D83D DE00, sorts *before* a key holding
  U+FB33);
* strings escaped minimally: ``"`` and ``\\`` are escaped, the control
  characters U+0008, U+0009, U+000A, U+000C and U+000D use the short forms
  ``\\b \\t \\n \\f \\r``, every other character below U+0020 is written as
  ``\\u00xx`` with lowercase hex, and everything else (U+007F, U+2028,
  any non-ASCII character) is written literally;
* the result is encoded as UTF-8.

This module implements the subset the audit log needs: ``dict`` (with ``str``
keys), ``list``, ``str``, ``int``, ``bool`` and ``None``. Floats are rejected
on purpose: RFC 8785 serializes numbers the way ECMAScript prints IEEE 754
doubles, and audit entries hold no floats, so a float reaching this encoder is
a bug that should fail loudly rather than be hashed in some approximate form.
Integers must lie in the I-JSON safe range (RFC 7493: magnitude at most
2**53 - 1), where the ECMAScript form of the number is its plain decimal form.

Why not the ``rfc8785`` package (Trail of Bits): it gives the same bytes as this encoder on
every value the log holds (checked on 20,000 generated values and in the test suite, which
runs it beside this one), but it encodes floats where the log wants them refused, and it is
about 2.5 times slower per audit entry (21 us against 8 us on a typical entry), which
``audit verify`` pays once per entry. The tests keep it as the reference implementation.

Errors:

* ``TypeError`` for a value of an unsupported type (including ``float``) and
  for a non-``str`` object key;
* ``ValueError`` for an integer outside the safe range, for a string holding a
  lone surrogate (which cannot be encoded as UTF-8, and which RFC 8785
  forbids), and for a container that contains itself.
"""

from __future__ import annotations

import json.encoder
from collections.abc import Callable, Mapping, Sequence
from typing import Final, TypeAlias

__all__ = ["MAX_SAFE_INTEGER", "JSONValue", "canonicalize"]

#: Largest magnitude of an integer that I-JSON (RFC 7493) allows.
MAX_SAFE_INTEGER: Final = 2**53 - 1

#: The values :func:`canonicalize` encodes, for callers that want to annotate
#: them. ``Mapping`` and ``Sequence`` rather than ``dict`` and ``list`` so that,
#: say, a ``dict[str, str]`` fits; bytes-like sequences are still rejected.
#: (:func:`canonicalize` itself takes ``object`` and checks at run time, since
#: mypy infers a mixed dict literal such as ``{"a": 1, "b": [2]}`` as
#: ``dict[str, object]``.)
JSONValue: TypeAlias = "Mapping[str, JSONValue] | Sequence[JSONValue] | str | int | bool | None"

# ``json.dumps(s, ensure_ascii=False)`` escapes exactly the RFC 8785 set:
# '"', '\\', the five short forms, and other characters below U+0020 as
# \u00xx in lowercase hex; everything else is copied through unchanged. The
# test suite checks this equivalence character by character.
# ``json.encoder.encode_basestring`` is the function ``json.dumps`` itself
# uses for that (the C accelerator when available).
_escape_string: Final[Callable[[str], str]] = json.encoder.encode_basestring

_NOT_STRING_SEQUENCES: Final = (str, bytes, bytearray, memoryview)


def canonicalize(value: object) -> bytes:
    """Return the RFC 8785 canonical UTF-8 encoding of ``value``.

    >>> canonicalize({"b": [1, True, None], "a": "\\u20ac\\n"})
    b'{"a":"\\xe2\\x82\\xac\\\\n","b":[1,true,null]}'
    """
    if _simple(value, 0):
        # Plain dicts with ASCII keys, lists, str, bool, None and safe ints: the C encoder
        # gives the same bytes (code-point order equals UTF-16 order for ASCII keys).
        text = _FAST.encode(value)
    else:
        parts: list[str] = []
        _encode(value, parts.append, set())
        text = "".join(parts)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            "JCS: string contains a lone surrogate "
            f"(U+{ord(text[exc.start]):04X}), which RFC 8785 does not allow"
        ) from exc


_FAST: Final = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)


def _simple(value: object, depth: int) -> bool:
    """True when ``value`` is made only of types the fast path encodes exactly."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER  # type: ignore[operator]
    if depth > 32:
        return False  # deep or circular: let the careful encoder decide
    if kind is dict:
        return all(
            type(k) is str and k.isascii() and _simple(v, depth + 1)
            for k, v in value.items()  # type: ignore[attr-defined]
        )
    if kind is list:
        return all(_simple(v, depth + 1) for v in value)  # type: ignore[attr-defined]
    return False


def _sort_key(key: str) -> bytes:
    # Big-endian UTF-16 bytes compare exactly like the UTF-16 code units.
    try:
        return key.encode("utf-16-be")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"JCS: object key {key!r} contains a lone surrogate, which RFC 8785 does not allow"
        ) from exc


def _encode(value: object, out: Callable[[str], None], active: set[int]) -> None:
    # Order matters: bool is a subclass of int, and str is a Sequence.
    if value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif isinstance(value, str):
        out(_escape_string(value))
    elif isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise ValueError(
                f"JCS: integer {value} is outside the I-JSON safe range [-(2**53 - 1), 2**53 - 1]"
            )
        out(int.__repr__(value))
    elif isinstance(value, float):
        raise TypeError(
            f"JCS: floats are not supported (got {value!r}); "
            "audit entries must hold only int, str, bool, None, list and dict"
        )
    elif isinstance(value, Mapping):
        _enter(value, active)
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"JCS: object keys must be str, got {type(key).__name__} {key!r}")
        out("{")
        first = True
        for key in sorted(value, key=_sort_key):
            if first:
                first = False
            else:
                out(",")
            out(_escape_string(key))
            out(":")
            _encode(value[key], out, active)
        out("}")
        active.discard(id(value))
    elif isinstance(value, Sequence) and not isinstance(value, _NOT_STRING_SEQUENCES):
        _enter(value, active)
        out("[")
        first = True
        for item in value:
            if first:
                first = False
            else:
                out(",")
            _encode(item, out, active)
        out("]")
        active.discard(id(value))
    else:
        raise TypeError(
            f"JCS: values of type {type(value).__name__} are not supported; "
            "use dict, list, str, int, bool or None"
        )


def _enter(container: object, active: set[int]) -> None:
    marker = id(container)
    if marker in active:
        raise ValueError("JCS: circular reference (a container contains itself)")
    active.add(marker)
