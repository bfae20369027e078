"""Other members become stable pseudonyms, in the packet's structure and in its free text.

The subject of a packet is one member; the other members of their groups are data subjects too
(and their privilege is at stake), so they appear only as "Member B", "Member C", ... in the
order of their ids (which follow creation), the same in every build from the same records.
Free text (summaries, notes, the agreement's role statement) is scanned for each other member's
names (full, given, family, preferred), longest first, whole words, any case, and each is
replaced with the pseudonym. A name that is also one of the subject's own names is left alone
in its short form (it would otherwise redact the subject), but full names are always replaced.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MIN_NAME = 2


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
    _names: dict[str, str] = field(default_factory=dict)  # lower-case name -> label

    @classmethod
    def for_members(cls, subject: Any, others: Iterable[Any]) -> Redactor:
        """``subject`` and ``others`` are Member objects; others are labelled in id order."""
        ordered = sorted({m.id: m for m in others if m.id != subject.id}.values(), key=_id)
        redactor = cls({m.id: label(i) for i, m in enumerate(ordered)})
        own = {n.casefold() for n in _names_of(subject)}
        names: dict[str, str] = {}
        for member in ordered:
            pseudonym = redactor.pseudonyms[member.id]
            full = {member.full_name, member.display_name}
            for name in _names_of(member):
                key = name.casefold()
                if len(key) < MIN_NAME or (key in own and name not in full):
                    continue
                names.setdefault(key, pseudonym)
        redactor._names = names
        if names:
            alternatives = sorted(names, key=lambda n: (-len(n), n))
            redactor._pattern = re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(n) for n in alternatives) + r")(?!\w)",
                re.IGNORECASE,
            )
        return redactor

    def text(self, value: str) -> str:
        if not value or self._pattern is None:
            return value
        return self._pattern.sub(lambda m: self._names[m.group(0).casefold()], value)

    def member(self, member_id: Any) -> str:
        return self.pseudonyms.get(member_id, "another member")


def _id(member: Any) -> str:
    return str(member.id)


def _names_of(member: Any) -> list[str]:
    values = [
        member.full_name,
        member.display_name,
        member.given_name,
        member.family_name,
        member.preferred_name,
    ]
    parts = []
    for value in values:
        value = (value or "").strip()
        if value:
            parts.append(value)
            # Double-barrelled family names: each part identifies too.
            parts += [p for p in re.split(r"[\s-]+", value) if len(p) >= 3]
    return list(dict.fromkeys(parts))
