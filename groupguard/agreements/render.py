"""The member-facing text of a group agreement, and what goes with it.

Pure Python, no Django. ``render_statement`` turns a facilitator's choices into the exact text a
member reads and signs; a **statement version** stores that text with its SHA-256
(``statement_sha256``), so a signature always covers the text byte for byte. Rendering is
therefore deterministic: the same input gives the same string, with "\\n" line endings, no
trailing spaces and exactly one final newline.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from groupguard.agreements.clauses import (
    CUSTOM_PREFIX,
    POLICIES,
    POLICY_LABELS,
    Clause,
    GroupContext,
    Question,
    clause_by_id,
    validate_selection,
)

# Comprehension questions that are always asked when their clause was chosen: the core (could
# something said privately be raised in group?), then the first of the outlet/informal-contact
# pair. Other questions fill the remaining places in clause order.
CORE_QUESTION = "private-communications"
SECOND_QUESTION_FROM = ("referral", "casual-contact")


@dataclass(frozen=True)
class StatementInput:
    practice_name: str
    group_name: str
    context: GroupContext
    policy: str  # one of clauses.POLICIES
    role_statement: str  # the practitioner's own words about their role with the group
    clause_ids: tuple[str, ...]  # in the order chosen
    extra: tuple[Clause, ...] = ()  # the practice's custom clauses
    effective_date: str = ""  # ISO date, printed when given


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _paragraphs(value: str) -> str:
    """Normalise free text: "\\n" endings, no trailing spaces, at most one blank line in a row."""
    lines = [line.rstrip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _clauses(ids: Sequence[str], extra: Sequence[Clause]) -> list[Clause]:
    custom = {c.id: c for c in extra}
    return [custom[i] if i in custom else clause_by_id(i) for i in ids]


def render_statement(data: StatementInput) -> str:
    """The full text of the agreement. Raises ValueError naming the problem."""
    if data.policy not in POLICIES:
        raise ValueError(f"Unknown policy {data.policy!r}: choose one of {', '.join(POLICIES)}.")
    role = _paragraphs(data.role_statement)
    if not role:
        raise ValueError("The role statement is empty: say what your role is with the group.")
    practice, group = _one_line(data.practice_name), _one_line(data.group_name)
    if not practice or not group:
        raise ValueError("The statement needs the practice name and the group name.")
    if data.effective_date:
        try:
            datetime.date.fromisoformat(data.effective_date)
        except ValueError:
            raise ValueError(
                f"The effective date {data.effective_date!r} is not an ISO date (YYYY-MM-DD)."
            ) from None
    problems = validate_selection(data.context, data.clause_ids, data.extra)
    if problems:
        raise ValueError("The clause selection is not valid: " + " ".join(problems))

    parts = [f"Group agreement: {group}", practice]
    if data.effective_date:
        parts.append(f"Effective date: {data.effective_date}")
    parts.append(
        f"This is the written agreement for {group}, a group offered by {practice}. It explains "
        "how privacy works in this group: what the facilitators may bring into the group, what "
        "members promise each other, and where the law sets limits. Please read it before your "
        "first session and ask about anything that is unclear before you sign."
    )
    parts.append("Policy for things said privately to a facilitator: " + POLICY_LABELS[data.policy])
    parts.append("Our role\n" + role)
    for number, clause in enumerate(_clauses(data.clause_ids, data.extra), start=1):
        parts.append(
            f"{number}. {_one_line(clause.title)}\n{_paragraphs(clause.text_for(data.policy))}"
        )
    parts.append(
        "Your signature\n"
        "By signing, you confirm that you have read this agreement, that you had the chance to "
        "ask about it, and that you agree to take part in the group on these terms."
    )
    return "\n\n".join(parts) + "\n"


def statement_sha256(text: str) -> str:
    """Hex SHA-256 of the UTF-8 bytes of ``text``: what a signature copies."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def questions_for(
    clause_ids: Sequence[str], extra: Sequence[Clause] = (), limit: int = 3
) -> list[Question]:
    """The comprehension check for an agreement built from ``clause_ids``.

    At most ``limit`` questions, in clause order. The core question (private communications)
    and the first of referral / casual contact are always among them when chosen. A custom clause
    that is no longer offered is skipped: it never carries a question, and a published version
    must stay signable after the practice retires one of its clauses.
    """
    if limit < 0:
        raise ValueError("limit cannot be negative.")
    custom = {c.id: c for c in extra}
    chosen: list[Clause] = []
    for clause_id in dict.fromkeys(clause_ids):
        if clause_id in custom:
            chosen.append(custom[clause_id])
        elif not clause_id.startswith(CUSTOM_PREFIX):
            chosen.append(clause_by_id(clause_id))
    asked = [c for c in chosen if c.question is not None]
    ids = [c.id for c in asked]
    priority = [i for i in (CORE_QUESTION,) if i in ids]
    priority += [i for i in ids if i in SECOND_QUESTION_FROM][:1]
    picked = set((priority + [i for i in ids if i not in priority])[:limit])
    return [c.question for c in asked if c.id in picked and c.question is not None]


