"""Turning a note into the features the model reads: the same code trains and predicts.

Terms:
- A **unit** is what the model scores: one sentence of the note, or two neighbouring
  sentences read together (a request can take two: "She waited until the others left. Then
  she told me about the relapse.").
- A **feature** is a string: a word (``w|keep``), two or three words in a row (``b|keep this``,
  ``t|keep this between``) or three to five letters inside a word (``c|kee``). Each is hashed
  to 20 bits with CRC-32, so the model needs no vocabulary file, only the hashes it learnt.

Words are normalised before counting, so spellings a note writer uses interchangeably count as
one: "dont" and "don't", "u" and "you", "pt", "clt" and "client", "grp" and "group".
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache

from groupguard.contacts.detector.classes import class_sequence

BITS = 20
MASK = (1 << BITS) - 1

# One character for one character, so offsets in the scan text are offsets in the original.
NORMALISE = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\u0060\u00b4", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
        **dict.fromkeys("\u00a0\u2007\u2009\u202f", " "),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014", "-"),
    }
)

# A sentence ends at . ! ? or a line break (with any closing quotes), or at the end.
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+[\"')\]]*|\n|$)")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Spellings of one word, mapped to one token.
_SAME = {
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "wont": "won't",
    "cant": "can't",
    "cannot": "can't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "im": "i'm",
    "ive": "i've",
    "id": "i'd",
    "ill": "i'll",
    "u": "you",
    "ya": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "plse": "please",
    "thx": "thanks",
    "bc": "because",
    "cuz": "because",
    "cos": "because",
    "b4": "before",
    "w": "with",
    "abt": "about",
    "grp": "group",
    "grps": "groups",
    "mbr": "client",
    "mbrs": "clients",
    "member": "client",
    "members": "clients",
    "pt": "client",
    "pts": "clients",
    "clt": "client",
    "clts": "clients",
    "patient": "client",
    "patients": "clients",
    "writer": "i",
    "she": "they",
    "he": "they",
    "her": "them",
    "him": "them",
    "his": "their",
    "hers": "theirs",
    "herself": "themself",
    "himself": "themself",
    "she's": "they're",
    "he's": "they're",
    "she'd": "they'd",
    "he'd": "they'd",
    "she'll": "they'll",
    "he'll": "they'll",
}


def segments(text: str) -> list[tuple[int, int]]:
    """The sentences of ``text`` as (start, end) offsets, blank ones left out."""
    spans = []
    for found in _SENTENCE.finditer(text):
        start, end = found.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans


def tokens(text: str) -> list[str]:
    """The words of ``text`` (already lower-cased and normalised), one spelling each."""
    return [_SAME.get(word, word) for word in _TOKEN.findall(text)]


def hash_feature(feature: str) -> int:
    """A feature's 20-bit hash (CRC-32: stable across processes and machines)."""
    return zlib.crc32(feature.encode()) & MASK


@lru_cache(maxsize=65536)
def word_features(word: str) -> tuple[int, ...]:
    """A word's own features: the word and its three- to five-letter pieces (hashed)."""
    padded = f" {word} "
    grams = [padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1)]
    return (hash_feature("w|" + word), *(hash_feature("c|" + gram) for gram in grams))


NEGATORS = frozenset(
    "not never no n't don't didn't doesn't won't wouldn't can't couldn't isn't wasn't aren't"
    " weren't haven't hasn't hadn't shouldn't mustn't denied denies denying without nor"
    " neither nothing".split()
)
# How many words after a negator are read as negated.
NEGATION_SCOPE = 4


def ngram_strings(words: list[str]) -> list[str]:
    """The context features of ``words``, before hashing: two and three words in a row, and
    each word within ``NEGATION_SCOPE`` words after a negator (``n|keep`` in "didn't ask me to
    keep it"), so "asked me to keep it private" and "did not ask me to keep it private" differ
    in more than one word."""
    found = []
    negated = 0
    for i, word in enumerate(words):
        if word in NEGATORS:
            negated = NEGATION_SCOPE
        elif negated:
            found.append(f"n|{word}")
            negated -= 1
        if i + 1 < len(words):
            found.append(f"b|{word} {words[i + 1]}")
            if i + 2 < len(words):
                found.append(f"t|{word} {words[i + 1]} {words[i + 2]}")
    return found


def class_keys(words: list[str]) -> list[tuple[str, ...]]:
    """The class features of ``words`` as keys: each class, and two and three classes in a row
    in ``classes.class_sequence`` (``("\\0k", "ASK", "NEG", "REVEAL")``)."""
    seq = class_sequence(words)
    keys: list[tuple[str, ...]] = [("\0k", c) for c in seq]
    keys.extend(("\0k", a, b) for a, b in zip(seq, seq[1:], strict=False))
    keys.extend(("\0k", a, b, c) for a, b, c in zip(seq, seq[1:], seq[2:], strict=False))
    keys.extend(("\0s", a, b) for a, b in zip(seq, seq[2:], strict=False))
    keys.extend(("\0s", a, b) for a, b in zip(seq, seq[3:], strict=False))
    return keys


def gram_string(key: tuple[str, ...]) -> str:
    """A context key's feature string: ("\\0n", w) is ``n|w``, a class key ``k|A B``, two
    words ``b|a b``, three ``t|a b c``."""
    if key[0] == "\0n":
        return f"n|{key[1]}"
    if key[0] == "\0s":
        return "s|" + " ".join(key[1:])
    if key[0] == "\0k":
        return "k|" + " ".join(key[1:])
    return ("b|" if len(key) == 2 else "t|") + " ".join(key)


def unit_features(words: list[str]) -> list[int]:
    """The hashed features of a unit made of ``words``, each as often as it occurs: the model
    is linear in these counts, so a unit's score is the sum of its words' and word pairs'."""
    found: list[int] = []
    for word in words:
        found.extend(word_features(word))
    found.extend(map(hash_feature, ngram_strings(words)))
    found.extend(hash_feature(gram_string(key)) for key in class_keys(words))
    return found


def sentences(scan: str) -> list[tuple[int, int, list[str]]]:
    """The sentences of ``scan`` (the note normalised and lower-cased, same length as the
    note) with their words, as (start, end, words); sentences without words left out."""
    out = []
    for start, end in segments(scan):
        words = tokens(scan[start:end])
        if words:
            out.append((start, end, words))
    return out


_LETTERS = re.compile(r"[^\W\d_]+")


class Needles:
    """Which of a fixed set of strings occur in a text, as ``needle in text`` would say, but
    fast: a needle made only of letters can occur only inside a run of letters, so each run
    is looked up once (cached: notes reuse words) and only the few needles with other
    characters ("n't", "back to", "y/o") are searched for in the whole text."""

    def __init__(self, needles: frozenset[str]) -> None:
        self.lettered = frozenset(n for n in needles if _LETTERS.fullmatch(n))
        self.other = tuple(sorted(needles - self.lettered))
        self._runs: dict[str, frozenset[str]] = {}

    def _in_run(self, run: str) -> frozenset[str]:
        found = self._runs.get(run)
        if found is None:
            found = frozenset(n for n in self.lettered if n in run)
            if len(self._runs) < 100_000:
                self._runs[run] = found
        return found

    def present(self, text: str) -> set[str]:
        found = {n for n in self.other if n in text}
        runs = self._runs
        for run in _LETTERS.findall(text):
            hit = runs.get(run)
            if hit is None:
                hit = self._in_run(run)
            if hit:
                found |= hit
        return found
