"""The detector's model: a linear model over hashed word and letter features, read without
NumPy or scikit-learn.

``make train-detector`` (tools/train_detector.py) fits it with scikit-learn on the team's corpus
(corpus/detector/) and writes ``model.bin`` next to this file. Terms:

- A **head** answers one question about a unit (see ``features``): ``request`` (none, implied
  or explicit: a multinomial logistic regression, its probabilities calibrated with one
  temperature fitted on the development families), ``promise`` (the facilitator's own words
  promise secrecy) and one per risk flag (each a binary logistic regression).
- A **column** is one class's weights. Weights are stored as signed bytes with one scale per
  column, row after row (one row per feature), and only for the features seen in at least
  two training units.

File layout: 4 bytes "GGDM", a 4-byte little-endian length, that many bytes of JSON (version,
heads, classes, scales, biases, temperature, thresholds, feature count ``n``), then ``n``
little-endian uint32 feature hashes, then ``n`` rows of one signed byte per column.
"""

from __future__ import annotations

import json
import math
import sys
from array import array
from collections.abc import Sequence
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import Any

from groupguard.contacts.detector.features import (
    NEGATION_SCOPE,
    NEGATORS,
    class_keys,
    gram_string,
    hash_feature,
    word_features,
)

MODEL_PATH = Path(__file__).with_name("model.bin")
MAGIC = b"GGDM"

RISKS = (
    "threat",
    "suicide",
    "self_harm",
    "child_abuse",
    "elder_abuse",
    "dependent_adult_abuse",
    "substance_use",
)
REQUESTS = ("none", "implied", "explicit")


class ModelMissing(RuntimeError):
    """The package was installed without its model file: run ``make train-detector``."""


class Scores:
    """One unit's probabilities: ``request`` over none/implied/explicit, ``promise`` and one
    per risk, each worked out from the raw scores only when asked for (most never are)."""

    __slots__ = ("_model", "_request", "raw")

    def __init__(self, model: Model, raw: list[float]) -> None:
        self._model = model
        self.raw = raw
        self._request: dict[str, float] | None = None

    @property
    def request(self) -> dict[str, float]:
        if self._request is None:
            model = self._model
            logits = [self.raw[i] / model.temperature for i in model._request]
            top = max(logits)
            exp = [math.exp(v - top) for v in logits]
            total = sum(exp)
            self._request = {c: e / total for c, e in zip(REQUESTS, exp, strict=True)}
        return self._request

    @property
    def promise(self) -> float:
        return _sigmoid(self.raw[self._model._promise])

    def risk(self, kind: str) -> float:
        return _sigmoid(self.raw[self._model._risk_index[kind]])

    @property
    def risks(self) -> dict[str, float]:
        return {kind: self.risk(kind) for kind in RISKS}


