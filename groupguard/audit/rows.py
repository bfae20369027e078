"""Records that prove they were not edited: each audited write binds the rows it stored.

The audit log proves the log. To prove the records too, every audit entry carries the
**row digests** of the record rows its action saved in the same transaction:

    "rows": [{"table": "contacts_contact", "id": "<pk>", "sha256": "<hex>"}, ...]

A row digest is the SHA-256 of the RFC 8785 canonical JSON of ``{"table", "id", "row"}``,
where ``row`` maps every stored column to the value as stored: ciphertext for encrypted
fields (so the log learns nothing about the plaintext), times in UTC with microseconds, ids
and decimals as text, bytes as base64. A deleted row is bound with ``"sha256": null``.

Which rows: every ``DomainModel`` row (the records of the practice). A row saved through
``Model.save()`` inside a transaction is *pending* until the next ``audit.log.record()`` in
that transaction binds it; a rolled-back transaction's pending rows are dropped. Writes that
bypass ``save()`` (``QuerySet.update``, raw SQL, a database client) bind nothing, so
``verify_records`` names the row: its stored state no longer matches its newest binding, or it
was never bound at all.

A write never builds on a row changed outside the application: before an update or a delete,
the row as stored must match its newest binding (checked against that entry's leaf), or the
write is refused with ``RecordAltered`` and nothing is saved. Otherwise a later legitimate
save would bind the edited values and launder them.

Key rotation re-seals ciphertext through ``save()`` and records an entry per batch, so the
rows it changed are bound again under their new ciphertext (``core.rotation``).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import decimal
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models.signals import post_delete, post_init, post_save, pre_delete, pre_save

from groupguard.audit.jcs import canonicalize
from groupguard.audit.models import AuditEntry, RowBinding

_PENDING = "_groupguard_pending_rows"
BATCH = 2000


def is_bound(model: type[models.Model]) -> bool:
    """Whether rows of ``model`` are bound into the audit entries that write them."""
    from groupguard.core.models import DomainModel

    return issubclass(model, DomainModel) and not model._meta.abstract


def bound_models() -> list[type[models.Model]]:
    return sorted(
        (m for m in apps.get_models() if is_bound(m)), key=lambda m: str(m._meta.db_table)
    )


# --- The digest of a stored row --------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A stored value as JSON: the same for the same stored value on SQLite and PostgreSQL."""
    token = getattr(value, "token", None)
    if isinstance(token, str):  # an encrypted field read back: its ciphertext
        return token
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value // datetime.timedelta(microseconds=1))
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    raise TypeError(f"cannot bind a stored value of type {type(value).__name__}")


