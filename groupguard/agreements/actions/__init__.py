"""Writes of the group agreement. Each is atomic and writes its audit entry.

One module per noun: ``statements`` (drafts, clauses, publishing a version),
``links`` (signing links and the identity check), ``signatures`` (signing, scans, withdrawals,
revisits); attendance, gated on the agreement, is ``agreements.attendance``. Import from here or
from the noun's module.
"""

from __future__ import annotations

from groupguard.agreements.actions.links import (
    LINK_DAYS,
    MAX_IDENTITY_FAILURES,
    STOPPED,
    IdentityAnswer,
    LinkProblem,
    check_identity,
    ensure_usable,
    issue_signing_link,
    link_for_token,
    revoke_signing_link,
)
from groupguard.agreements.actions.signatures import (
    MAX_SCAN_BYTES,
    SCAN_TYPES,
    check_scan,
    detect_scan_type,
    record_revisit,
    record_signature,
    sign_with_link,
    withdraw_consent,
)
from groupguard.agreements.actions.statements import (
    add_custom_clause,
    draft_for,
    preview,
    publish,
    save_draft,
)

__all__ = [
    "IdentityAnswer",
    "LINK_DAYS",
    "LinkProblem",
    "MAX_IDENTITY_FAILURES",
    "MAX_SCAN_BYTES",
    "SCAN_TYPES",
    "STOPPED",
    "add_custom_clause",
    "check_identity",
    "check_scan",
    "detect_scan_type",
    "draft_for",
    "ensure_usable",
    "issue_signing_link",
    "link_for_token",
    "preview",
    "publish",
    "record_revisit",
    "record_signature",
    "revoke_signing_link",
    "save_draft",
    "sign_with_link",
    "withdraw_consent",
]
