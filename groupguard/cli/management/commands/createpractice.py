from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from groupguard.cli.output import dump_json
from groupguard.practice.actions import create_practice


class Command(BaseCommand):
    help = "Create a practice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True, help="short name used in URLs and commands")
        parser.add_argument("--jurisdiction", required=True, help="e.g. US-CA, US-NY, US-TX, US-FL")
        parser.add_argument(
            "--timezone", default="UTC", help="IANA time zone, e.g. America/Los_Angeles"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            practice = create_practice(
                name=options["name"],
                slug=options["slug"],
                jurisdiction=options["jurisdiction"],
                timezone=options["timezone"],
                acting_user=None,
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        self.stdout.write(dump_json({"id": str(practice.id), "slug": practice.slug}))
