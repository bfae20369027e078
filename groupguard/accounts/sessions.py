"""Sign-in sessions: their two time limits, and ending all of a user's sessions at once.

A sign-in session ends after ``SESSION_COOKIE_AGE`` seconds without activity (the *idle*
limit, 15 minutes by default) and ``GROUPGUARD_SESSION_ABSOLUTE_SECONDS`` after the password
was entered, whatever the activity (the *absolute* limit, 12 hours by default). Two
timestamps in the session carry the clock: when the user signed in, and when activity last
restarted the idle timer ("touched", at most once a minute so a page view is not a write).

("Session" here is the browser's sign-in, not a group's meeting: see practice.models.sessions.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.utils import timezone

SIGNED_IN_AT = "_gg_signed_in_at"
TOUCHED_AT = "_gg_touched_at"
TOUCH_EVERY = 60  # seconds: the idle limit holds to within this, erring on the early side
WARN_BEFORE = 120  # seconds: the page warns this long before the idle limit


def idle_limit() -> int:
    return int(settings.SESSION_COOKIE_AGE)


def absolute_limit() -> int:
    return int(settings.GROUPGUARD_SESSION_ABSOLUTE_SECONDS)


def now() -> int:
    return int(time.time())


def is_signed_in(session: SessionBase) -> bool:
    return SESSION_KEY in session


def start_clock(session: SessionBase) -> None:
    """Called at every password sign-in: both limits count from here."""
    session[SIGNED_IN_AT] = session[TOUCHED_AT] = now()


def touch(session: SessionBase, *, force: bool = False) -> None:
    """Restart the idle timer (at most once a minute unless forced)."""
    current = now()
    if force or current - int(session.get(TOUCHED_AT, 0)) >= TOUCH_EVERY:
        session[TOUCHED_AT] = current


@dataclass(frozen=True)
class TimeLeft:
    idle: int
    absolute: int

    @property
    def expired(self) -> str | None:
        """Which limit has passed: "absolute", "idle" or None."""
        if self.absolute <= 0:
            return "absolute"
        if self.idle <= 0:
            return "idle"
        return None

    def as_json(self) -> dict[str, int]:
        return {"idle_seconds": max(self.idle, 0), "absolute_seconds": max(self.absolute, 0)}


def time_left(session: SessionBase) -> TimeLeft:
    """Seconds left before each limit. A signed-in session without a clock (one from before
    the limits existed) counts as expired."""
    current = now()
    signed_in = int(session.get(SIGNED_IN_AT, 0))
    touched = int(session.get(TOUCHED_AT, signed_in))
    return TimeLeft(
        idle=touched + idle_limit() - current, absolute=signed_in + absolute_limit() - current
    )


def end_sessions(user_id: int, *, keep: str | None = None) -> int:
    """Delete every live sign-in session of a user except ``keep`` (a session key), and return
    how many ended.

    Sessions are stored in the database without an index on their user, but only sessions
    active within the idle limit are live, so the scan is over the people signed in now.
    """
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key == keep:
            continue
        if session.get_decoded().get(SESSION_KEY) == str(user_id):
            session.delete()
            ended += 1
    return ended


REAUTHENTICATED_AT = "_gg_reauthenticated_at"
REAUTH_WINDOW = 5 * 60  # seconds to act after giving the password and a code again


def mark_reauthenticated(session: SessionBase) -> None:
    """The user just gave their password and a code again (before changing how they sign
    in)."""
    session[REAUTHENTICATED_AT] = now()


def recently_reauthenticated(session: SessionBase) -> bool:
    return now() - int(session.get(REAUTHENTICATED_AT, 0)) <= REAUTH_WINDOW


def end_reauthentication(session: SessionBase) -> None:
    session.pop(REAUTHENTICATED_AT, None)
