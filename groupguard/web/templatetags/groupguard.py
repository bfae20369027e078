"""Template filters shared by the pages."""

from __future__ import annotations

from django import template

register = template.Library()

LEVEL_LABELS = {
    "low": "Low",
    "elevated": "Elevated",
    "high": "High",
    "not_permitted": "Not permitted",
    "required": "Required by law",
}


@register.filter
def level_label(level: str) -> str:
    """The words for an assessment level ("not_permitted" -> "Not permitted")."""
    return LEVEL_LABELS.get(level, level.replace("_", " ").capitalize())
