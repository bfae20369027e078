from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from groupguard.api.agreements import agreement_status
from groupguard.practice.models import Group


class Command(BaseCommand):
    help = "The group agreement: 'status --group ID' prints each member's consent as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        status = sub.add_parser("status", help="who signed which version, who is pending")
        status.add_argument("--group", required=True, metavar="ID", help="the group's id")

    def handle(self, *args: Any, **options: Any) -> None:
        group = Group.objects.select_related("practice").filter(pk=_uuid(options["group"])).first()
        if group is None:
            raise CommandError(
                f"no group with id {options['group']!r} (see 'groupguard groups --practice SLUG')"
            )
        # The practice's calendar, as on the web pages: who is a member "today" is the practice's.
        with timezone.override(group.practice.timezone):
            status = agreement_status(group)
        self.stdout.write(json.dumps(status, indent=2, default=str))


def _uuid(value: str) -> Any:
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(f"--group must be a group id (a UUID), not {value!r}") from None
