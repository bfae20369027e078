"""What a sign-in session keeps for passkeys: the challenge of a ceremony under way, and when
the user last proved, on this session, that they are who it says.

A *ceremony* is one use of an authenticator: *registration* makes a passkey, *authentication*
signs with one. Each starts with a random challenge that the authenticator signs. The
challenge stays here, on the server, and is taken out as soon as an answer comes back, right
or wrong, so each is used once; it also expires after ``CHALLENGE_SECONDS``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from django.contrib.sessions.backends.base import SessionBase

from groupguard.accounts import sessions as account_sessions
from groupguard.passkeys.relying_party import RelyingParty

Purpose = Literal["register", "second_step", "passwordless"]

CHALLENGE_SECONDS = 5 * 60
# What the browser is told: how long to wait for the person at the authenticator.
CEREMONY_TIMEOUT_MS = 2 * 60 * 1000
_CHALLENGES = "_gg_passkey_challenges"
CONFIRMED_AT = "_gg_passkey_confirmed_at"


@dataclass(frozen=True)
class Challenge:
    """A challenge sent to a browser, and what the answer must match."""

    purpose: Purpose
    value: str  # base64url
    user_id: int | None  # the user it was made for; None for a sign-in without a password
    rp: RelyingParty
    expires: int  # seconds since the epoch
    user_handle: str = ""  # registration: the WebAuthn user.id the options gave (base64url)

    @property
    def expired(self) -> bool:
        return time.time() >= self.expires


def keep(session: SessionBase, challenge: Challenge) -> None:
    """Store a challenge, replacing any earlier one of the same purpose (one ceremony at a
    time of each kind per session)."""
    pending = dict(session.get(_CHALLENGES, {}))
    pending[challenge.purpose] = {
        "value": challenge.value,
        "user": challenge.user_id,
        "rp": [challenge.rp.id, challenge.rp.origin, challenge.rp.name],
        "expires": challenge.expires,
        "handle": challenge.user_handle,
    }
    session[_CHALLENGES] = pending


def take(session: SessionBase, purpose: Purpose) -> Challenge | None:
    """Remove and return the challenge of ``purpose``: whatever happens next, it is spent."""
    pending = dict(session.get(_CHALLENGES, {}))
    stored = pending.pop(purpose, None)
    if stored is None:
        return None
    session[_CHALLENGES] = pending
    rp_id, origin, name = stored["rp"]
    return Challenge(
        purpose=purpose,
        value=str(stored["value"]),
        user_id=stored["user"],
        rp=RelyingParty(id=rp_id, origin=origin, name=name),
        expires=int(stored["expires"]),
        user_handle=str(stored.get("handle", "")),
    )


def new_expiry() -> int:
    return int(time.time()) + CHALLENGE_SECONDS


# --- Proving it is you, again -------------------------------------------------------------
# Adding or removing a passkey changes how one signs in, so, like a new authenticator app
# (accounts.sessions.mark_reauthenticated), it needs proof from the last few minutes: the
# password given again, or a second step (a code or a passkey) just taken.


def mark_confirmed(session: SessionBase) -> None:
    session[CONFIRMED_AT] = int(time.time())


def recently_confirmed(session: SessionBase) -> bool:
    confirmed_at = int(session.get(CONFIRMED_AT, 0))
    return (
        time.time() - confirmed_at <= account_sessions.REAUTH_WINDOW
        or account_sessions.recently_reauthenticated(session)
    )
