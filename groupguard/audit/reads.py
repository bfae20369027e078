"""The one way to audit a read: ``record_view`` records that member information was shown.

Every face (page, API answer, CLI output) that shows a member's information calls it; none
imports ``audit.log``'s writer for a read. One entry per member concerned, so each member's
history lists who read about them, in a transaction of its own when the caller has none.

- a record shown (a page, an API object): ``record_view(user=..., practice_id=..., obj=x,
  member_id=m.id)``; the action is ``<model>.view``;
- a list that showed free text: ``record_view(..., action="contact.list",
  object_type="contact", member_ids=[m.id], detail={"count": n})``;
- the CLI, which may act as the system: ``user=None``, ``detail={"via": "cli"}``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction

from groupguard.audit.log import SYSTEM, Actor, record
from groupguard.audit.models import Severity

__all__ = ["record_view"]


def record_view(
    *,
    user: Any,
    practice_id: uuid.UUID | None,
    obj: models.Model | None = None,
    action: str | None = None,
    object_type: str | None = None,
    member_id: uuid.UUID | None = None,
    member_ids: Iterable[uuid.UUID | None] | None = None,
    detail: Mapping[str, Any] | None = None,
    severity: str = Severity.INFO,
) -> None:
    """Record that ``user`` (None: the system, for the CLI) was shown member information:
    ``obj`` or a list of ``object_type``, for each of ``member_ids`` (or ``member_id``)."""
    if action is None:
        if obj is None:
            raise ValueError("record_view needs an action when no object is given")
        action = f"{obj._meta.model_name}.view"
    who = SYSTEM if user is None else Actor.user(user)
    concerned = list(member_ids) if member_ids is not None else [member_id]
    extra = {k: v for k, v in (detail or {}).items() if v is not None} or None
    with transaction.atomic():
        for member in concerned or [None]:
            record(
                practice_id=practice_id,
                actor=who,
                action=action,
                obj=obj,
                object_type=object_type,
                member_id=member,
                detail=dict(extra) if extra else None,
                severity=severity,
            )