def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """A line diff between two versions: ("same" | "added" | "removed", line) in reading order."""
    a, b = old.splitlines(), new.splitlines()
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += [("same", line) for line in a[i1:i2]]
            continue
        out += [("removed", line) for line in a[i1:i2]]
        out += [("added", line) for line in b[j1:j2]]
    return out


_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _count(n: int, noun: str) -> str:
    word = _NUMBERS[n] if n < len(_NUMBERS) else str(n)
    return f"{word} {noun}" if n == 1 else f"{word} {noun}s"


def _join(names: Sequence[str]) -> str:
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _role_phrase(label: str, members: int) -> str:
    """E.g. "the individual therapist of one member of this group", from the role's label."""
    role = re.sub(r"^also\s+", "", _one_line(label), flags=re.IGNORECASE)
    whom = _count(members, "member") + " of this group"
    if not role or role.lower() == "other":
        return f"another professional role with {whom}"
    if not role[1:2].isupper():  # keep acronyms such as "EMDR therapist" intact
        role = role[0].lower() + role[1:]
    return f"the {role} of {whom}"


def default_role_statement(
    facilitator_names: Sequence[str], dual_roles: Sequence[tuple[str, str, str]]
) -> str:
    """A first draft of the role statement, for the facilitator to edit.

    ``dual_roles`` are (facilitator name, member display name, role label). Every member reads
    the statement, so member names are only used to count members, never printed.
    """
    names = [n for n in dict.fromkeys(_one_line(n) for n in facilitator_names) if n]
    # (facilitator, role label) -> how many members; an empty member name counts on its own.
    members: dict[tuple[str, str], set[str]] = {}
    for facilitator, member, label in dual_roles:
        key = (_one_line(facilitator) or "One of us", _one_line(label))
        covered = members.setdefault(key, set())
        covered.add(_one_line(member) or f"unnamed {len(covered)}")
    names += [f for f, _ in members if f not in names and f != "One of us"]
    plural = len(names) > 1

    if plural:
        opening = f"We, {_join(names)}, are the facilitators of this group"
    elif names:
        opening = f"I am {names[0]}, the facilitator of this group"
    else:
        opening = "I am the facilitator of this group"
    if not members:
        nobody = (
            ("neither of us is" if len(names) == 2 else "none of us is") if plural else "I am not"
        )
        return f"{opening}, and {nobody} the individual therapist of any member."

    sentences = [opening + "."]
    for (facilitator, label), covered in members.items():
        phrase = _role_phrase(label, len(covered))
        if phrase.startswith("another"):
            who = f"{facilitator} also has" if plural else "I also have"
            sentences.append(f"{who} {phrase}.")
        else:
            who = f"{facilitator} is" if plural else "I am"
            sentences.append(f"{who} also {phrase}.")
    with_roles = {f for f, _ in members}
    sentences += [
        f"{n} is not the individual therapist of any member." for n in names if n not in with_roles
    ]
    sentences.append(
        "What passes between a facilitator and a member in that other role is kept separate from "
        "the group and is not brought into it without that member's permission, except where "
        "the law requires it."
    )
    return " ".join(sentences)


def reading_blocks(text: str) -> list[tuple[str, str]]:
    """The signed text in blocks for the page a member reads: ("heading", line) for a clause's
    title, ("para", text) for the rest. The words are the text's own, in order (only the blank
    lines between paragraphs become the blocks' edges): what the member reads is what they
    sign and what its hash covers."""
    blocks: list[tuple[str, str]] = []
    for paragraph in text.split("\n\n"):
        if not paragraph.strip():
            continue
        first, _, rest = paragraph.partition("\n")
        # A clause opens with its title on a line of its own: short, with no closing stop.
        if rest.strip() and len(first) <= 100 and not first.rstrip().endswith((".", ":", ";", ",")):
            blocks.append(("heading", first))
            blocks.append(("para", rest))
        else:
            blocks.append(("para", paragraph))
    return blocks
