"""The packet PDF's building blocks: the practice's clock, cell formatters, and tables as data."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import models

from groupguard.agreements.models import SignatureMethod
from groupguard.contacts.models import PromiseStatus, ReferralStatus
from groupguard.core import pdf
from groupguard.core.moments import day_text, moment_text
from groupguard.disclosures.models import Recipient
from groupguard.evidence.packet_model import RoleRecord


class Clock:
    """Formats the packet's moments (UTC, ISO 8601) and days in the practice's time zone."""

    def __init__(self, zone: str) -> None:
        try:
            self.tz: datetime.tzinfo = ZoneInfo(zone)
            self.zone = zone
        except (ZoneInfoNotFoundError, ValueError):
            self.tz, self.zone = datetime.UTC, "UTC"

    def _parse(self, value: str) -> datetime.datetime | datetime.date:
        if "T" not in value:
            return datetime.date.fromisoformat(value)
        moment = datetime.datetime.fromisoformat(value)
        if moment.tzinfo is None:  # never the machine's own zone: that would change the bytes
            moment = moment.replace(tzinfo=datetime.UTC)
        return moment.astimezone(self.tz)

    def when(self, value: str | None) -> str:
        """ "3 Nov 2026" for a day, "3 Nov 2026, 19:40 PST" for a moment, "" for nothing."""
        if not value:
            return ""
        try:
            moment = self._parse(value)
        except ValueError:
            return str(value)
        if isinstance(moment, datetime.datetime):
            return moment_text(moment, self.tz)
        return day_text(moment)

    def local_day(self, value: str | None) -> str:
        """The local day in ISO form, to sort by ("" first, as in evidence.packet)."""
        try:
            moment = self._parse(value) if value else None
        except ValueError:
            return str(value)
        if isinstance(moment, datetime.datetime):
            moment = moment.date()
        return moment.isoformat() if moment else ""


def choice_label(choices: type[models.TextChoices], value: Any) -> str:
    """The label of a stored value; an unknown value (a newer packet) prints as itself."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def audit_text(indexes: Iterable[int] | None) -> str:
    return ", ".join(str(i) for i in indexes or ())


def counted(n: int, one: str, many: str = "") -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def yes_no(value: Any) -> str:
    return "Yes" if value else "No"


def role_text(r: RoleRecord, clock: Clock) -> str:
    until = f"to {clock.when(r['ends_on'])}" if r.get("ends_on") else "ongoing"
    return f"{r['practitioner']}: {r['label']} (from {clock.when(r.get('starts_on'))}, {until})"


def referral_status_text(r: Mapping[str, Any], clock: Clock) -> str:
    status = r.get("status") or ""
    text = choice_label(ReferralStatus, status).lower() or "no status"
    day = r.get(f"{status}_on")  # accepted_on, declined_on, completed_on
    return f"{text} on {clock.when(day)}" if day else text


def recipient_text(d: Mapping[str, Any]) -> str:
    label = d.get("recipient_label") or choice_label(Recipient, d.get("recipient"))
    return f"{label} ({d['recipient_detail']})" if d.get("recipient_detail") else label


def also_text(prefix: str, value: Any) -> str:
    """``prefix`` and ``value`` when there is a value, else nothing."""
    return f"{prefix}{value}" if value else ""


def promise_status_text(x: Mapping[str, Any], clock: Clock) -> str:
    status = choice_label(PromiseStatus, x.get("status"))
    if x.get("closed_at"):
        status += f", {clock.when(x['closed_at'])}"
    return status + also_text(": ", x.get("closing_note"))


def signed_how_text(s: Mapping[str, Any], _: Clock) -> str:
    return choice_label(SignatureMethod, s.get("method")) + also_text(
        ", scan SHA-256 ", s.get("scan_sha256")
    )


def validity_text(z: Mapping[str, Any], clock: Clock) -> str:
    if z.get("revoked_at"):
        return f"Revoked {clock.when(z['revoked_at'])}"
    return f"Until {clock.when(z['expires_on'])}" if z.get("expires_on") else "No end date"


def fact_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "not given" if value is None else str(value).replace("_", " ")


Cell = Callable[[Mapping[str, Any], Clock], str]


Column = tuple[str, float, Cell]


def at_cell(key: str) -> Cell:
    return lambda row, clock: clock.when(row.get(key))


def text_cell(key: str, empty: str = "") -> Cell:
    return lambda row, _: str(row.get(key) or empty)


def choice_cell(key: str, choices: type[models.TextChoices]) -> Cell:
    return lambda row, _: choice_label(choices, row.get(key))


def rows_table(
    items: Sequence[Mapping[str, Any]] | None,
    columns: Sequence[Column],
    clock: Clock,
    empty: str,
    *,
    sort: bool = False,
) -> list[pdf.Block]:
    """One row per item, or the sentence ``empty`` when there is none."""
    items = items or []
    if sort:
        # evidence.packet sorts by the UTC text, where a day ("2026-11-04") can come before a moment
        # of the evening before in the practice's zone ("2026-11-04T03:40:00Z"); readers go by
        # the local day, so sort by it, keeping the packet's order within a day.
        items = sorted(items, key=lambda item: clock.local_day(item.get("at")))
    if not items:
        return [pdf.paragraph(empty)]
    rows = [[cell(item, clock) for _, _, cell in columns] for item in items]
    return [pdf.table([c[0] for c in columns], rows, widths=[c[1] for c in columns])]


AUDIT: Column = ("Audit", 0.6, lambda row, _: audit_text(row.get("audit")))
