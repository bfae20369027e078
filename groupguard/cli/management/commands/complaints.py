from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from groupguard.cli.output import dump_json, practice_by_slug
from groupguard.evidence.models import Complaint


class Command(BaseCommand):
    help = (
        "List a practice's complaints as JSON: id, member id, board, reference, dates, status "
        "(the allegation is not printed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, metavar="SLUG", help="the practice's slug")
        parser.add_argument(
            "--status", choices=["open", "responded", "closed"], help="only complaints with it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_by_slug(options["practice"])
        complaints = Complaint.objects.filter(practice=practice).select_related("practitioner")
        if options["status"]:
            complaints = complaints.filter(status=options["status"])
        data = [
            {
                "id": str(c.id),
                "member_id": str(c.member_id),
                "practitioner": c.practitioner.username if c.practitioner else None,
                "board": c.board,
                "reference": c.reference,
                "received_on": c.received_on.isoformat(),
                "deadline": c.deadline.isoformat() if c.deadline else None,
                "status": c.status,
            }
            for c in complaints.order_by("-received_on", "id")
        ]
        self.stdout.write(dump_json(data))
