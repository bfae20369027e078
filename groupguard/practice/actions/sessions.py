"""Group sessions: scheduling and their status (attendance is ``agreements.attendance``: the
agreement gates it).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from groupguard.accounts.models import User
from groupguard.audit.log import Actor, record
from groupguard.practice.actions.common import validate
from groupguard.practice.models import (
    Group,
    GroupSession,
)
from groupguard.practice.models.sessions import SessionStatus


@transaction.atomic
def schedule_session(
    group: Group,
    *,
    starts_at: datetime.datetime,
    duration_minutes: int = 90,
    location: str = "",
    telehealth: bool = False,
    status: str = SessionStatus.SCHEDULED,
    acting_user: User | None,
) -> GroupSession:
    session = GroupSession(
        group=group,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        location=location,
        telehealth=telehealth,
        status=status,
    )
    validate(session)
    if not (1 <= duration_minutes <= 600):
        raise ValidationError({"duration_minutes": "A session lasts between 1 and 600 minutes."})
    session.save()
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user) if acting_user else Actor("system"),
        action="session.create",
        obj=session,
        fields=["starts_at", "duration_minutes", "location", "telehealth", "status"],
        detail={"group": str(group.id)},
    )
    return session


@transaction.atomic
def set_session_status(session: GroupSession, *, status: str, acting_user: User) -> GroupSession:
    if status not in SessionStatus.values:
        raise ValidationError({"status": f"Choose one of {', '.join(SessionStatus.values)}."})
    if session.status == status:
        return session
    session.status = status
    session.save(update_fields=["status", "updated_at"])
    record(
        practice_id=session.group.practice_id,
        actor=Actor.user(acting_user),
        action="session.update",
        obj=session,
        fields=["status"],
        detail={"status": status},
    )
    return session
