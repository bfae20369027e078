from __future__ import annotations

import json
from typing import Any

from django.core.management.base import CommandError

from groupguard.practice.models import Practice


def dump_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def practice_by_slug(slug: str) -> Practice:
    practice = Practice.objects.filter(slug=slug).first()
    if practice is None:
        known = ", ".join(Practice.objects.values_list("slug", flat=True)) or "none yet"
        raise CommandError(f"no practice with slug {slug!r} (known: {known})")
    return practice
