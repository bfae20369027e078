"""The audit signing key, checked against the log before it signs anything.

A key that did not sign the newest entry of every log is refused, and a new key is made only
for an empty log: a replaced key would sign entries that the old public key cannot verify, and
a missing one would split the log's history in two (``core.keys`` does the same for the
encryption keyring).
"""

from __future__ import annotations

from groupguard.audit.models import AuditEntry, AuditLog
from groupguard.core.crypto import KeyConfigurationError
from groupguard.core.keys import existing_tables, ids_of


def audit_signing_key_ids() -> dict[str, list[str]]:
    """The key id that signed the newest entry of each audit log, with the logs' names."""
    tables = existing_tables()
    if "audit_auditentry" not in tables or "audit_auditlog" not in tables:
        return {}
    heads = list(AuditLog.objects.filter(size__gt=0).values_list("id", "name", "size"))
    names = {log_id: name for log_id, name, _ in heads}
    found: dict[str, list[str]] = {}
    for start in range(0, len(heads), 200):
        batch = heads[start : start + 200]
        newest = AuditEntry.objects.none()
        for log_id, _name, size in batch:
            newest = newest | AuditEntry.objects.filter(log_id=log_id, index=size - 1)
        for log_id, kid in newest.values_list("log_id", "key_id"):
            found.setdefault(kid, []).append(names[log_id])
    return found


def require_audit_key(key_id: str, *, generating: bool) -> None:
    """Refuse an audit signing key that did not sign the newest entry of every log."""
    stored = audit_signing_key_ids()
    if generating and stored:
        raise KeyConfigurationError(
            "the audit signing key file is missing, but the audit log holds entries signed "
            f"with key id(s) {ids_of(stored)}: restore the key file (GROUPGUARD_AUDIT_KEY_FILE); "
            "a new key is made only for an empty audit log"
        )
    other = {kid: logs for kid, logs in stored.items() if kid != key_id}
    if other:
        raise KeyConfigurationError(
            f"the audit signing key (key id {key_id!r}) is not the one that signed the newest "
            f"entries ({ids_of(other)}): restore the right key file (GROUPGUARD_AUDIT_KEY_FILE)"
        )
