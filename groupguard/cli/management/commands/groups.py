from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from groupguard.cli.output import dump_json, practice_by_slug
from groupguard.practice.models import Group


class Command(BaseCommand):
    help = "List a practice's groups as JSON: id, name, modality, status, facilitators."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, metavar="SLUG", help="the practice's slug")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_by_slug(options["practice"])
        groups = Group.objects.filter(practice=practice).prefetch_related("facilitator_links__user")
        data = [
            {
                "id": str(g.id),
                "name": g.name,
                "modality": g.modality,
                "status": g.status,
                "part2_program": g.part2_program,
                "facilitators": [
                    {
                        "user_id": f.user_id,
                        "username": f.user.username,
                        "name": f.user.display_name,
                        "role": f.role,
                    }
                    for f in g.facilitator_links.all()
                ],
            }
            for g in groups.order_by("name")
        ]
        self.stdout.write(dump_json(data))
