"""Is a sign-in locked out? Read from the failures of the last few minutes.

Two counters, both over a sliding window of ``GROUPGUARD_LOCKOUT_MINUTES``:

- the **client** counter: failures for one user name from one address. It stops a guesser
  quickly without touching anyone else, so colleagues behind the same office address keep
  signing in (nothing ever counts failures by address alone).
- the **account** counter: failures for one user name from every address together, with a
  higher threshold. It caps a guesser who spreads over many addresses, or who forges them, at
  a fixed number of tries per window, whatever the addresses say.

A locked sign-in is refused before the password is checked and is not counted again, so a
lockout ends on its own once the oldest counted failure leaves the window.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from groupguard.core.usernames import normalize_username
from groupguard.lockout.models import LoginFailure


@dataclass(frozen=True)
class Lockout:
    """Why sign-in is refused and until when."""

    scope: str  # "client" (this name from this address) or "account" (this name everywhere)
    until: datetime.datetime

    def minutes_left(self, now: datetime.datetime | None = None) -> int:
        seconds = (self.until - (now or timezone.now())).total_seconds()
        return max(1, math.ceil(seconds / 60))

    def seconds_left(self, now: datetime.datetime | None = None) -> int:
        seconds = (self.until - (now or timezone.now())).total_seconds()
        return max(1, math.ceil(seconds))


def window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.GROUPGUARD_LOCKOUT_MINUTES)


def account_key(username: str) -> str:
    """The stored stand-in for a user name: the same for every spelling that signs in as the
    same account (``Ada``, `` ada``, full-width ``ａｄａ``: see accounts.usernames), and
    unreadable."""
    normal = normalize_username(username)
    return salted_hmac("groupguard.lockout.account", normal, algorithm="sha256").hexdigest()


def lockout_for(
    *, username: str, client: str | None, now: datetime.datetime | None = None
) -> Lockout | None:
    """The lockout in force for this user name from this address, or None (one query)."""
    now = now or timezone.now()
    span = window()
    failures = list(
        LoginFailure.objects.filter(account=account_key(username), failed_at__gt=now - span)
        .order_by("failed_at")
        .values_list("client", "failed_at")
    )
    counters = [
        ("client", [at for where, at in failures if where == (client or "")]),
        ("account", [at for _, at in failures]),
    ]
    limits = {
        "client": settings.GROUPGUARD_LOCKOUT_CLIENT_FAILURES,
        "account": settings.GROUPGUARD_LOCKOUT_ACCOUNT_FAILURES,
    }
    found: Lockout | None = None
    for scope, times in counters:
        limit = limits[scope]
        if len(times) >= limit:
            # Locked until enough failures have aged out to leave one try below the limit.
            until = times[len(times) - limit] + span
            if found is None or until > found.until:
                found = Lockout(scope, until)
    return found
