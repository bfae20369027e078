"""The audit history of the scale practice (``seed_scale(audit_entries=N)``).

``audit_entries`` generated entries of the kinds the product writes (members, groups and
sessions viewed, contacts written and read, attendance taken, sign-ins), each naming seeded
objects and a staff user, stamped over the two years the calendar covers, in index order. They
are real entries, not placeholders: canonical leaf bytes, leaf hashes, the signed head of every
entry, the stored subtree nodes, a checkpoint every ``GROUPGUARD_CHECKPOINT_EVERY`` entries and
the log's size and peaks, exactly what ``audit.log.record()`` would have stored, so
``groupguard audit verify`` passes and later appends continue the same tree (see
``AuditWriter``). Only the computing is batched: hashes and roots are built incrementally in
Python, and rows go in by COPY on PostgreSQL.
"""

from __future__ import annotations

import base64
import datetime
import itertools
import random
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models

from groupguard.audit.checkpoints import (
    entry_head_body,
    key_id_for,
    origin_for_name,
    signed_body,
    signing_key,
)
from groupguard.audit.jcs import canonicalize

# The column lists and time format record() uses, so generated rows match its rows exactly.
from groupguard.audit.log import (
    ENTRY_COLUMNS,
    ENTRY_VERSION,
    NODE_COLUMNS,
    append_to_peaks,
    log_name_for,
    rfc3339,
    split_peaks,
)
from groupguard.audit.merkle import RootBuilder, leaf_hash
from groupguard.audit.models import AuditEntry, AuditLog, AuditNode, Checkpoint
from groupguard.practice.models.sessions import SessionStatus

HISTORY_DAYS = 730  # the calendar (and this history) reach back about two years
AUDIT_BATCH = 10_000  # generated audit entries per insert round
CHECKPOINT_BATCH = 2000


# The audit history: what the staff did over two years, by kind of entry (weights).
AUDIT_ACTIONS = {
    "member.view": 30,
    "attendance.create": 20,
    "group.view": 12,
    "contact.create": 10,
    "contact.view": 10,
    "groupsession.view": 6,
    "attendance.update": 4,
    "auth.login": 4,
    "session.update": 3,
    "auth.logout": 1,
}

# (time, acting user id, action, object type, object id, fields, member id, detail): the
# arguments of one record() call, before the entry has an index.
_Draft = tuple[datetime.datetime, int, str, str, str, list[str], Any, dict[str, Any]]


@dataclass
class AuditRefs:
    """The seeded rows the generated history names: ids, and who would have acted."""

    admin: int
    members: list[tuple[Any, int]]  # member id, the lead of their first group
    groups: list[tuple[Any, int]]  # group id, its lead
    sessions: list[tuple[Any, int]]  # held session id, its group's lead
    contacts: list[tuple[Any, Any]]  # contact, member id
    attendance: list[tuple[Any, Any, Any, str, int]]  # id, session, member, status, recorder
    staff: list[int]


def audit_history(
    rng: random.Random,
    refs: AuditRefs,
    count: int,
    now: datetime.datetime,
    tz: zoneinfo.ZoneInfo,
) -> Iterator[_Draft]:
    """``count`` entries spread evenly over the calendar's two years up to ``now``.

    Each has the action, object, fields, member and detail the real action writes (see
    ``practice.actions``, ``contacts.actions``, ``audit.reads.record_view`` and the sign-in
    signals); values are never logged, so neither are they here. Mostly the group's lead acts,
    sometimes the admin.
    """
    pools: dict[str, list[Any]] = {
        "member": refs.members,
        "attendance": refs.attendance,
        "group": refs.groups,
        "contact": refs.contacts,
        "groupsession": refs.sessions,
        "session": refs.sessions,
        "auth": refs.staff,
    }
    weights = {a: w for a, w in AUDIT_ACTIONS.items() if pools[a.split(".")[0]]}
    actions, cumulative = list(weights), list(itertools.accumulate(weights.values()))
    start = now - datetime.timedelta(days=HISTORY_DAYS)
    step = (now - start) / (count + 1)
    for i in range(count):
        when = start + step * (i + 1)
        action = rng.choices(actions, cum_weights=cumulative)[0]
        kind = action.split(".")[0]
        pick = rng.choice(pools[kind])
        by_admin = rng.random() < 0.1
        if kind in ("member", "group", "groupsession", "session"):
            obj_id, lead = pick
            actor = refs.admin if by_admin else lead
            if kind == "member":
                yield when, actor, action, "member", str(obj_id), [], obj_id, {}
            elif kind == "session":  # a session's status set after it was held
                detail: dict[str, Any] = {"status": SessionStatus.HELD.value}
                yield when, actor, action, "groupsession", str(obj_id), ["status"], None, detail
            else:
                yield when, actor, action, kind, str(obj_id), [], None, {}
        elif kind == "contact":
            contact, member_id = pick
            actor = contact.facilitator_id
            if action == "contact.view":
                actor = refs.admin if by_admin else actor
                yield when, actor, action, "contact", str(contact.pk), [], member_id, {}
                continue
            detail = {
                "group": str(contact.group_id),
                "setting": contact.setting,
                "request": contact.request,
                "detected": contact.detected_request,
                "responses": [
                    name
                    for name in (
                        "reminded_agreement",
                        "offered_referral",
                        "promised_confidentiality",
                    )
                    if getattr(contact, name)
                ],
                "sha256": contact.content_sha256,
            }
            yield when, actor, action, "contact", str(contact.pk), ["summary"], member_id, detail
        elif kind == "attendance":
            row_id, session_id, member_id, status, recorder = pick
            detail = {"session": str(session_id), "status": str(status)}
            yield when, recorder, action, "attendance", str(row_id), ["status"], member_id, detail
        else:  # auth.login, auth.logout: the object is the user
            yield when, pick, action, "user", str(pick), [], None, {}