def _columns(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def stored_state(model: type[models.Model], values: Iterable[Any]) -> dict[str, Any]:
    """The row as the digest sees it, from ``values_list(*columns)`` of one row."""
    return {name: _plain(v) for name, v in zip(_columns(model), values, strict=True)}


def digest(table: str, pk: Any, state: dict[str, Any] | None) -> str | None:
    if state is None:
        return None
    body = canonicalize({"table": table, "id": str(pk), "row": state})
    return hashlib.sha256(body).hexdigest()


def _read_states(model: type[models.Model], pks: list[Any]) -> Iterator[tuple[Any, dict[str, Any]]]:
    columns = _columns(model)
    pk_name = model._meta.pk.attname
    rows = model._base_manager.filter(pk__in=pks).values_list(*columns)
    index = columns.index(pk_name)
    for values in rows:
        yield values[index], stored_state(model, values)


def row_digests(model: type[models.Model], pks: Iterable[Any]) -> dict[str, str | None]:
    """``{str(pk): sha256}`` of the stored rows (``None`` for a row that is not stored)."""
    wanted = list(pks)
    found: dict[str, str | None] = dict.fromkeys((str(pk) for pk in wanted), None)
    table = str(model._meta.db_table)
    for start in range(0, len(wanted), 500):
        for pk, state in _read_states(model, wanted[start : start + 500]):
            found[str(pk)] = digest(table, pk, state)
    return found


# --- Pending rows of the current transaction --------------------------------------------------


class _Pending:
    """One row saved or deleted in a transaction and not yet bound.

    ``forget`` runs when the transaction commits; on a rollback Django drops it from the
    connection's on-commit list unrun, which is how ``take_pending`` tells a stale row.
    """

    __slots__ = ("key", "model", "pk", "rows")

    def __init__(self, rows: dict[tuple[str, str], _Pending], model: Any, pk: Any) -> None:
        self.rows = rows
        self.model = model
        self.pk = pk
        self.key = (str(model._meta.db_table), str(pk))

    def forget(self) -> None:
        if self.rows.get(self.key) is self:
            del self.rows[self.key]


def _note(sender: Any, instance: Any, using: str | None) -> None:
    if not is_bound(sender):
        return
    connection = connections[using or DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block:
        return  # autocommit: no audit entry can join this write's transaction
    rows: dict[tuple[str, str], _Pending] | None = getattr(connection, _PENDING, None)
    if rows is None:
        rows = {}
        setattr(connection, _PENDING, rows)
    pending = _Pending(rows, sender, instance.pk)
    rows[pending.key] = pending
    connection.on_commit(pending.forget)


def note_written(
    model: type[models.Model], pks: Iterable[Any], *, using: str | None = None
) -> None:
    """Mark rows written without ``Model.save()`` (``bulk_create``) as pending, so the next
    entry in this transaction binds them like saved ones."""
    for pk in pks:
        _note(model, _Key(pk), using)


class _Key:
    __slots__ = ("pk",)

    def __init__(self, pk: Any) -> None:
        self.pk = pk


def _saved(sender: Any, instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # loaddata: fixtures are not the application's writes
        _note(sender, instance, kwargs.get("using"))


def _deleted(sender: Any, instance: models.Model, **kwargs: Any) -> None:
    _note(sender, instance, kwargs.get("using"))


class RecordAltered(ValidationError):
    """A record row no longer matches the audit entry that last wrote it."""


def _alive(connection: Any) -> set[int]:
    return {id(getattr(func, "__self__", None)) for _, func, _ in connection.run_on_commit}


def newest_stored_binding(table: str, pk: Any) -> RowBinding | None:
    return (
        RowBinding.objects.filter(table=table, row_id=str(pk))
        .order_by("-id")
        .only("log_id", "index", "sha256")
        .first()
    )


def _in_leaf(binding: RowBinding, table: str, pk: str) -> bool:
    leaf = (
        AuditEntry.objects.filter(log_id=binding.log_id, index=binding.index)
        .values_list("leaf", flat=True)
        .first()
    )
    if leaf is None:
        return False
    try:
        rows = json.loads(bytes(leaf)).get("rows", [])
    except ValueError:
        return False
    wanted = {"table": table, "id": pk, "sha256": binding.sha256 or None}
    return wanted in rows


def check_unaltered(model: type[models.Model], pk: Any, *, using: str | None = None) -> None:
    """Raise ``RecordAltered`` if the stored row differs from its newest binding."""
    connection = connections[using or DEFAULT_DB_ALIAS]
    table, key = str(model._meta.db_table), str(pk)
    pending = (getattr(connection, _PENDING, None) or {}).get((table, key))
    if pending is not None and id(pending) in _alive(connection):
        return  # this transaction's own write, not yet bound
    binding = newest_stored_binding(table, key)
    if binding is None:
        if not baseline_done():
            return  # stored before row binding, and the baseline has not run yet
        raise RecordAltered(
            f"This record ({table} {key}) was never written by groupguard (no audit entry "
            "records it), so nothing was saved. Ask a practice admin to run "
            "'groupguard audit verify --records'."
        )
    current = row_digests(model, [pk])[key]
    if current is None:
        return
    if current != (binding.sha256 or None) or not _in_leaf(binding, table, key):
        raise RecordAltered(
            f"This record ({table} {key}) was changed outside groupguard after audit entry "
            f"{binding.index} recorded it, so nothing was saved. Ask a practice admin to run "
            "'groupguard audit verify --records'."
        )


def _before_write(sender: Any, instance: models.Model, **kwargs: Any) -> None:
    if kwargs.get("raw") or not is_bound(sender) or instance._state.adding:
        return
    check_unaltered(sender, instance.pk, using=kwargs.get("using"))


def connect() -> None:
    pre_save.connect(_before_write, dispatch_uid="groupguard.audit.rows.before_save")
    pre_delete.connect(_before_write, dispatch_uid="groupguard.audit.rows.before_delete")
    post_save.connect(_saved, dispatch_uid="groupguard.audit.rows.saved")
    post_delete.connect(_deleted, dispatch_uid="groupguard.audit.rows.deleted")


def disconnect() -> None:
    """Stop binding rows (``make bench`` measures a write with and without it; nothing else
    should call this)."""
    pre_save.disconnect(dispatch_uid="groupguard.audit.rows.before_save")
    pre_delete.disconnect(dispatch_uid="groupguard.audit.rows.before_delete")
    post_save.disconnect(dispatch_uid="groupguard.audit.rows.saved")
    post_delete.disconnect(dispatch_uid="groupguard.audit.rows.deleted")


def take_pending(connection: Any) -> list[dict[str, Any]]:
    """The bindings for the rows saved in this transaction since the last entry, as stored
    now; they leave the pending set. Rows of a rolled-back transaction are dropped."""
    rows: dict[tuple[str, str], _Pending] | None = getattr(connection, _PENDING, None)
    if not rows:
        return []
    alive = _alive(connection)
    by_model: dict[Any, list[Any]] = {}
    for pending in list(rows.values()):
        del rows[pending.key]
        if id(pending) in alive:
            by_model.setdefault(pending.model, []).append(pending.pk)
    bindings = []
    for model, pks in by_model.items():
        table = str(model._meta.db_table)
        for pk, sha in row_digests(model, pks).items():
            bindings.append({"table": table, "id": pk, "sha256": sha})
    bindings.sort(key=lambda b: (b["table"], b["id"]))
    return bindings


# --- Checking the stored rows against their newest bindings -----------------------------------


@dataclass
class Binding:
    sha256: str | None
    log: str
    index: int
    time: str


@dataclass
class RecordsReport:
    """What ``verify_records`` found: ``ok`` when every row matches its newest binding."""

    rows_checked: int = 0
    bindings: int = 0
    faults: list[str] = field(default_factory=list)
    changed: list[tuple[str, str]] = field(default_factory=list)  # (table, id)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.faults

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows_checked": self.rows_checked,
            "bindings": self.bindings,
            "faults": self.faults,
            "seconds": round(self.seconds, 3),
        }


def newest_bindings(*, log_names: Iterable[str] | None = None) -> dict[tuple[str, str], Binding]:
    """The newest binding of every row, read from the entries' leaf bytes (the record, not
    the copied columns), in index order per log."""
    found: dict[tuple[str, str], Binding] = {}
    entries = AuditEntry.objects.all()
    if log_names is not None:
        entries = entries.filter(log__name__in=list(log_names))
    last = (0, -1)
    while True:
        batch = list(
            entries.filter(
                models.Q(log_id__gt=last[0]) | models.Q(log_id=last[0], index__gt=last[1])
            )
            .order_by("log_id", "index")
            .values_list("log_id", "index", "leaf")[:BATCH]
        )
        if not batch:
            return found
        for _log_id, index, leaf in batch:
            data = bytes(leaf)
            if b'"rows":' not in data:
                continue
            try:
                entry = json.loads(data)
                rows = entry["rows"]
                for row in rows:
                    key = (str(row["table"]), str(row["id"]))
                    sha = row["sha256"]
                    seen = found.get(key)
                    stamp = str(entry["time"])
                    if seen is None or (seen.time, seen.index) <= (stamp, index):
                        found[key] = Binding(sha, str(entry["log"]), index, stamp)
            except (ValueError, KeyError, TypeError):
                continue  # a malformed leaf is the log verifier's fault to report
        last = (batch[-1][0], batch[-1][1])


def verify_records(
    *,
    models_to_check: Iterable[type[models.Model]] | None = None,
    bindings: dict[tuple[str, str], Binding] | None = None,
    only: Iterable[tuple[str, str]] | None = None,
) -> RecordsReport:
    """Recompute every bound row's digest and compare it with its newest binding.

    Names each row changed, inserted or deleted outside the application, by table and id.
    ``only`` limits the check to those ``(table, id)`` rows (a packet's records).
    """
    started = time.perf_counter()
    report = RecordsReport()
    newest = newest_bindings() if bindings is None else bindings
    report.bindings = len(newest)
    wanted = None if only is None else {(t, str(i)) for t, i in only}
    seen: set[tuple[str, str]] = set()
    for model in models_to_check if models_to_check is not None else bound_models():
        table = str(model._meta.db_table)
        columns = _columns(model)
        pk_index = columns.index(model._meta.pk.attname)
        queryset = model._base_manager.order_by().values_list(*columns)
        if wanted is not None:
            ids = [i for t, i in wanted if t == table]
            if not ids:
                continue
            queryset = queryset.filter(pk__in=ids)
        for values in queryset.iterator(chunk_size=BATCH):
            pk = str(values[pk_index])
            key = (table, pk)
            seen.add(key)
            report.rows_checked += 1
            binding = newest.get(key)
            sha = digest(table, pk, stored_state(model, values))
            if binding is None:
                report.faults.append(
                    f"{table} {pk}: no audit entry ever recorded this row "
                    "(written outside the application, or before row binding: "
                    "see 'groupguard audit baseline')"
                )
                report.changed.append(key)
            elif binding.sha256 != sha:
                what = "deleted by" if binding.sha256 is None else "different from the one"
                report.faults.append(
                    f"{table} {pk}: changed outside the application (stored row is "
                    f"{what} audit entry {binding.index} of {binding.log} recorded)"
                )
                report.changed.append(key)
    tables = {str(m._meta.db_table) for m in (models_to_check or bound_models())}
    for key, binding in sorted(newest.items()):
        if key[0] not in tables or key in seen or binding.sha256 is None:
            continue
        if wanted is not None and key not in wanted:
            continue
        report.faults.append(
            f"{key[0]} {key[1]}: deleted outside the application (audit entry "
            f"{binding.index} of {binding.log} recorded it)"
        )
        report.changed.append(key)
    report.seconds = time.perf_counter() - started
    return report


# --- The rows a reader used (an evidence packet's records) ------------------------------------


@contextlib.contextmanager
def loaded_rows() -> Iterator[set[tuple[type[models.Model], str]]]:
    """Collect ``(model, pk)`` of every record row loaded from the database in this thread
    inside the block: what a packet was built from, to check and to bind into it."""
    found: set[tuple[type[models.Model], str]] = set()
    seen: list[models.Model] = []
    thread = threading.get_ident()

    def _made(sender: Any, instance: models.Model, **kwargs: Any) -> None:
        if threading.get_ident() == thread and is_bound(sender):
            seen.append(instance)

    post_init.connect(_made, weak=False)
    try:
        yield found
    finally:
        post_init.disconnect(_made)
        # Django marks a row read from the database only after post_init (Model.from_db).
        found.update((type(obj), str(obj.pk)) for obj in seen if not obj._state.adding and obj.pk)


@dataclass
class CheckedRow:
    table: str
    id: str
    sha256: str
    state: dict[str, Any]
    binding: Binding


def check_rows(
    rows: Iterable[tuple[type[models.Model], str]], bindings: dict[tuple[str, str], Binding]
) -> tuple[list[CheckedRow], list[str]]:
    """The rows as stored with their newest bindings, and a fault for each that does not
    match (changed, never bound, or gone)."""
    by_model: dict[type[models.Model], list[str]] = {}
    for model, pk in rows:
        by_model.setdefault(model, []).append(pk)
    checked: list[CheckedRow] = []
    faults: list[str] = []
    for model, pks in sorted(by_model.items(), key=lambda item: str(item[0]._meta.db_table)):
        table = str(model._meta.db_table)
        states: dict[str, dict[str, Any]] = {}
        for start in range(0, len(pks), 500):
            for pk, state in _read_states(model, pks[start : start + 500]):
                states[str(pk)] = state
        for pk in sorted(set(pks)):
            binding = bindings.get((table, pk))
            found = states.get(pk)
            sha = digest(table, pk, found) if found is not None else None
            if binding is None:
                faults.append(f"{table} {pk}: no audit entry ever recorded this row")
            elif found is None or binding.sha256 != sha:
                faults.append(
                    f"{table} {pk}: changed outside the application (stored row is different "
                    f"from the one audit entry {binding.index} of {binding.log} recorded)"
                )
            else:
                assert sha is not None and found is not None  # noqa: S101  (checked above)
                checked.append(CheckedRow(table, pk, sha, found, binding))
    return checked, faults


# --- Binding rows in bulk: key rotation and the first binding of older rows -------------------

# How a record row reaches its practice, tried in order: its audit entries go to that log.
_PRACTICE_PATHS = (
    "practice",
    "member__practice",
    "group__practice",
    "contact__practice",
    "assessment__practice",
    "session__group__practice",
    "version__group__practice",
    "user__practice",
)


def _practice_path(model: type[models.Model]) -> str | None:
    if model._meta.db_table == "practice_practice":
        return "pk"
    names = {f.name for f in model._meta.concrete_fields}
    for path in _PRACTICE_PATHS:
        if path.split("__")[0] in names:
            return f"{path}_id" if "__" not in path else f"{path}__id"
    return None


def practice_ids(model: type[models.Model], pks: Iterable[Any]) -> dict[str, Any]:
    """``{str(pk): practice id or None}``: which practice's log binds each row."""
    path = _practice_path(model)
    wanted = list(pks)
    found: dict[str, Any] = dict.fromkeys((str(pk) for pk in wanted), None)
    if path is None:
        return found
    for start in range(0, len(wanted), 500):
        rows = model._base_manager.filter(pk__in=wanted[start : start + 500]).values_list(
            "pk", path
        )
        for pk, practice_id in rows:
            found[str(pk)] = practice_id
    return found


def by_practice(model: type[models.Model], pks: Iterable[Any]) -> dict[Any, list[Any]]:
    groups: dict[Any, list[Any]] = {}
    for pk, practice_id in practice_ids(model, pks).items():
        groups.setdefault(practice_id, []).append(pk)
    return groups


BASELINE = "records.baseline"


def baseline_done() -> bool:
    """Whether every record row stored before row binding has been bound (the baseline ran,
    or the database began with row binding). From then on a row no entry ever bound was
    written outside the application."""
    return AuditEntry.objects.filter(action=BASELINE).exists()


def bind_unbound_rows(*, batch_size: int = 500, own_bulk_load: bool = False) -> int:
    """Bind every record row no entry has bound yet (rows stored before row binding, or by a
    bulk loader), one ``records.baseline`` entry per practice and batch. Returns the count.

    ``groupguard serve`` runs it once, on the first start with row binding
    (``groupguard audit baseline`` for servers started otherwise); it ends with a site-log
    entry that marks the baseline done. Rows already bound are left to ``verify_records``:
    binding them again would hide an edit, and once the baseline is done it binds nothing more
    (a row no entry bound since was written outside the application), except for a bulk
    loader binding what it has just loaded (``own_bulk_load``: ``seed-scale``).
    """
    from groupguard.audit.log import SYSTEM, record

    if baseline_done() and not own_bulk_load:
        return 0  # once only: later unbound rows were written outside the application
    bound = {key for key, b in newest_bindings().items() if b.sha256 is not None}
    total = 0
    for model in bound_models():
        table = str(model._meta.db_table)
        pks = [
            pk
            for pk in model._base_manager.order_by("pk").values_list("pk", flat=True)
            if (table, str(pk)) not in bound
        ]
        for start in range(0, len(pks), batch_size):
            for practice_id, chunk in by_practice(model, pks[start : start + batch_size]).items():
                with transaction.atomic():
                    note_written(model, chunk)
                    record(
                        practice_id=practice_id,
                        actor=SYSTEM,
                        action=BASELINE,
                        object_type=table,
                        detail={"rows": len(chunk)},
                    )
                total += len(chunk)
    with transaction.atomic():  # the mark that the baseline ran, in the site log
        record(practice_id=None, actor=SYSTEM, action=BASELINE, detail={"rows": total})
    return total
