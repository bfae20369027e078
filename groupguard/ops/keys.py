"""The keys a server needs, loaded and checked before it serves."""

from __future__ import annotations

from groupguard.audit.checkpoints import signing_key
from groupguard.core.crypto import configured_keyring


def load_keys() -> None:
    """Load the encryption keyring and the audit signing key now, refusing wrong or missing
    ones: a server calls this before it serves, so it never starts on the wrong keys."""
    configured_keyring()
    signing_key()
