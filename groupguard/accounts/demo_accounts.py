"""The demo practice's accounts: their published password and authenticator secret, and how
sign-in tells them apart (they sign in only on a server in demo mode, ``accounts.backends``).

The demo itself is built by ``groupguard.demo``; these few names live here because the
accounts layer reads them and may not import the demo package above it.
"""

from __future__ import annotations

from groupguard.accounts.models import User

DEMO_SLUG = "demo"
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105  (demo mode only, printed on purpose)
# Every demo account's authenticator app shares this published secret (base32, as an app asks
# for it). In demo mode the code step shows the current code; outside demo mode the demo's
# accounts cannot sign in at all (accounts.backends).
DEMO_TOTP_SECRET = "GROUPGUARDDEMOSECRETFORDEMOSONLY"  # noqa: S105  (published on purpose)


def is_demo_account(user: User) -> bool:
    """A staff account of the demo practice, whose password and authenticator are public."""
    practice = user.practice if user.practice_id is not None else None
    return practice is not None and practice.slug == DEMO_SLUG
