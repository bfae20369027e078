"""Model fields whose values are encrypted at rest (see ``groupguard.core.crypto``).

Values are sealed in ``pre_save``, when the row's primary key is known, and opened lazily on
first attribute access, when the instance (and so the primary key for the associated data) is
at hand. Because both directions need the row, writes that bypass ``Model.save()``
(``QuerySet.update``, ``bulk_update``) and lookups on the plaintext are refused rather than
silently storing or comparing plaintext.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.utils.dateparse import parse_date

from groupguard.core import crypto


class _Ciphertext(str):
    """Marks a string that ``pre_save`` sealed and that may go to the database."""

    __slots__ = ()


class _Stored:
    """A ciphertext read from the database, not yet opened."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return "<encrypted>"


class _EncryptedAttribute(DeferredAttribute):
    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, _Stored):
            field: EncryptedField = self.field  # type: ignore[assignment]
            value = field.open(instance, value.token)
            instance.__dict__[field.attname] = value
        return value

    # A data descriptor (unlike DeferredAttribute), so reads always pass through __get__
    # instead of finding the sealed value in the instance dict.
    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedField(models.TextField):  # type: ignore[type-arg]
    """Base of encrypted fields: subclasses convert their Python type to and from text."""

    descriptor_class = _EncryptedAttribute

    def to_plaintext(self, value: Any) -> str:
        return str(value)

    def from_plaintext(self, text: str) -> Any:
        return text

    def associated_data(self, instance: models.Model) -> str:
        if instance.pk is None:
            raise crypto.EncryptionError(
                f"{instance._meta.label}.{self.name}: the primary key must be set before sealing"
            )
        return f"{self.model._meta.db_table}|{self.column}|{instance.pk}"

    def open(self, instance: models.Model, token: str) -> Any:
        keyring = crypto.configured_keyring()
        text = crypto.open_sealed(keyring, token, self.associated_data(instance))
        return self.from_plaintext(text)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if value is None:
            return None
        keyring = crypto.configured_keyring()
        token = crypto.seal(keyring, self.to_plaintext(value), self.associated_data(model_instance))
        return _Ciphertext(token)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return _Stored(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, _Ciphertext):
            return value
        if isinstance(value, _Stored):
            return value.token
        raise crypto.EncryptionError(
            f"{self.model._meta.label}.{self.name} is encrypted: write it through Model.save() "
            "(not QuerySet.update or bulk_update), and do not filter on its plaintext"
        )

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: models.Model) -> str:
        # Serialisers (dumpdata) get the ciphertext text, never the plaintext.
        raise crypto.EncryptionError(f"{self.model._meta.label}.{self.name} is not serialisable")


class EncryptedTextField(EncryptedField):
    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        return str(value)


class EncryptedDateField(EncryptedField):
    # What django-stubs reads as the attribute's type (the base is a TextField).
    _pyi_private_set_type: datetime.date | None  # type: ignore[assignment]
    _pyi_private_get_type: datetime.date | None  # type: ignore[assignment]

    def to_plaintext(self, value: Any) -> str:
        if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
            raise crypto.EncryptionError(f"{self.name} must be a date")
        return value.isoformat()

    def from_plaintext(self, text: str) -> datetime.date:
        return datetime.date.fromisoformat(text)

    def to_python(self, value: Any) -> Any:
        if value is None or (
            isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
        ):
            return value
        parsed = parse_date(str(value))
        if parsed is None:
            from django.core.exceptions import ValidationError

            raise ValidationError(f"{value!r} is not a date (YYYY-MM-DD)")
        return parsed

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return forms.DateField(**{"required": not self.blank, **kwargs})


class EncryptedBytesField(EncryptedField):
    """Small files (a scanned signature page): sealed like any other PHI value."""

    _pyi_private_set_type: bytes | None  # type: ignore[assignment]
    _pyi_private_get_type: bytes | None  # type: ignore[assignment]

    def to_plaintext(self, value: Any) -> str:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise crypto.EncryptionError(f"{self.name} must be bytes")
        return base64.b64encode(bytes(value)).decode("ascii")

    def from_plaintext(self, text: str) -> bytes:
        return base64.b64decode(text)

    def to_python(self, value: Any) -> Any:
        return value


def encrypted_fields(model: type[models.Model]) -> list[EncryptedField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]


def encrypted_models() -> list[type[models.Model]]:
    """Every installed model with at least one sealed field."""
    return [m for m in apps.get_models() if encrypted_fields(m)]
