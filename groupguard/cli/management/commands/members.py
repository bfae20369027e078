from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Prefetch

from groupguard.audit.reads import record_view
from groupguard.cli.output import dump_json, practice_by_slug
from groupguard.practice.models import Enrollment, Member


class Command(BaseCommand):
    help = "List a practice's members as JSON: id, name, groups (PHI: the listing is audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, metavar="SLUG", help="the practice's slug")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_by_slug(options["practice"])
        members = Member.objects.filter(practice=practice).prefetch_related(
            Prefetch("enrollments", queryset=Enrollment.objects.select_related("group"))
        )
        data = [
            {
                "id": str(m.id),
                "name": m.display_name,
                "is_minor": m.is_minor,
                "groups": [
                    {
                        "id": str(e.group_id),
                        "name": e.group.name,
                        "joined_on": e.joined_on.isoformat(),
                        "left_on": e.left_on.isoformat() if e.left_on else None,
                    }
                    for e in m.enrollments.all()
                ],
            }
            for m in members
        ]
        data.sort(key=lambda row: str(row["name"]).casefold())
        record_view(
            user=None,
            practice_id=practice.id,
            action="member.export",
            object_type="member",
            detail={"count": len(data), "via": "cli"},
        )
        self.stdout.write(dump_json(data))
