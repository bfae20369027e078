"""Writes of contacts, amendments, promises and referrals. Each is atomic and audited.

The audit entries carry no free text: the kind of contact, the request, the responses, and
the SHA-256 of the entry's content, which is how an entry is signed (the audit log's entries
are themselves signed and chained).

One module per noun: ``contacts`` (logging, editing, amending, reading), ``promises`` and
``referrals``; ``common`` holds the checks and the audit helper they share. Import from here or
from the noun's module.
"""

from __future__ import annotations

from groupguard.contacts.actions.contacts import (
    CLOCK_SKEW,
    EDITABLE,
    amend_contact,
    amendment_sha256,
    content_sha256,
    edit_contact,
    log_contact,
    member_ids_of,
    record_view,
)
from groupguard.contacts.actions.promises import close_promise
from groupguard.contacts.actions.referrals import offer_referral, update_referral

__all__ = [
    "CLOCK_SKEW",
    "EDITABLE",
    "amend_contact",
    "amendment_sha256",
    "close_promise",
    "content_sha256",
    "edit_contact",
    "log_contact",
    "member_ids_of",
    "offer_referral",
    "record_view",
    "update_referral",
]
