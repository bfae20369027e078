"""Checks the practice actions share: model validation and applying allowed changes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models


def validate(obj: models.Model, *, exclude: list[str] | None = None) -> None:
    obj.full_clean(exclude=exclude, validate_unique=True, validate_constraints=True)


def apply_changes(obj: models.Model, changes: dict[str, Any], allowed: set[str]) -> list[str]:
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(
            {name: "This field cannot be changed here." for name in sorted(unknown)}
        )
    changed = []
    for name, value in changes.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed
