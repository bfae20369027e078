"""What every section collector shares: the subject, the redactor, the audit entries by
record, the period, and the timeline the sections add their events to."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, overload

from groupguard.audit.models import AuditEntry, AuditLog, Checkpoint
from groupguard.evidence.packet_model import TimelineEvent
from groupguard.evidence.redact import Redactor
from groupguard.practice.models import Member

READ_SUFFIXES = (".view", ".list", ".export")


@overload
def iso(value: datetime.datetime | datetime.date) -> str: ...
@overload
def iso(value: datetime.datetime | datetime.date | None) -> str | None: ...
def iso(value: datetime.datetime | datetime.date | None) -> str | None:
    """UTC in ISO 8601 for a moment (``...Z``), ``YYYY-MM-DD`` for a day, None for None."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


class Audit:
    """The subject's audit entries below the checkpoint, by the object they recorded."""

    def __init__(self, log: AuditLog | None, checkpoint: Checkpoint | None, member: Member):
        self.log = log
        self.checkpoint = checkpoint
        self.by_object: dict[str, list[int]] = defaultdict(list)
        self.reads = 0
        self.cited: set[int] = set()
        if log is None or checkpoint is None:
            return
        rows = AuditEntry.objects.filter(
            log=log, member_id=member.id, index__lt=checkpoint.tree_size
        ).values_list("index", "action", "object_id")
        for index, action, object_id in rows.order_by("index"):
            if action.endswith(READ_SUFFIXES):
                self.reads += 1
                continue
            self.by_object[object_id].append(index)

    def add_objects(self, ids: Iterable[str]) -> None:
        """Entries about records that carry no member (a published agreement version)."""
        wanted = [i for i in ids if i not in self.by_object]
        if self.log is None or self.checkpoint is None or not wanted:
            return
        rows = AuditEntry.objects.filter(
            log=self.log, object_id__in=wanted, index__lt=self.checkpoint.tree_size
        ).values_list("index", "object_id")
        for index, object_id in rows.order_by("index"):
            self.by_object[object_id].append(index)

    def of(self, *objects: Any) -> list[int]:
        found: set[int] = set()
        for obj in objects:
            found.update(self.by_object.get(str(obj), ()))
        self.cited |= found
        return sorted(found)


def within(
    moment: datetime.datetime | datetime.date | None,
    start: datetime.date | None,
    end: datetime.date | None,
) -> bool:
    if moment is None:
        return True
    day = moment.date() if isinstance(moment, datetime.datetime) else moment
    return (start is None or day >= start) and (end is None or day <= end)


@dataclass
class Collecting:
    """One packet being collected: each section reads the subject's records through this."""

    member: Member
    red: Redactor
    audit: Audit
    start: datetime.date | None
    end: datetime.date | None
    # The member's groups by id, for naming them in agreements and signatures.
    groups: dict[Any, Any] = field(default_factory=dict)
    _events: list[TimelineEvent] = field(default_factory=list)
    _order: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tz = self.member.practice.tz  # once: every record and event asks for its day

    def local_day(self, moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(self.tz).date()

    def inside(self, moment: datetime.datetime | datetime.date | None) -> bool:
        """Whether ``moment`` falls in the packet's period (by the practice's calendar)."""
        if isinstance(moment, datetime.datetime):
            return within(self.local_day(moment), self.start, self.end)
        return within(moment, self.start, self.end)

    def event(
        self,
        at: datetime.datetime | datetime.date | None,
        kind: str,
        title: str,
        ref: Any,
        detail: str = "",
        refs: Iterable[Any] = (),
    ) -> None:
        """Add a timeline event about the record ``ref``."""
        day = self.local_day(at) if isinstance(at, datetime.datetime) else at
        self._order.append((iso(day) or "", iso(at) or ""))
        self._events.append(
            {
                "at": iso(at),
                "kind": kind,
                "title": title,
                "detail": detail,
                "ref": {"type": kind.split(".")[0], "id": str(ref)},
                "audit": self.audit.of(ref, *refs),
            }
        )

    def timeline(self) -> list[TimelineEvent]:
        """The events in order: by the practice's calendar day first (an evening contact in
        California is on that day, although its UTC time is the next), then by the time."""
        ranked = sorted(
            range(len(self._events)),
            key=lambda i: (
                *self._order[i],
                self._events[i]["kind"],
                self._events[i]["ref"]["id"],
            ),
        )
        return [self._events[i] for i in ranked]
