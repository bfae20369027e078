"""The keys the stored data needs, checked before any value is written with a keyring.

A server that has lost its key file must not quietly make a new one. The data already stored
would stay unreadable, and everything written afterwards would be sealed (or signed) under a
key that the real one cannot open, so putting the real key back would lose those writes
instead. So:

- keys are generated only for a database that holds nothing sealed and no audit entry;
- a keyring is used only if it holds every key id that stored values are sealed under, and
  the audit signing key only if it signed the newest entry of every log.

Either failure is a ``KeyConfigurationError`` whose message names the key ids and what to do.
The check runs once per process when the keys are first loaded (``core.crypto`` here, and
``audit.keys`` for the signing key), so a server, a worker and a CLI command all refuse before
writing; ``ops.keys.load_keys`` loads both before a server serves.
"""

from __future__ import annotations

from pathlib import Path

from django.db import DatabaseError, connection, transaction

from groupguard.core.crypto import (
    PREFIX,
    EncryptionError,
    KeyConfigurationError,
    Keyring,
    open_sealed,
)
from groupguard.core.fields import encrypted_fields, encrypted_models


def _no_database_yet() -> bool:
    """A SQLite file not created yet holds nothing, and checking must not create it (a restore
    refuses a data directory that has a database file)."""
    if connection.vendor != "sqlite" or connection.connection is not None:
        return False
    name = str(connection.settings_dict["NAME"])
    return name != ":memory:" and not name.startswith("file:") and not Path(name).exists()


def existing_tables() -> set[str]:
    if _no_database_yet():
        return set()
    return set(connection.introspection.table_names())


def sealed_key_ids() -> dict[str, list[str]]:
    """Every key id that a stored value is sealed under, with the ``table.column`` places.

    One ``SELECT DISTINCT`` per encrypted column (the key id is the second part of
    ``gg1:<key id>:<sealed bytes>``). Tables not yet created (before ``migrate``) are skipped.
    """

    quote = connection.ops.quote_name
    tables = existing_tables()
    found: dict[str, list[str]] = {}
    for model in encrypted_models():
        table = model._meta.db_table
        if table not in tables:
            continue
        for field in encrypted_fields(model):
            column = quote(str(field.column))
            if connection.vendor == "postgresql":
                key_id = f"split_part({column}, ':', 2)"
            else:
                skip = len(PREFIX) + 2  # substr() counts from 1
                key_id = f"substr({column}, {skip}, instr(substr({column}, {skip}), ':') - 1)"
            sql = (
                f"SELECT DISTINCT {key_id} FROM {quote(table)} "  # noqa: S608 (names quoted)
                f"WHERE {column} LIKE %s"
            )
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(sql, [PREFIX + ":%"])
                    ids = [row[0] for row in cursor.fetchall()]
            except DatabaseError:
                continue  # a column a pending migration adds: nothing is sealed in it yet
            for kid in ids:
                found.setdefault(str(kid), []).append(f"{table}.{field.column}")
    return found


def require_encryption_keys(keyring: Keyring) -> None:
    """Refuse a keyring that lacks a key id stored values are sealed under, or whose key of
    that id does not open them (a key file with the right ids and other bytes)."""
    held = set(keyring.keys)
    stored = sealed_key_ids()
    missing = {kid: places for kid, places in stored.items() if kid not in held}
    if missing:
        raise KeyConfigurationError(_missing_message(missing, held))
    for kid, places in sorted(stored.items()):
        sample = _sample(kid, places[0])
        if sample is None:
            continue
        token, associated_data = sample
        try:
            open_sealed(keyring, token, associated_data)
        except EncryptionError:
            raise KeyConfigurationError(
                f"the key with id {kid!r} does not open the data stored under that id (in "
                f"{places[0]}): this is not the key it was sealed with; give the server the "
                "right key file; nothing was written"
            ) from None


def _sample(kid: str, place: str) -> tuple[str, str] | None:
    """One value sealed under ``kid`` in ``place`` (``table.column``) and its associated data."""

    table, column = place.split(".", 1)
    model = next((m for m in encrypted_models() if m._meta.db_table == table), None)
    if model is None or model._meta.pk is None:
        return None
    quote = connection.ops.quote_name
    pk = model._meta.pk
    sql = (
        f"SELECT {quote(str(pk.column))}, {quote(column)} FROM {quote(table)} "  # noqa: S608
        f"WHERE {quote(column)} LIKE %s LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [f"{PREFIX}:{kid}:%"])
        row = cursor.fetchone()
    if row is None:
        return None
    return str(row[1]), f"{table}|{column}|{pk.to_python(row[0])}"


def may_generate_encryption_keys() -> None:
    """Refuse to generate a new keyring when anything stored is sealed already."""
    stored = sealed_key_ids()
    if stored:
        raise KeyConfigurationError(
            "the encryption key file is missing, but stored data is sealed under key id(s) "
            f"{ids_of(stored)}: restore the key file (or set GROUPGUARD_ENCRYPTION_KEYS); "
            "a new key would leave that data unreadable and is made only for an empty database"
        )


def ids_of(found: dict[str, list[str]]) -> str:
    return ", ".join(repr(kid) for kid in sorted(found))


def _missing_message(missing: dict[str, list[str]], held: set[str]) -> str:
    places = sorted({place for found in missing.values() for place in found})
    shown = ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")
    return (
        f"stored data is sealed under key id(s) {ids_of(missing)} that this server does not hold "
        f"(it holds {', '.join(repr(k) for k in sorted(held)) or 'none'}; in {shown}): "
        "give it the key file that has them; nothing was written"
    )
