"""The detector's corpus (corpus/detector/*.toml), split by paraphrase family, as notes.

A **family** is one idea written several ways (see corpus/detector/README.md). Families, not
sentences, are split into train (70%), dev (15%) and test (15%), inside each file in the order
of a hash of their id, so every area of the corpus is in every split and a test note's key
sentence is never a rewording the model was trained on. Notes are built from a family text
(slots filled) and 0-3 sentences of neutral families *of the same split* around it.

Used by tools/train_detector.py (train and dev) and bench/detect.py (test).
"""

from __future__ import annotations

import hashlib
import random
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent / "corpus" / "detector"
Split = Literal["train", "dev", "test"]
LABELS = ("explicit", "implied", "none")

NAMES = [
    "Ana", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hank", "Ines", "Jonah", "Keiko",
    "Luis", "Maya", "Nate", "Olu", "Paula", "Quinn", "Rosa", "Sean", "Tess", "Umar", "Vera",
    "Wes", "Xiomara", "Yusuf", "Zoe", "Marisol", "Trevor", "Dana", "Kwame",
]  # fmt: skip
TOPICS = [
    "the relapse", "{pos} divorce", "the DUI", "{pos} drinking", "the affair", "the diagnosis",
    "the eviction", "{pos} debt", "the arrest", "the custody case", "{pos} gambling",
    "the miscarriage", "{pos} pills", "what happened at work", "{pos} HIV status",
    "the restraining order", "{pos} son's suspension", "the bankruptcy", "{pos} job loss",
    "the panic attacks", "{pos} purging", "the pregnancy", "{pos} sexuality", "the lawsuit",
]  # fmt: skip
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
PRONOUNS = [
    {"pron": "she", "obj": "her", "pos": "her", "self": "herself"},
    {"pron": "he", "obj": "him", "pos": "his", "self": "himself"},
]
_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Family:
    id: str
    file: str
    label: str
    speaker: str
    promise: bool
    risk: tuple[str, ...]
    register: str
    texts: tuple[str, ...]

    @property
    def neutral(self) -> bool:
        return self.file == "neutral" and self.label == "none" and not self.risk


@dataclass(frozen=True)
class Note:
    text: str
    label: str
    promise: bool
    risk: tuple[str, ...]
    family: str
    speaker: str
    register: str
    key: str  # the family text the note was built on, slots filled
    source: str = ""  # the same, as written in the corpus (slots unfilled)


def _hash(value: str) -> int:
    return int.from_bytes(hashlib.sha256(value.encode()).digest()[:8], "big")


def load(root: Path = ROOT) -> list[Family]:
    families = []
    for path in sorted(root.glob("*.toml")):
        with path.open("rb") as file:
            for raw in tomllib.load(file)["family"]:
                families.append(
                    Family(
                        raw["id"],
                        path.stem,
                        raw["label"],
                        raw["speaker"],
                        bool(raw["promise"]),
                        tuple(raw["risk"]),
                        raw["register"],
                        tuple(raw["texts"]),
                    )
                )
    ids = [f.id for f in families]
    if len(ids) != len(set(ids)):
        raise ValueError("family ids repeat across the corpus")
    return families


def split(families: list[Family]) -> dict[str, Split]:
    """Each family's split: inside each file, in hash order, 14 of every 20 to train, 3 to dev
    and 3 to test."""
    out: dict[str, Split] = {}
    by_file: dict[str, list[Family]] = {}
    for family in families:
        by_file.setdefault(family.file, []).append(family)
    for members in by_file.values():
        for i, family in enumerate(sorted(members, key=lambda f: _hash(f.id))):
            slot = i % 20
            out[family.id] = "train" if slot < 14 else "dev" if slot < 17 else "test"
    return out


def fill(text: str, rng: random.Random) -> str:
    words = dict(rng.choice(PRONOUNS))
    name, other = rng.sample(NAMES, 2)
    words |= {"name": name, "other": other, "day": rng.choice(DAYS)}
    words["topic"] = _SLOT.sub(lambda m: words[m.group(1)], rng.choice(TOPICS))
    for key in ("pron", "pos", "obj"):
        words[key.capitalize()] = words[key].capitalize()

    def one(m: re.Match[str]) -> str:
        return words[m.group(1)]

    return _SLOT.sub(one, text)


def notes(families: list[Family], which: Split, copies: int = 1, seed: int = 7) -> list[Note]:
    """Notes from the families of split ``which``: each text ``copies`` times, with other
    slot values and other neutral sentences around it."""
    splits = split(families)
    chosen = [f for f in families if splits[f.id] == which]
    # A test text that repeats a sentence of three words or more from a train or dev family
    # (two writers can land on the same short line) is left out: the test must be unseen.
    seen = (
        {x for x in shared_sentences(families) if len(x.split()) >= 3} if which == "test" else set()
    )
    fillers = [t for f in chosen if f.neutral for t in f.texts if not _repeats(t, seen)]
    out = []
    for family in chosen:
        for text in family.texts:
            if _repeats(text, seen):
                continue
            rng = random.Random(_hash(f"{seed}|{family.id}|{text}"))
            for _ in range(copies):
                key = fill(text, rng)
                around = [fill(t, rng) for t in rng.sample(fillers, rng.choice((0, 0, 1, 1, 2, 3)))]
                around.insert(rng.randint(0, len(around)), key)
                out.append(
                    Note(
                        " ".join(around),
                        family.label,
                        family.promise,
                        family.risk,
                        family.id,
                        family.speaker,
                        family.register,
                        key,
                        text,
                    )
                )
    return out


def _repeats(text: str, sentences: set[str]) -> bool:
    from groupguard.contacts.detector.features import segments

    return bool(sentences) and any(
        " ".join(text[a:b].lower().split()) in sentences for a, b in segments(text)
    )


def sentences_of(families: list[Family], which: Split) -> set[str]:
    """The sentences of a split's family texts, lower-cased with spaces folded (to check that
    no sentence is in two splits)."""
    from groupguard.contacts.detector.features import segments

    splits = split(families)
    out = set()
    for family in families:
        if splits[family.id] != which:
            continue
        for text in family.texts:
            for start, end in segments(text):
                out.add(" ".join(text[start:end].lower().split()))
    return out


def shared_sentences(families: list[Family]) -> set[str]:
    """Sentences written both in a test family and in a train or dev family. Short stock
    sentences ("Thanks.", "Call me back.") may repeat across families; the bench reports the
    count, and a sentence of five words or more in both is a corpus error to fix."""
    test = sentences_of(families, "test")
    return test & (sentences_of(families, "train") | sentences_of(families, "dev"))
