"""Records that prove they were not edited: each audited write binds the rows it stored.

The audit log proves the log. To prove the records too, every audit entry carries the
**row digests** of the record rows its action saved in the same transaction:

    "rows": [{"table": "contacts_contact", "id": "<pk>", "sha256": "<hex>"}, ...]

A row digest is the SHA-256 of the RFC 8785 canonical JSON of ``{"table", "id", "row"}``,
where ``row`` maps every column to its value as the database driver returns it, read with
plain SQL: ciphertext for encrypted fields (so the log learns nothing about the plaintext),
SQLite's stored text and numbers as they are (an id in capitals or a time written another way
is a different row, since joins and filters treat it differently), PostgreSQL's typed values
as text (times in UTC with microseconds), bytes as base64. A deleted row is bound with
``"sha256": null``. Digests belong to one kind of database, as backups do.

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
rows it changed are bound again under their new ciphertext (``ops.rotation``). Reading the
bindings back and checking rows against them is ``audit.records``.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

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
    """A value as the database driver returns it, as JSON. Nothing is converted the way the
    ORM would: on SQLite an id in capitals, a time written with a ``T`` or a boolean stored as
    7 reads back as the same Python value through the ORM, yet joins and filters treat it
    differently, so the digest must see the bytes as stored."""
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


def columns_of(model: type[models.Model]) -> list[str]:
    return [str(f.column) for f in model._meta.concrete_fields]


def stored_state(model: type[models.Model], values: Iterable[Any]) -> dict[str, Any]:
    """The row as the digest sees it: ``{column: value as stored}`` from one raw row."""
    return {name: _plain(v) for name, v in zip(columns_of(model), values, strict=True)}


def _select(model: type[models.Model]) -> tuple[str, str]:
    quote = connection.ops.quote_name
    pk = quote(str(model._meta.pk.column))
    columns = [quote(c) for c in columns_of(model)]
    if connection.vendor == "sqlite":
        # Django's SQLite connection turns declared datetime and bool columns into Python
        # values on every read; quote() hands over the stored value itself, as SQL.
        columns = [f"quote({c})" for c in columns]
    return f"SELECT {', '.join(columns)} FROM {quote(str(model._meta.db_table))}", pk  # noqa: S608


def _stored(values: Iterable[Any]) -> list[Any]:
    """The values of one raw row as stored (SQLite's quote() literals read back)."""
    if connection.vendor != "sqlite":
        return list(values)
    return [_sqlite_literal(v) for v in values]


def _sqlite_literal(text: Any) -> Any:
    """What SQLite's quote() printed, as the stored value: text, an integer, a real, a blob
    or NULL, exactly, with no type conversion."""
    if not isinstance(text, str) or text == "NULL":
        return None if text == "NULL" else text
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    if text[:2] in ("X'", "x'"):
        return bytes.fromhex(text[2:-1])
    try:
        return int(text)
    except ValueError:
        return float(text)


def _key(model: type[models.Model], raw: Any) -> str:
    """The row's id as bindings name it (``str(pk)``), from its stored form."""
    return str(model._meta.pk.to_python(raw))


def read_states(model: type[models.Model], pks: list[Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(id, state)`` of the stored rows among ``pks``, read with plain SQL."""
    if not pks:
        return
    select, pk = _select(model)
    field = model._meta.pk
    assert field is not None  # noqa: S101  (every model has one)
    params = [field.get_db_prep_value(field.to_python(p), connection) for p in pks]
    marks = ", ".join(["%s"] * len(params))
    index = columns_of(model).index(str(field.column))
    with connection.cursor() as cursor:
        cursor.execute(f"{select} WHERE {pk} IN ({marks})", params)
        for raw in cursor.fetchall():
            values = _stored(raw)
            yield _key(model, values[index]), stored_state(model, values)


def all_states(
    model: type[models.Model], *, batch: int = 2000
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(id, state)`` of every stored row of ``model``, in batches by primary key."""
    select, pk = _select(model)
    field = model._meta.pk
    assert field is not None  # noqa: S101  (every model has one)
    index = columns_of(model).index(str(field.column))
    last: Any = None
    while True:
        where, params = ("", []) if last is None else (f" WHERE {pk} > %s", [last])
        with connection.cursor() as cursor:
            cursor.execute(f"{select}{where} ORDER BY {pk} LIMIT {int(batch)}", params)
            rows = [_stored(raw) for raw in cursor.fetchall()]
        for values in rows:
            yield _key(model, values[index]), stored_state(model, values)
        if len(rows) < batch:
            return
        last = rows[-1][index]


def digest(table: str, pk: Any, state: dict[str, Any] | None) -> str | None:
    if state is None:
        return None
    body = canonicalize({"table": table, "id": str(pk), "row": state})
    return hashlib.sha256(body).hexdigest()


def row_digests(model: type[models.Model], pks: Iterable[Any]) -> dict[str, str | None]:
    """``{str(pk): sha256}`` of the stored rows (``None`` for a row that is not stored)."""
    wanted = list(pks)
    found: dict[str, str | None] = dict.fromkeys((str(pk) for pk in wanted), None)
    table = str(model._meta.db_table)
    for start in range(0, len(wanted), 500):
        for pk, state in read_states(model, wanted[start : start + 500]):
            found[pk] = digest(table, pk, state)
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


def _note(sender: Any, pk: Any, using: str | None) -> None:
    if not is_bound(sender):
        return
    connection = connections[using or DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block:
        return  # autocommit: no audit entry can join this write's transaction
    rows: dict[tuple[str, str], _Pending] | None = getattr(connection, _PENDING, None)
    if rows is None:
        rows = {}
        setattr(connection, _PENDING, rows)
    pending = _Pending(rows, sender, pk)
    rows[pending.key] = pending
    connection.on_commit(pending.forget)


def note_written(
    model: type[models.Model], pks: Iterable[Any], *, using: str | None = None
) -> None:
    """Mark rows written without ``Model.save()`` (``bulk_create``) as pending, so the next
    entry in this transaction binds them like saved ones."""
    for pk in pks:
        _note(model, pk, using)


def _saved(sender: Any, instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # loaddata: fixtures are not the application's writes
        _note(sender, instance.pk, kwargs.get("using"))


def _deleted(sender: Any, instance: models.Model, **kwargs: Any) -> None:
    _note(sender, instance.pk, kwargs.get("using"))


class RecordAltered(ValidationError):
    """A record row no longer matches the audit entry that last wrote it."""


def _alive(connection: Any) -> set[int]:
    return {id(getattr(func, "__self__", None)) for _, func, _ in connection.run_on_commit}


def newest_stored_binding(table: str, pk: Any) -> RowBinding | None:
    return (
        RowBinding.objects.filter(table=table, row_id=str(pk))
        .order_by("-index", "-id")
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


BASELINE = "records.baseline"


def baseline_done() -> bool:
    """Whether every record row stored before row binding has been bound (the baseline ran,
    or the database began with row binding). From then on a row no entry ever bound was
    written outside the application."""
    return AuditEntry.objects.filter(action=BASELINE).exists()
