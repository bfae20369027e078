"""Writes of passkeys: making one, signing in with one, renaming and removing one.

One module per step: ``registration``, ``signin``, ``edits``; ``common`` holds what they
share. Import from here or from the step's module.

Making a passkey (*registration*) and signing in with one (*authentication*) each take two
requests: ``begin_*`` gives the browser options with a new challenge, kept in the session
(``passkeys.session``), and ``finish_*`` checks the authenticator's answer against it. Only a
finish changes records, and it writes its audit entry in the same transaction. A begin
writes nothing but the session, so it is not audited (anyone may ask for a sign-in
challenge).

Like every change to how a user signs in (``accounts.actions``), making or removing a passkey
ends the user's other sessions.
"""

from __future__ import annotations

from groupguard.passkeys.actions.common import NAME_MAX, NO_AAGUID
from groupguard.passkeys.actions.edits import remove_passkey, rename_passkey
from groupguard.passkeys.actions.registration import begin_registration, finish_registration
from groupguard.passkeys.actions.signin import SignIn, begin_authentication, finish_authentication

__all__ = [
    "NAME_MAX",
    "NO_AAGUID",
    "SignIn",
    "begin_authentication",
    "begin_registration",
    "finish_authentication",
    "finish_registration",
    "remove_passkey",
    "rename_passkey",
]
