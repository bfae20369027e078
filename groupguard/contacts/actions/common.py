"""What the contact actions share: choice checks, the audit entry, content hashes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


def check_choice(value: str, field: str, choices: type[Any]) -> str:
    if value not in choices.values:
        raise ValidationError({field: f"Choose one of: {', '.join(choices.values)}."})
    return str(value)
