"""Checking record rows against the audit entries that bound them, and binding in bulk.

``audit.rows`` binds each row as an action writes it. This module reads the bindings back from
the leaves (the record; ``RowBinding`` is only a lookup copy) and compares every stored row
with its newest binding (``groupguard audit verify --records``, evidence packets), and binds
rows that no action wrote: rows stored before row binding existed (the baseline), a bulk
load's own rows (``seed-scale``) and rows stored before a migration added a column to their
table (``bind_added_columns``). Key rotation uses ``by_practice`` to bind what it re-seals in
each practice's log.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models.signals import post_init

from groupguard.audit.models import AuditEntry, AuditLog, RowBinding
from groupguard.audit.rows import (
    BATCH,
    all_states,
    bound_models,
    digest,
    is_bound,
    read_states,
)

# --- Checking the stored rows against their newest bindings -----------------------------------


@dataclass
class Binding:
    sha256: str | None
    log: str
    index: int
    time: str
    member: str | None = None  # the member the binding entry concerns, if any


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


def newest_bindings(
    *,
    log_names: Iterable[str] | None = None,
    every: set[tuple[str, int, str, str, str]] | None = None,
) -> dict[tuple[str, str], Binding]:
    """The newest binding of every row, read from the entries' leaf bytes (the record, not
    the copied columns), in index order per log. ``every`` collects each binding as
    ``(log, index, table, id, sha256 or "")``."""
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
                log, stamp, member = str(entry["log"]), str(entry["time"]), entry.get("member")
                for row in rows:
                    key = (str(row["table"]), str(row["id"]))
                    if every is not None:
                        every.add((log, index, key[0], key[1], row["sha256"] or ""))
                    seen = found.get(key)
                    # In one log the index orders entries (a clock that stepped back cannot
                    # make an older binding the newest); across logs, the time does.
                    if seen is None or seen.log == log or seen.time <= stamp:
                        found[key] = Binding(row["sha256"], log, index, stamp, member)
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
    every: set[tuple[str, int, str, str, str]] = set()
    newest = newest_bindings(every=every) if bindings is None else bindings
    report.bindings = len(newest)
    wanted = None if only is None else {(t, str(i)) for t, i in only}
    seen: set[tuple[str, str]] = set()
    for model in models_to_check if models_to_check is not None else bound_models():
        table = str(model._meta.db_table)
        if wanted is not None:
            ids = [i for t, i in wanted if t == table]
            if not ids:
                continue
            states: Iterable[tuple[str, dict[str, Any]]] = read_states(model, ids)
        else:
            states = all_states(model, batch=BATCH)
        for pk, state in states:
            key = (table, pk)
            seen.add(key)
            report.rows_checked += 1
            binding = newest.get(key)
            sha = digest(table, pk, state)
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
    if only is None and bindings is None:
        report.faults += lookup_copy_faults(every)
    report.seconds = time.perf_counter() - started
    return report


def lookup_copy_faults(every: set[tuple[str, int, str, str, str]]) -> list[str]:
    """Where ``audit_rowbinding`` (the lookup copy a write checks against) differs from the
    bindings in the leaves, row for row: a copy inserted, removed or changed outside the
    application could make a write check against an older binding and launder an edit."""
    by_log = dict(AuditLog.objects.values_list("id", "name"))
    copy = {
        (by_log.get(log_id, "?"), index, table, row_id, sha)
        for log_id, index, table, row_id, sha in RowBinding.objects.values_list(
            "log_id", "index", "table", "row_id", "sha256"
        ).iterator(chunk_size=BATCH)
    }
    faults = [
        f"audit_rowbinding: {t} {i} at entry {x} of {log} is not in that entry (added or "
        "changed outside the application)"
        for log, x, t, i, _ in sorted(copy - every)
    ]
    faults += [
        f"audit_rowbinding: {t} {i} at entry {x} of {log} is missing (removed outside the "
        "application)"
        for log, x, t, i, _ in sorted(every - copy)
    ]
    return faults


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
            for pk, state in read_states(model, pks[start : start + 500]):
                states[str(pk)] = state
        for pk in sorted(set(pks)):
            binding = bindings.get((table, pk))
            found = states.get(pk)
            sha = digest(table, pk, found) if found is not None else None
            if binding is None:
                faults.append(f"{table} {pk}: no audit entry ever recorded this row")
            elif found is None:
                faults.append(
                    f"{table} {pk}: deleted outside the application (audit entry "
                    f"{binding.index} of {binding.log} recorded it)"
                )
            elif binding.sha256 != sha:
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


# --- Columns added to bound tables ------------------------------------------------------------

# Columns a migration added to a bound table that already held bound rows: (the migration, the
# table, the columns). A binding covers every column, so a row bound before the migration no
# longer matches it until it is bound again with the new column (``bind_added_columns``).
ADDED_COLUMNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("contacts.0004_unanswered_request_and_detection", "contacts_contact", ("detection",)),
)
