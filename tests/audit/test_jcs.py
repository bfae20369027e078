"""Tests for groupguard.audit.jcs (pure: no Django, no database)."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from groupguard.audit.jcs import MAX_SAFE_INTEGER, canonicalize


def expected_escape(ch: str) -> str:
    """RFC 8785 section 3.2.2.2, written out independently of the json module."""
    short = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    if ch == '"':
        return '\\"'
    if ch == "\\":
        return "\\\\"
    if ch in short:
        return short[ch]
    if ord(ch) < 0x20:
        return f"\\u{ord(ch):04x}"
    return ch


INTERESTING_CODE_POINTS = [
    *range(0x00, 0x80),
    0x80,
    0x9F,
    0xA0,
    0xAD,
    0xE9,
    0xF6,
    0xFF,
    0x100,
    0x7FF,
    0x800,
    0x2028,
    0x2029,
    0x20AC,
    0xD7FF,
    0xE000,
    0xFB33,
    0xFEFF,
    0xFFFD,
    0xFFFF,
    0x10000,
    0x1F600,
    0x10FFFF,
]


@pytest.mark.parametrize("cp", INTERESTING_CODE_POINTS)
def test_json_module_escapes_exactly_the_rfc_8785_set(cp: int) -> None:
    ch = chr(cp)
    want = '"' + expected_escape(ch) + '"'
    assert json.dumps(ch, ensure_ascii=False) == want
    assert json.encoder.encode_basestring(ch) == want
    assert json.encoder.py_encode_basestring(ch) == want
    assert canonicalize(ch) == want.encode("utf-8")
    assert canonicalize({ch: ch}) == ("{" + want + ":" + want + "}").encode("utf-8")


def test_all_bmp_non_surrogate_code_points_in_one_string() -> None:
    chars = "".join(chr(cp) for cp in range(0x10000) if not 0xD800 <= cp <= 0xDFFF)
    want = '"' + "".join(expected_escape(c) for c in chars) + '"'
    assert canonicalize(chars) == want.encode("utf-8")


def test_control_characters() -> None:
    assert canonicalize("\x00\x01\x1f") == b'"\\u0000\\u0001\\u001f"'
    assert canonicalize("\b\t\n\f\r") == b'"\\b\\t\\n\\f\\r"'
    assert canonicalize("\x0b\x0e") == b'"\\u000b\\u000e"'  # lowercase hex
    assert canonicalize("\x7f") == b'"\x7f"'  # DEL is not escaped
    assert canonicalize("\u2028\u2029") == '"\u2028\u2029"'.encode()
    assert canonicalize('a"b\\c/') == b'"a\\"b\\\\c/"'  # "/" is not escaped
    assert canonicalize("\u00e9\U0001f600") == '"\u00e9\U0001f600"'.encode()


def test_rfc_8785_sorting_example() -> None:
    # RFC 8785 section 3.2.3: keys sort by UTF-16 code units, not code points.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    out = canonicalize(value)
    assert list(json.loads(out)) == [
        "\r",
        "1",
        "\u0080",
        "\u00f6",
        "\u20ac",
        "\U0001f600",
        "\ufb33",
    ]
    assert (
        out
        == (
            '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
            '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
            '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
        ).encode()
    )
    # Code point order would put U+FB33 before U+1F600:
    assert sorted(value) != list(json.loads(out))


def test_rfc_8785_string_and_literals_example() -> None:
    # RFC 8785 section 3.2.4 without its "numbers" member (floats are rejected here).
    source = '{"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n'
    source += ' "literals": [null, true, false]}'
    assert canonicalize(json.loads(source)) == (
        b'{"literals":[null,true,false],"string":"\xe2\x82\xac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )


def test_docstring_example() -> None:
    assert canonicalize({"b": [1, True, None], "a": "\u20ac\n"}) == (
        b'{"a":"\xe2\x82\xac\\n","b":[1,true,null]}'
    )


def test_scalars_and_empty_containers() -> None:
    assert canonicalize(None) == b"null"
    assert canonicalize(True) == b"true"
    assert canonicalize(False) == b"false"
    assert canonicalize(0) == b"0"
    assert canonicalize(-1) == b"-1"
    assert canonicalize(MAX_SAFE_INTEGER) == b"9007199254740991"
    assert canonicalize(-MAX_SAFE_INTEGER) == b"-9007199254740991"
    assert canonicalize("") == b'""'
    assert canonicalize({}) == b"{}"
    assert canonicalize([]) == b"[]"
    assert canonicalize([[]]) == b"[[]]"
    assert canonicalize({"": {}}) == b'{"":{}}'


def test_nested_structures_and_no_whitespace() -> None:
    value: dict[str, Any] = {
        "z": [1, {"b": None, "a": [True, False]}, "x y"],
        "a": {"nested": {"deeper": [[], {}, ""]}},
        "m": -42,
    }
    assert canonicalize(value) == (
        b'{"a":{"nested":{"deeper":[[],{},""]}},"m":-42,"z":[1,{"a":[true,false],"b":null},"x y"]}'
    )


def test_insertion_order_does_not_matter() -> None:
    a: dict[str, Any] = {"one": 1, "two": 2, "three": [3]}
    b: dict[str, Any] = {"three": [3], "two": 2, "one": 1}
    assert canonicalize(a) == canonicalize(b)
    assert canonicalize(OrderedDict(reversed(list(a.items())))) == canonicalize(a)


def test_other_mappings_and_sequences() -> None:
    assert canonicalize(MappingProxyType({"b": 1, "a": 2})) == b'{"a":2,"b":1}'
    assert canonicalize((1, "two", (3,))) == b'[1,"two",[3]]'
    # range is a Sequence, which the type alias allows; it encodes as an array.
    assert canonicalize(range(3)) == b"[0,1,2]"


def test_int_subclasses_use_their_integer_value() -> None:
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    assert canonicalize({"level": Level.HIGH}) == b'{"level":3}'


@pytest.mark.parametrize("value", [1.0, 0.5, float("nan"), float("inf"), -0.0])
def test_floats_are_rejected(value: Any) -> None:
    with pytest.raises(TypeError, match="float"):
        canonicalize(value)
    with pytest.raises(TypeError, match="float"):
        canonicalize({"a": [1, {"b": value}]})


@pytest.mark.parametrize("value", [MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1, 2**64, -(2**100)])
def test_unsafe_integers_are_rejected(value: int) -> None:
    with pytest.raises(ValueError, match="safe range"):
        canonicalize(value)
    with pytest.raises(ValueError, match="safe range"):
        canonicalize([value])


@pytest.mark.parametrize("key", [1, None, True, 1.5, b"a", ("a",)])
def test_non_string_keys_are_rejected(key: Any) -> None:
    with pytest.raises(TypeError, match="keys must be str"):
        canonicalize({key: 1})
    with pytest.raises(TypeError, match="keys must be str"):
        canonicalize({"ok": {key: 1, "a": 2}})


@pytest.mark.parametrize(
    "value", [b"bytes", bytearray(b"x"), memoryview(b"x"), {1, 2}, frozenset(), object(), 1j]
)
def test_unsupported_types_are_rejected(value: Any) -> None:
    with pytest.raises(TypeError):
        canonicalize(value)
    with pytest.raises(TypeError):
        canonicalize({"a": value})


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "\udc00\ud800", "x\ud83d"])
def test_lone_surrogates_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="surrogate"):
        canonicalize(text)
    with pytest.raises(ValueError, match="surrogate"):
        canonicalize({text: 1})
    with pytest.raises(ValueError, match="surrogate"):
        canonicalize({"a": [text]})


def test_circular_references_are_rejected() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="circular"):
        canonicalize(loop)
    d: dict[str, Any] = {}
    d["self"] = d
    with pytest.raises(ValueError, match="circular"):
        canonicalize(d)
    shared = [1]
    assert canonicalize([shared, shared]) == b"[[1],[1]]"  # sharing is fine


# --------------------------------------------------------------------------
# Property tests

json_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]),  # no lone surrogates
    max_size=20,
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | json_text,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(json_text, children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_round_trip(value: Any) -> None:
    out = canonicalize(value)
    assert json.loads(out.decode("utf-8")) == value
    # Idempotent: canonical output re-canonicalizes to itself.
    assert canonicalize(json.loads(out)) == out


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_matches_json_dumps_given_our_key_order(value: Any) -> None:
    # Apart from key order (json.dumps(sort_keys=True) sorts by code point,
    # not UTF-16 unit), our output is what the json module produces.
    out = canonicalize(value)
    reparsed = json.loads(out)
    again = json.dumps(reparsed, ensure_ascii=False, separators=(",", ":"))
    assert again.encode("utf-8") == out


@settings(max_examples=400, deadline=None)
@given(json_values, json_values)
def test_distinct_values_give_distinct_bytes(a: Any, b: Any) -> None:
    assert (canonicalize(a) == canonicalize(b)) == _json_equal(a, b)
    assert canonicalize(a) == canonicalize(json.loads(canonicalize(a)))


def _json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON values: unlike Python, true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(json_text, st.integers(min_value=0, max_value=9), max_size=8))
def test_keys_sorted_by_utf16_code_units(value: dict[str, int]) -> None:
    keys = list(json.loads(canonicalize(value)))
    units = [k.encode("utf-16-be") for k in keys]
    assert units == sorted(units)


@settings(max_examples=300, deadline=None)
@given(json_text, json_text)
def test_tricky_strings_cannot_collide(a: str, b: str) -> None:
    # Quotes, backslashes, newlines and control characters inside a string
    # can never make one object serialize like a different one.
    one = canonicalize({a: b})
    two = canonicalize({a + '","' + b: ""})
    three = canonicalize([a, b])
    four = canonicalize([a + '","' + b])
    assert one != two
    assert three != four
    assert json.loads(one) == {a: b}
    assert json.loads(four) == [a + '","' + b]


_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]))
_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | _TEXT,
    lambda children: st.lists(children) | st.dictionaries(_TEXT, children),
    max_leaves=30,
)


@settings(max_examples=2000, deadline=None)
@given(_VALUES)
def test_the_same_bytes_as_the_rfc8785_package(value: Any) -> None:
    """A second, independent RFC 8785 encoder agrees on every value the log can hold (why
    the log keeps its own: the module's docstring)."""
    assert canonicalize(value) == rfc8785.dumps(value)