class Model:
    """A fitted model: ``meta`` (the JSON header), the row of each feature hash, and the
    weights, row after row, ``k`` columns (signed bytes) per row."""

    def __init__(self, meta: dict[str, Any], rows: dict[int, int], weights: array[int]) -> None:
        self.meta = meta
        self.rows = rows
        self.weights = weights
        self.column_names = column_names(meta["heads"])
        self.k = len(self.column_names)
        self.scales = [float(v) for v in meta["scales"]]
        self.biases = [float(v) for v in meta["biases"]]
        self.temperature = float(meta["temperature"])
        self._words: dict[str, tuple[int, int, int]] = {}
        self._tuples: dict[tuple[str, ...], object] = {}
        self._carrier_weights: dict[str, dict[str | tuple[str, str], float]] = {}
        self._request = [self.column_names.index(f"request.{c}") for c in REQUESTS]
        self._promise = self.column_names.index("promise")
        self._risk_index = {r: self.column_names.index(f"risk.{r}") for r in RISKS}

    @property
    def version(self) -> str:
        return str(self.meta["version"])

    @property
    def thresholds(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.meta["thresholds"].items()}

    def _row(self, feature: int) -> Sequence[int] | None:
        row = self.rows.get(feature)
        if row is None:
            return None
        return self.weights[row * self.k : (row + 1) * self.k]

    def _packed(self, feature: int) -> int | None:
        """A feature's row as one integer (see ``_pack``), or None if the model lacks it."""
        row = self._row(feature)
        return None if row is None else _pack(row)

    def _word(self, word: str) -> tuple[int, int, int]:
        """A word's own features: their rows summed and packed, how many rows were found and
        how many features the word has (cached: notes reuse words)."""
        found = self._words.get(word)
        if found is None:
            features = word_features(word)
            rows = [r for f in features if (r := self._packed(f)) is not None]
            found = (sum(rows), len(rows), len(features))
            if len(self._words) < 100_000:
                self._words[word] = found
        return found

    def _context(self, key: tuple[str, ...]) -> int | None:
        """The packed row of a context feature given as a key (see ``features.gram_string``),
        cached: a pair seen before costs one dictionary lookup."""
        row = self._tuples.get(key, _MISS)
        if row is _MISS:
            row = self._packed(hash_feature(gram_string(key)))
            if len(self._tuples) < 300_000:
                self._tuples[key] = row
        return row  # type: ignore[return-value]

    def vector(self, words: list[str]) -> list[int]:
        """A unit's summed weights per column (before scale and bias), then its number of
        features. Units add: two sentences read together are the sum of theirs. Rows are
        packed into one integer each, so summing a unit's rows is one addition per row;
        context features (``features.ngram_strings``, ``features.class_keys``) are looked up
        by key, cached."""
        total = rows = count = 0
        word = self._word
        for w in words:
            packed, found, features = word(w)
            total += packed
            rows += found
            count += features
        keys: list[tuple[str, ...]] = class_keys(words)
        keys.extend(zip(words, words[1:], strict=False))
        keys.extend(zip(words, words[1:], words[2:], strict=False))
        if not NEGATORS.isdisjoint(words):
            negated = 0
            for w in words:
                if w in NEGATORS:
                    negated = NEGATION_SCOPE
                elif negated:
                    keys.append(("\0n", w))
                    negated -= 1
        count += len(keys)
        values = list(map(self._tuples.get, keys, repeat(_MISS)))
        if _MISS in values:  # a key not seen yet: look it up in the model
            for i, value in enumerate(values):
                if value is _MISS:
                    values[i] = self._context(keys[i])
        found_rows = [v for v in values if v is not None]
        total += sum(found_rows)  # type: ignore[arg-type]
        rows += len(found_rows)
        return [*_unpack(total, rows, self.k), count]

    def score(self, vector: Sequence[int]) -> Scores:
        """Scores from a unit's vector. Features are counted, then divided by the square root
        of their number (as in training), so a long unit does not score high by length."""
        norm = 1.0 / math.sqrt(vector[-1]) if vector[-1] else 0.0
        raw = [
            b + s * v * norm for b, s, v in zip(self.biases, self.scales, vector[:-1], strict=True)
        ]
        return Scores(self, raw)

    def carriers(self, words: list[str], column: str, top: int = 3) -> list[str]:
        """The words of a unit that pushed ``column`` up the most (for a request class,
        relative to "none"), strongest first. A word counts its own features and the word
        pairs it is part of. Each word's and pair's weight for a column is worked out once
        per process (notes reuse words)."""
        cache = self._carrier_weights.get(column)
        if cache is None:
            cache = self._carrier_weights[column] = {}
        index = self.column_names.index(column)
        base = self.column_names.index("request.none") if column.startswith("request.") else None
        scale = self.scales[index]
        base_scale = self.scales[base] if base is not None else 0.0

        def weight(packed: int | None, rows: int = 1) -> float:
            if packed is None:
                return 0.0
            value = scale * _field(packed, rows, index)
            if base is not None:
                value -= base_scale * _field(packed, rows, base)
            return value

        def cached(key: str | tuple[str, str]) -> float:
            value = cache.get(key)
            if value is None:
                if isinstance(key, str):
                    value = weight(*self._word(key)[:2])
                else:
                    value = weight(self._context(key))
                if len(cache) < 200_000:
                    cache[key] = value
            return value

        pairs = [cached((a, b)) for a, b in zip(words, words[1:], strict=False)]
        scored: dict[str, float] = {}
        last = len(pairs)
        for i, word in enumerate(words):
            total = cached(word)
            if i > 0:
                total += pairs[i - 1]
            if i < last:
                total += pairs[i]
            if total > 0 and len(word) > 1 and total > scored.get(word, 0.0):
                scored[word] = total
        return [w for w, _ in sorted(scored.items(), key=lambda kv: -kv[1])[:top]]


_MISS = object()
# A row of k signed bytes packed into one integer: each weight plus 128 (so 1 to 255) in its
# own field of _FIELD bits. Packed rows add field by field without carrying as long as fewer
# than 2**32 / 255 rows are summed (a unit has a few hundred): the sum of n rows, unpacked,
# is each field minus 128 * n.
_FIELD = 32
_MASK = (1 << _FIELD) - 1


def _pack(row: Sequence[int]) -> int:
    return sum((v + 128) << (_FIELD * i) for i, v in enumerate(row))


def _field(total: int, rows: int, i: int) -> int:
    return ((total >> (_FIELD * i)) & _MASK) - 128 * rows


def _unpack(total: int, rows: int, k: int) -> list[int]:
    bias = 128 * rows
    return [((total >> (_FIELD * i)) & _MASK) - bias for i in range(k)]


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    e = math.exp(value)
    return e / (1.0 + e)


def read(data: bytes) -> Model:
    """A model from the bytes of a model file."""
    if data[:4] != MAGIC:
        raise ValueError("not a groupguard detector model (bad magic)")
    length = int.from_bytes(data[4:8], "little")
    meta = json.loads(data[8 : 8 + length])
    n = int(meta["n"])
    at = 8 + length
    keys = array("I")
    keys.frombytes(data[at : at + 4 * n])
    if sys.byteorder != "little":
        keys.byteswap()
    at += 4 * n
    k = len(column_names(meta["heads"]))
    weights = array("b")
    weights.frombytes(data[at : at + n * k])
    if at + n * k != len(data):
        raise ValueError("model file has trailing or missing bytes")
    return Model(meta, dict(zip(keys, range(n), strict=True)), weights)


def column_names(heads: list[list[Any]]) -> list[str]:
    """``request.none``, ``request.implied``, ... for a head with classes; the head's own name
    (``promise``, ``risk.threat``) for a yes/no head."""
    return [f"{head}.{c}" for head, classes in heads for c in classes] + [
        head for head, classes in heads if not classes
    ]


def write(meta: dict[str, Any], keys: list[int], weights: bytes) -> bytes:
    """The bytes of a model file (used by the trainer); ``weights`` row-major signed bytes."""
    meta = {**meta, "n": len(keys)}
    head = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()
    key_array = array("I", keys)
    if sys.byteorder != "little":
        key_array.byteswap()
    return MAGIC + len(head).to_bytes(4, "little") + head + key_array.tobytes() + weights


@cache
def load() -> Model:
    """The shipped model, read once per process."""
    try:
        data = MODEL_PATH.read_bytes()
    except FileNotFoundError:
        raise ModelMissing(
            f"the detector's model is missing ({MODEL_PATH}); run make train-detector"
        ) from None
    return read(data)