class AuditWriter:
    """Appends generated entries to a practice's log, storing what ``record()`` stores.

    The same functions as ``record()`` make the leaf bytes, leaf hash, peaks, completed nodes
    and signed entry head, and a checkpoint is made wherever ``record()`` would make one; only
    the inserts are batched (COPY on PostgreSQL, executemany on SQLite).
    """

    def __init__(self, practice_id: Any) -> None:
        self.name = log_name_for(practice_id)
        self.origin = origin_for_name(self.name)
        self.key = signing_key()
        self.key_id = key_id_for(self.key.public_key())
        self.every: int = settings.GROUPGUARD_CHECKPOINT_EVERY

    def write(self, drafts: Iterable[_Draft]) -> int:
        """Append the entries in order (inside the caller's transaction); returns how many."""
        log = AuditLog.objects.select_for_update().get(name=self.name)
        first = index = log.size
        peaks = split_peaks(bytes(log.peaks))
        adapt_time = connection.ops.adapt_datetimefield_value
        member_field: Any = AuditEntry._meta.get_field("member_id")
        entries: list[tuple[Any, ...]] = []
        nodes: list[tuple[Any, ...]] = []
        checkpoints: list[Checkpoint] = []
        for when, actor, action, object_type, object_id, fields, member_id, detail in drafts:
            entry = {
                "v": ENTRY_VERSION,
                "log": self.name,
                "index": index,
                "time": rfc3339(when),
                "actor": {"kind": "user", "id": str(actor)},
                "action": action,
                "object": {"type": object_type, "id": object_id},
                "fields": fields,
                "member": str(member_id) if member_id else None,
                "ip": f"192.0.2.{10 + actor % 200}",  # TEST-NET-1: one made-up desk per user
                "severity": "info",
                "detail": detail,
            }
            leaf = canonicalize(entry)
            lh = leaf_hash(leaf)
            peaks, completed = append_to_peaks(peaks, index, lh)
            size = index + 1
            root = RootBuilder(size, peaks).root()
            signature = self.key.sign(entry_head_body(self.origin, size, root, self.key_id))
            entries.append(
                (
                    log.pk, index, leaf, lh, root, signature, self.key_id, adapt_time(when),
                    action, actor, object_type, object_id,
                    member_field.get_db_prep_value(member_id, connection), "info",
                )
            )  # fmt: skip
            nodes.extend((log.pk, level, node, h) for level, node, h in completed)
            if self.every and size % self.every == 0:
                checkpoints.append(self._checkpoint(log, size, root, when))
            index = size
            if len(entries) >= AUDIT_BATCH:
                self._insert(AuditEntry, ENTRY_COLUMNS, entries)
                self._insert(AuditNode, NODE_COLUMNS, nodes)
                entries, nodes = [], []
        self._insert(AuditEntry, ENTRY_COLUMNS, entries)
        self._insert(AuditNode, NODE_COLUMNS, nodes)
        Checkpoint.objects.bulk_create(checkpoints, batch_size=CHECKPOINT_BATCH)
        AuditLog.objects.filter(pk=log.pk).update(size=index, peaks=b"".join(peaks))
        return index - first

    def _checkpoint(
        self, log: AuditLog, size: int, root: bytes, when: datetime.datetime
    ) -> Checkpoint:
        """The checkpoint ``checkpoints.make_checkpoint`` signs, stamped when it was due."""
        body: dict[str, Any] = {
            "origin": self.origin,
            "tree_size": size,
            "root_hash": root.hex(),
            "timestamp": when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "key_id": self.key_id,
        }
        body["signature"] = base64.b64encode(self.key.sign(signed_body(body))).decode("ascii")
        return Checkpoint(log=log, **body)

    @staticmethod
    def _insert(model: type[models.Model], columns: tuple[str, ...], rows: list[Any]) -> None:
        if not rows:
            return
        table = model._meta.db_table
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        if connection.vendor == "postgresql":
            # COPY is several times faster than multi-row INSERTs for a million entries.
            with (
                connection.connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
