"""Other members become stable pseudonyms, in the packet's structure and in its free text.

The subject of a packet is one member; the other members of their groups are data subjects too
(and their privilege is at stake), so they appear only as "Member B", "Member C", ... in the
order of their ids (which follow creation), the same in every build from the same records.
Free text (summaries, notes, the agreement's role statement) is scanned for each other member's
names (full, given, family, preferred, and each part of a double-barrelled or multi-part name),
longest first, whole words, and each is replaced with the pseudonym. A name that is also one of
the subject's own names is left alone in its short form (it would otherwise redact the subject),
but full names are always replaced.

Names are compared in a *folded* form, the same on both sides (the name and the text): Unicode
compatibility decomposition (the NFKD half of NFKC: full-width "Ｇ" is "G", "ﬁ" is "fi"), case
folding ("ß" and "ẞ" are "ss", so "Großmann", "GROSSMANN" and "Grossmann" are one name), marks
dropped (accents, composed or decomposed or left out: "José", "Jose\\u0301" and "Jose"; the dot
of Turkish "İ"), and a few letters that have no decomposition but are often typed plainly ("ı",
"ø", "ł", "æ", ...) mapped to them. Invisible format characters (soft hyphen, joiners, bidi
controls) are ignored; within a full name any run of spaces or hyphens is one separator. A
German name with "ä", "ö" or "ü" also matches its "ae", "oe", "ue" spelling. Folding can only
make more words match, never fewer: over-redaction is the safe side of a leak.

The text is folded character by character, keeping for each folded character the position of
the original character it came from; the names are found in the folded text and the matching
span of the *original* text (with any accents that follow it) is replaced. One pass, linear in
the length of the text.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MIN_NAME = 2
MIN_PART = 3  # a part of a name shorter than this ("de", "la") is not a name on its own

# Marks that sit on the previous character: dropped when folding, and replaced with it.
_MARKS = frozenset({"Mn", "Me"})
# Dropped when folding: marks, and invisible format characters (soft hyphen, joiners, bidi).
_IGNORED = _MARKS | {"Cf"}
# Lower-case letters Unicode does not decompose that text often writes as plain letters
# (dotless "ı" because Turkish "Işıl" is also written "Isil"), and the typographic hyphen and
# apostrophes as the ASCII ones, so "O’Brien" is "O'Brien".
_PLAIN = str.maketrans(
    {"ı": "i", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ŧ": "t"}
    | {"æ": "ae", "œ": "oe", "þ": "th"}
    | {"\u2010": "-", "\u2018": "'", "\u2019": "'", "\u02bc": "'"}
)
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})
_SEPARATORS = re.compile(r"[\s-]+")  # between the parts of a name
_RUNS = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]")


def label(n: int) -> str:
    """0 -> "Member B", 1 -> "Member C", ..., 24 -> "Member Z", 25 -> "Member BA", ..."""
    letters = string.ascii_uppercase[1:]  # A is never used: it would read as the subject
    out = ""
    n += 0
    while True:
        out = letters[n % len(letters)] + out
        n = n // len(letters) - 1
        if n < 0:
            break
    return f"Member {out}"


@dataclass
class Redactor:
    pseudonyms: dict[Any, str] = field(default_factory=dict)  # member id -> label
    _pattern: re.Pattern[str] | None = None
    _names: dict[str, str] = field(default_factory=dict)  # folded name -> label

    @classmethod
    def for_members(cls, subject: Any, others: Iterable[Any]) -> Redactor:
        """``subject`` and ``others`` are Member objects; others are labelled in id order."""
        ordered = sorted({m.id: m for m in others if m.id != subject.id}.values(), key=_id)
        redactor = cls({m.id: label(i) for i, m in enumerate(ordered)})
        own = set(_names_of(subject))
        names: dict[str, str] = {}
        for member in ordered:
            pseudonym = redactor.pseudonyms[member.id]
            full = {key for n in (member.full_name, member.display_name) for key in _spellings(n)}
            for key in _names_of(member):
                if len(key) < MIN_NAME or (key in own and key not in full):
                    continue
                names.setdefault(key, pseudonym)
        redactor._names = names
        if names:
            alternatives = sorted(names, key=lambda n: (-len(n), n))
            redactor._pattern = re.compile(
                r"(?<!\w)(?:"
                + "|".join(
                    _SEPARATORS.pattern.join(map(re.escape, n.split(" "))) for n in alternatives
                )
                + r")(?!\w)"
            )
        return redactor

    def text(self, value: str) -> str:
        if not value or self._pattern is None:
            return value
        folded, origin = fold(value)
        out: list[str] = []
        last = 0
        for match in self._pattern.finditer(folded):
            if origin is None:
                start, end = match.span()
            else:
                start = max(origin[match.start()], last)
                end = origin[match.end() - 1] + 1
                while end < len(value) and unicodedata.category(value[end]) in _MARKS:
                    end += 1
            out += (value[last:start], self._names[_SEPARATORS.sub(" ", match.group())])
            last = end
        if not out:
            return value
        out.append(value[last:])
        return "".join(out)

    def member(self, member_id: Any) -> str:
        return self.pseudonyms.get(member_id, "another member")


def fold(text: str) -> tuple[str, list[int] | None]:
    """``text`` folded for matching names (see the module docstring), and for each folded
    character the index of the original character it came from (None: the same index, for
    ASCII text, which folds to its lower case one for one)."""
    if text.isascii():
        return text.lower(), None
    pieces: list[str] = []
    origin: list[int] = []
    # Runs of ASCII (most of any text) fold as a whole; other characters one by one.
    for run in _RUNS.finditer(text):
        start, end = run.span()
        if run.group().isascii():
            pieces.append(run.group().lower())
            origin += range(start, end)
        else:
            folded = _fold_char(run.group())
            pieces.append(folded)
            origin += [start] * len(folded)
    return "".join(pieces), origin


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    # Case folding can yield characters that decompose further ("İ" -> "i" + dot above).
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", char).casefold())
    kept = []
    for c in decomposed:
        if c == "\u200b":  # a zero-width space separates words
            kept.append(" ")
        elif unicodedata.category(c) not in _IGNORED:
            kept.append(c)
    return "".join(kept).translate(_PLAIN)


def _key(name: str) -> str:
    return _SEPARATORS.sub(" ", fold(name)[0]).strip()


def _spellings(name: str) -> list[str]:
    """The folded forms of ``name``: as written, and with German umlauts as "ae", "oe", "ue"."""
    german = unicodedata.normalize("NFC", name.casefold()).translate(_UMLAUTS)
    return [key for key in dict.fromkeys((_key(name), _key(german))) if key]


def _id(member: Any) -> str:
    return str(member.id)


def _names_of(member: Any) -> list[str]:
    """The folded names of ``member``, each whole and each part of it."""
    values = [
        member.full_name,
        member.display_name,
        member.given_name,
        member.family_name,
        member.preferred_name,
    ]
    keys: list[str] = []
    for value in values:
        for key in _spellings(value or ""):
            keys.append(key)
            # Double-barrelled and multi-part names: each part identifies too.
            keys += [part for part in key.split(" ") if len(part) >= MIN_PART]
    return list(dict.fromkeys(keys))
