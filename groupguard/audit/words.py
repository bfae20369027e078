"""An audit entry's action code ("signing_link.revoke") in the words a facilitator uses
("Signing link withdrawn"). The code stays the record; the words are how a page shows it."""

from __future__ import annotations

# What was acted on. A model name (``record_view`` builds "<model>.view") reads the same way.
NOUNS = {
    "accounting": "Disclosure accounting",
    "agreement": "Agreement",
    "api_token": "API token",
    "apitoken": "API token",
    "assessment": "“May I raise this?”",
    "attendance": "Attendance",
    "audit": "Audit log",
    "audit_log": "Audit log",
    "auth": "Sign-in",
    "authorization": "Member's authorization",
    "break_glass": "Emergency access",
    "breakglassgrant": "Emergency access",
    "checkpoint": "Audit checkpoint",
    "clause": "Practice clause",
    "complaint": "Complaint",
    "consent": "Consent",
    "contact": "Contact",
    "dashboard": "Dashboard",
    "disclosure": "Disclosure",
    "enrollment": "Enrolment",
    "group": "Group",
    "groupsession": "Session",
    "key": "Encryption key",
    "keys": "Encryption keys",
    "member": "Member",
    "mfa": "Second step",
    "packet": "Evidence packet",
    "packetbuild": "Evidence packet",
    "passkey": "Passkey",
    "practice": "Practice",
    "practitioner": "Practitioner",
    "promise": "Promise",
    "referral": "Referral",
    "role": "Role",
    "session": "Session",
    "signature": "Signature",
    "signing_link": "Signing link",
    "signinglink": "Signing link",
    "statement": "Agreement",
    "statementversion": "Agreement version",
    "user": "Staff member",
}

# What was done to it.
VERBS = {
    "activate": "activated or deactivated",
    "amend": "amended",
    "choice": "answer recorded",
    "close": "closed",
    "create": "recorded",
    "draft_save": "draft saved",
    "end": "ended",
    "enrol": "set up",
    "export": "exported",
    "facilitator_add": "facilitator added",
    "identity_failed": "identity check failed",
    "list": "list viewed",
    "lockout": "locked after failed attempts",
    "login": "signed in",
    "login_failed": "failed",
    "logout": "signed out",
    "mfa": "second step passed",
    "mfa_failed": "second step failed",
    "offer": "offered",
    "open": "opened",
    "override": "exception granted",
    "password_change": "password changed",
    "password_reset": "password reset",
    "publish": "published",
    "recovery_codes": "recovery codes issued",
    "reseal": "re-encrypted",
    "record": "recorded",
    "remove": "removed",
    "rename": "renamed",
    "replace": "replaced",
    "reset": "reset by the admin",
    "review": "reviewed",
    "revisit": "limits revisited with the group",
    "revoke": "withdrawn",
    "rotate": "rotated",
    "seed_scale": "test data seeded",
    "stop": "stopped",
    "update": "changed",
    "verify": "verified",
    "view": "viewed",
    "withdraw": "withdrawn",
    "build": "built",
    "download": "downloaded",
}


# Codes whose noun and verb together would read badly.
WHOLE = {
    "agreement.revisit": "Limits of confidentiality revisited with the group",
    "auth.lockout": "Account locked after failed attempts",
    "auth.login": "Signed in",
    "auth.login_failed": "Sign-in failed",
    "auth.logout": "Signed out",
    "auth.mfa": "Second step passed",
    "auth.mfa_failed": "Second step failed",
    "auth.password_change": "Password changed",
    "auth.password_reset": "Password reset",
    "practice.seed_scale": "Test practice seeded",
}


def action_words(action: str) -> str:
    """``action`` in plain words; a code this table does not know reads as its own words
    ("group.archive" -> "Group archive"), never as an error."""
    if action in WHOLE:
        return WHOLE[action]
    noun, _, verb = action.partition(".")
    subject = NOUNS.get(noun) or noun.replace("_", " ").capitalize()
    if not verb:
        return subject
    return f"{subject} {VERBS.get(verb) or verb.replace('_', ' ').replace('.', ' ')}"
