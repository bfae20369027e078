"""Free text from a form, an API body or the command line, checked the same way everywhere."""

from __future__ import annotations

from django.core.exceptions import ValidationError

MAX_TEXT = 20_000


def clean_text(
    value: str | None, field: str, *, required: bool, label: str, limit: int = MAX_TEXT
) -> str:
    """``value`` stripped; a ValidationError naming ``field`` when it is required and empty, or
    longer than ``limit`` characters."""
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: f"Write the {label}."})
    if len(value) > limit:
        raise ValidationError(
            {field: f"The {label} is longer than {limit:,} characters ({len(value):,})."}
        )
    return value
