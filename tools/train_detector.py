"""``make train-detector``: fit the detector's model on the team's corpus and ship it.

Reads corpus/detector/*.toml (tools/detector_corpus.py), trains on the train families, picks
the regularisation, the temperature and the thresholds on the dev families, and writes
groupguard/contacts/detector/model.bin. The test families are not read here: bench/detect.py
scores them. Reproducible: the same corpus and this file give the same bytes (fixed seeds,
a deterministic solver, the version derived from the hashes of the corpus, this file and the
feature code).

    python -m tools.train_detector [--out PATH] [--quiet]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from groupguard.contacts import detect as detect_module
from groupguard.contacts.detector import model as detector_model
from groupguard.contacts.detector.features import NORMALISE, tokens, unit_features
from groupguard.contacts.detector.model import REQUESTS, RISKS
from tools import detector_corpus as corpus

COPIES = 3  # each train text, filled three ways
MIN_DF = 2
# The model may add findings to the rules' only where, on the dev notes, what it flags is
# right this often: a false request costs the facilitator trust in every highlight.
PRECISION_FLOOR = 0.90
C_GRID = (3.0,)  # 0.1 to 10 compared on the dev families: 3 leads, 1 close behind
HEADS: list[list[Any]] = [["request", list(REQUESTS)], ["promise", []]] + [
    [f"risk.{r}", []] for r in RISKS
]


def _words(text: str) -> list[str]:
    return tokens(text.translate(NORMALISE).lower())


def _units(families: list[corpus.Family], which: corpus.Split) -> list[corpus.Note]:
    """Training units: each family text filled ``COPIES`` ways, alone (no filler): the model
    scores sentences and pairs, so it learns from texts of that size."""
    splits = corpus.split(families)
    out = []
    chosen = [f for f in families if splits[f.id] == which]
    plain = [
        t for f in chosen if f.label == "none" and not f.risk and not f.promise for t in f.texts
    ]
    fillers = [t for f in chosen if f.neutral for t in f.texts]
    mixer = random.Random(f"mix|{which}")
    for _ in range(len(plain) // 2):  # two plain sentences read together are still nothing
        a, b = mixer.sample(plain, 2)
        text = corpus.fill(a, mixer) + " " + corpus.fill(b, mixer)
        out.append(corpus.Note(text, "none", False, (), "mix", "none", "mixed", text))
    for family in chosen:
        for text in family.texts:
            # The text with a neutral sentence before or after it keeps its label.
            filler = corpus.fill(mixer.choice(fillers), mixer)
            filled = corpus.fill(text, mixer)
            mixed = f"{filler} {filled}" if mixer.random() < 0.5 else f"{filled} {filler}"
            out.append(
                corpus.Note(
                    mixed,
                    family.label,
                    family.promise,
                    family.risk,
                    family.id,
                    family.speaker,
                    family.register,
                    filled,
                )
            )
            rng = random.Random(corpus._hash(f"unit|{family.id}|{text}"))
            for _ in range(COPIES):
                filled = corpus.fill(text, rng)
                out.append(
                    corpus.Note(
                        filled,
                        family.label,
                        family.promise,
                        family.risk,
                        family.id,
                        family.speaker,
                        family.register,
                        filled,
                    )
                )
    return out


def _matrix(units: list[corpus.Note]) -> tuple[csr_matrix, list[int]]:
    rows = [unit_features(_words(u.text)) for u in units]
    df: Counter[int] = Counter()
    for features in rows:
        df.update(set(features))
    keys = sorted(f for f, n in df.items() if n >= MIN_DF)
    column = {f: i for i, f in enumerate(keys)}
    data, indices, indptr = [], [], [0]
    for features in rows:
        counts = Counter(column[f] for f in features if f in column)
        norm = 1.0 / math.sqrt(len(features)) if features else 0.0
        for index in sorted(counts):
            indices.append(index)
            data.append(counts[index] * norm)
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(rows), len(keys))), keys


class _Never:
    """A yes/no head with no positive example in the training families: never fires."""

    def __init__(self, width: int) -> None:
        self.coef_ = np.zeros((1, width))
        self.intercept_ = np.array([-20.0])


def _fit(x: csr_matrix, y: np.ndarray, c: float) -> LogisticRegression | _Never:
    if len(set(y.tolist())) < 2:
        print("warning: a head has one class only in the training families", file=sys.stderr)
        return _Never(x.shape[1])
    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced", tol=1e-6)
    return model.fit(x, y)


def _quantise(weights: np.ndarray) -> tuple[bytes, list[float]]:
    """Row-major signed bytes and one scale per column."""
    scales = np.maximum(np.abs(weights).max(axis=0), 1e-9) / 127.0
    q = np.clip(np.rint(weights / scales), -127, 127).astype(np.int8)
    return q.tobytes(order="C"), [float(s) for s in scales]


def _temperature(model: detector_model.Model, units: list[corpus.Note]) -> float:
    """The temperature that minimises the request head's log loss on the dev units."""
    vectors = []
    for unit in units:
        v = model.vector(_words(unit.text))
        norm = 1.0 / math.sqrt(v[-1]) if v[-1] else 0.0
        vectors.append([x * norm for x in v[:-1]])
    labels = [REQUESTS.index(u.label) for u in units]
    index = [model.column_names.index(f"request.{c}") for c in REQUESTS]

    def loss(t: float) -> float:
        total = 0.0
        for v, y in zip(vectors, labels, strict=True):
            logits = [(model.biases[i] + model.scales[i] * v[i]) / t for i in index]
            top = max(logits)
            log_z = top + math.log(sum(math.exp(z - top) for z in logits))
            total += log_z - logits[y]
        return total / len(units)

    return min((0.5 + 0.1 * i for i in range(31)), key=loss)


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _thresholds(
    readings: list[tuple[corpus.Note, detect_module.Evidence]],
) -> dict[str, float]:
    """Thresholds that maximise F1 on the dev notes: first "any request", then "explicit"
    among the notes with a request, then the promise and each risk flag."""
    grid = [i / 100 for i in range(5, 100)]
    out: dict[str, float] = {}

    def best(hit: Any, truth: Any, floor: float = 0.0) -> float:
        """The threshold with the best F1 among those whose precision reaches ``floor``
        (the best F1 overall if none does)."""
        scored = []
        for t in grid:
            tp = sum(1 for n, e in readings if hit(e, t) and truth(n))
            fp = sum(1 for n, e in readings if hit(e, t) and not truth(n))
            fn = sum(1 for n, e in readings if not hit(e, t) and truth(n))
            precise = tp / (tp + fp) >= floor if tp + fp else False
            scored.append((precise, _f1(tp, fp, fn), -abs(t - 0.5), t))
        return max(scored)[3]

    out["request"] = best(
        lambda e, t: bool(e.rule_levels) or e.p_request >= t,
        lambda n: n.label != "none",
        PRECISION_FLOOR,
    )
    out["explicit"] = best(
        lambda e, t: (
            "explicit" in e.rule_levels or (e.p_request >= out["request"] and e.p_explicit >= t)
        ),
        lambda n: n.label == "explicit",
    )
    out["promise"] = best(lambda e, t: e.rule_promise or e.p_promise >= t, lambda n: n.promise)
    for risk in RISKS:
        out[f"risk.{risk}"] = best(
            lambda e, t, r=risk: r in e.rule_risks or e.p_risks[r] >= t,
            lambda n, r=risk: r in n.risk,
        )
    return out


def _evidence(model: detector_model.Model, text: str) -> detect_module.Evidence:
    """What the rules and ``model`` find in ``text``: the same reading ``detect`` does."""
    return detect_module._Reading(text, "en", model).evidence()


def _score(readings: list[tuple[corpus.Note, detect_module.Evidence]], th: dict[str, float]) -> str:
    tp = fp = fn = exp_hit = exp_all = 0
    for note, evidence in readings:
        request, _, _ = detect_module.decide(evidence, th)
        tp += request != "none" and note.label != "none"
        fp += request != "none" and note.label == "none"
        fn += request == "none" and note.label != "none"
        exp_all += note.label == "explicit"
        exp_hit += note.label == "explicit" and request == "explicit"
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return f"precision {p:.3f} recall {r:.3f} explicit recall {exp_hit / max(exp_all, 1):.3f}"


def train(out: Path, quiet: bool = False, refit: bool = True, every: int = 1) -> dict[str, Any]:
    """Fit, choose on dev, refit and write ``out``. ``every`` keeps one family in that many
    (a quick run for the trainer's own test; the shipped model uses them all)."""

    def say(*args: Any) -> None:
        if not quiet:
            print(*args, file=sys.stderr)

    families = corpus.load()[::every]
    digest = hashlib.sha256()
    for path in sorted(corpus.ROOT.glob("*.toml")):
        digest.update(path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    # The features are part of the model: a change to how a note is read is a new version.
    for module in (detector_model.MODEL_PATH.with_name(n) for n in ("features.py", "classes.py")):
        digest.update(module.read_bytes())
    train_units = _units(families, "train")
    dev_units = _units(families, "dev")
    dev_notes = corpus.notes(families, "dev")
    x, keys = _matrix(train_units)
    say(f"{len(train_units)} training units, {len(keys)} features; {len(dev_notes)} dev notes")
    best: tuple[float, dict[str, Any]] | None = None
    for c in C_GRID:
        weights, scales, biases = _fit_heads(x, train_units, c)
        meta: dict[str, Any] = {
            "version": "gg-detector-" + digest.hexdigest()[:12],
            "heads": HEADS,
            "scales": scales,
            "biases": biases,
            "temperature": 1.0,
            # Provisional: reading a note needs a "some request" threshold (a facilitator's
            # "ok, will do" is a promise only after a request heard at it), so the thresholds
            # are picked twice, the second time on readings made with the first ones.
            "thresholds": {"request": 0.5},
            "c": c,
        }
        model = detector_model.read(detector_model.write(meta, keys, weights))
        meta["temperature"] = _temperature(model, dev_units)
        for _ in range(2):
            model = detector_model.read(detector_model.write(meta, keys, weights))
            readings = [(n, _evidence(model, n.text)) for n in dev_notes]
            meta["thresholds"] = _thresholds(readings)
        line = _score(readings, meta["thresholds"])
        f1 = _dev_f1(readings, meta["thresholds"])
        say(f"C={c:<5} T={meta['temperature']:.1f} dev {line} (F1 {f1:.3f})")
        if best is None or f1 > best[0]:
            best = (f1, meta | {"weights": weights})
    assert best is not None
    _, meta = best
    weights = meta.pop("weights")
    both = train_units
    if refit:
        # The settings chosen on dev, the model refitted on train and dev together: a fifth
        # more families to learn wording from. The test families are still never read.
        both = train_units + dev_units
        x, keys = _matrix(both)
        weights, meta["scales"], meta["biases"] = _fit_heads(x, both, meta["c"])
    weights, keys = _prune(weights, keys, len(meta["scales"]))
    meta["units"] = len(both)
    meta["fitted_on"] = "train+dev" if refit else "train"
    data = detector_model.write(meta, keys, weights)
    out.write_bytes(data)
    detector_model.load.cache_clear()
    say(
        f"wrote {out} ({len(data) / 1e6:.2f} MB, {len(keys)} features), C={meta['c']}, "
        f"thresholds {meta['thresholds']}"
    )
    return meta


def _fit_heads(
    x: csr_matrix, units: list[corpus.Note], c: float
) -> tuple[bytes, list[float], list[float]]:
    """Every head fitted on ``units``: row-major quantised weights, scales, biases."""
    targets: dict[str, np.ndarray] = {
        "request": np.array([REQUESTS.index(u.label) for u in units]),
        "promise": np.array([int(u.promise) for u in units]),
    } | {f"risk.{r}": np.array([int(r in u.risk) for u in units]) for r in RISKS}
    columns: list[Any] = []
    biases: list[float] = []
    for head, classes in HEADS:
        if classes:
            fitted = _fit(x, targets[head], c)
            columns.extend(fitted.coef_)
            biases.extend(float(b) for b in fitted.intercept_)
    for head, classes in HEADS:  # yes/no heads after the multi-class ones (column order)
        if not classes:
            fitted = _fit(x, targets[head], c)
            columns.append(fitted.coef_[0])
            biases.append(float(fitted.intercept_[0]))
    weights, scales = _quantise(np.array(columns).T)
    return weights, scales, biases


def _prune(weights: bytes, keys: list[int], k: int) -> tuple[bytes, list[int]]:
    """Drop the features whose weights all round to -1, 0 or 1 (of 127): on the dev families
    dropping them changes no answer, and every row costs start-up time in ``groupguard
    detect`` (a quarter fewer rows)."""
    rows = np.frombuffer(weights, dtype=np.int8).reshape(len(keys), k)
    keep = np.abs(rows).max(axis=1) > 1
    return rows[keep].tobytes(order="C"), [
        key for key, kept in zip(keys, keep, strict=True) if kept
    ]


def _dev_f1(
    readings: list[tuple[corpus.Note, detect_module.Evidence]], th: dict[str, float]
) -> float:
    """Request F1 plus explicit recall: what the model is chosen by."""
    tp = fp = fn = hit = total = 0
    for note, evidence in readings:
        request, _, _ = detect_module.decide(evidence, th)
        tp += request != "none" and note.label != "none"
        fp += request != "none" and note.label == "none"
        fn += request == "none" and note.label != "none"
        total += note.label == "explicit"
        hit += note.label == "explicit" and request == "explicit"
    return _f1(tp, fp, fn) + hit / max(total, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.train_detector", description=__doc__)
    parser.add_argument("--out", type=Path, default=detector_model.MODEL_PATH)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--no-refit",
        dest="refit",
        action="store_false",
        help="keep the model fitted on train alone (to study it on the dev families)",
    )
    args = parser.parse_args(argv)
    train(args.out, args.quiet, args.refit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
