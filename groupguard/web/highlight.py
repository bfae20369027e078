"""A note with its matched phrases marked, as safe HTML."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from groupguard.contacts.detect import RULES_BY_ID, Detection


@dataclass(frozen=True)
class ExplainedMatch:
    start: int
    end: int
    text: str
    rule: str
    level: str
    explanation: str


def explain(detection: Detection) -> list[ExplainedMatch]:
    return [
        ExplainedMatch(
            m.start,
            m.end,
            m.text,
            m.rule,
            RULES_BY_ID[m.rule].level,
            RULES_BY_ID[m.rule].explanation,
        )
        for m in detection.matches
    ]


def highlight(text: str, detection: Detection) -> SafeString:
    """``text`` escaped, each match in a <mark> naming its level and rule (also for screen
    readers, which do not announce <mark> everywhere)."""
    parts: list[str] = []
    at = 0
    for number, match in enumerate(explain(detection), start=1):
        parts.append(escape(text[at : match.start]))
        parts.append(
            format_html(
                '<mark class="req-{}" title="{}: {}">{}</mark>'
                '<span class="visually-hidden"> ({} request, rule {})</span>'
                '<sup aria-hidden="true">{}</sup>',
                match.level,
                match.rule,
                match.explanation,
                text[match.start : match.end],
                match.level,
                match.rule,
                number,
            )
        )
        at = match.end
    parts.append(escape(text[at:]))
    return mark_safe("".join(parts))  # noqa: S308  (every part escaped above)
