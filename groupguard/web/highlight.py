"""A note with what the detector found marked, as safe HTML, and the list that explains it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from groupguard.contacts.detect import Detection, Match

_SPEAKERS = {
    "member": "the member's words",
    "third_party": "someone else's words, repeated by the member: not the member's request",
    "facilitator": "the facilitator's own words",
}
_RISK_LABELS = {
    "threat": "Threat to another person",
    "suicide": "Suicidal thoughts",
    "self_harm": "Self-harm",
    "child_abuse": "Possible child abuse",
    "elder_abuse": "Possible elder abuse",
    "dependent_adult_abuse": "Possible dependent-adult abuse",
    "substance_use": "Substance use",
}


@dataclass(frozen=True)
class ExplainedMatch:
    """One finding as the page shows it. ``level`` is explicit or implied (the member's
    request), ``aside`` (someone else's words), ``promise`` (the facilitator's) or ``risk``."""

    start: int
    end: int
    text: str
    rule: str
    level: str
    explanation: str
    speaker: str = "member"
    words: tuple[str, ...] = ()
    label: str = ""

    @property
    def who(self) -> str:
        return _SPEAKERS.get(self.speaker, self.speaker)


def explain(detection: Detection) -> list[ExplainedMatch]:
    """The member's request phrases, then promises, set-aside phrases and risk flags."""
    groups: list[tuple[tuple[Match, ...], str | None, str]] = [
        (detection.matches, None, ""),
        (detection.promises, "promise", "Possible promise of confidentiality"),
        (detection.set_aside, "aside", "Not the member's request"),
    ]
    out = [
        ExplainedMatch(
            m.start,
            m.end,
            m.text,
            m.rule,
            level or m.level,
            m.explanation,
            m.speaker,
            m.words,
            label,
        )  # fmt: skip
        for matches, level, label in groups
        for m in matches
    ]
    out += [
        ExplainedMatch(
            f.start,
            f.end,
            f.text,
            f.rule,
            "risk",
            f.explanation,
            "member",
            (),
            _RISK_LABELS.get(f.kind, f.kind),
        )  # fmt: skip
        for f in detection.flags
    ]
    return out


def highlight(text: str, detection: Detection) -> SafeString:
    """``text`` escaped, each finding in a <mark> naming its kind (also for screen readers,
    which do not announce <mark> everywhere) and, on hover, why it was found; rule ids stay in
    the pages' "for the record" details. Findings that overlap one already
    marked are listed but not marked again."""
    marked: list[tuple[int, ExplainedMatch]] = []
    for number, match in enumerate(explain(detection), start=1):
        if all(match.end <= m.start or match.start >= m.end for _, m in marked):
            marked.append((number, match))
    marked.sort(key=lambda nm: nm[1].start)
    parts: list[str] = []
    at = 0
    for number, match in marked:
        kind = match.label or f"{match.level} request"
        parts.append(escape(text[at : match.start]))
        parts.append(
            format_html(
                '<mark class="req-{}" title="{}">{}</mark>'
                '<span class="visually-hidden"> ({})</span>'
                '<sup aria-hidden="true">{}</sup>',
                match.level,
                match.explanation,
                text[match.start : match.end],
                kind,
                number,
            )
        )
        at = match.end
    parts.append(escape(text[at:]))
    return mark_safe("".join(parts))  # noqa: S308  (every part escaped above)
