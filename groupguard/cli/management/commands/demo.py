from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from groupguard.accounts.demo_accounts import DEMO_PASSWORD, DEMO_SLUG
from groupguard.demo.practice import STAFF, build_demo, demo_exists
from groupguard.practice.models import Practice


def demo_logins_text() -> str:
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for username, first, last, role, licence, _ in STAFF:
        kind = "practice admin" if role == "admin" else "clinician"
        lines.append(f"  {username:<6} {first} {last}, {licence}, {kind}")
    lines.append(
        "Then the code step shows the demo account's current code. These logins work only "
        "while the server runs in demo mode (GROUPGUARD_DEMO=1, as `make run` does)."
    )
    return "\n".join(lines)


def rebuild_database() -> None:
    """Drop every table and migrate again. Only used when the demo is all there is."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    else:
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
            cursor.execute("PRAGMA foreign_keys=OFF")
            for table in tables:
                cursor.execute(f'DROP TABLE IF EXISTS "{table}"')  # noqa: S608  (names from introspection)
            cursor.execute("PRAGMA foreign_keys=ON")
    call_command("migrate", verbosity=0, interactive=False)


class Command(BaseCommand):
    help = (
        f"Create the demo practice (slug {DEMO_SLUG!r}) with fictional staff, groups, members and "
        "sessions. Migrates an empty data directory first. Refuses when the demo exists; "
        "--reset rebuilds the database, and only when it holds nothing but the demo."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="rebuild the demo from scratch")
        parser.add_argument("--quiet", action="store_true", help="print nothing on success")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        if demo_exists():
            if not options["reset"]:
                raise CommandError(
                    "the demo practice already exists; use 'groupguard demo --reset' to rebuild it"
                )
            others = Practice.objects.exclude(slug=DEMO_SLUG).values_list("slug", flat=True)
            if others:
                raise CommandError(
                    "refusing to reset: the database also holds other practices "
                    f"({', '.join(others)}), and the audit log cannot be edited"
                )
            rebuild_database()
        demo = build_demo()
        if not options["quiet"]:
            self.stdout.write(
                f"Created the demo practice {demo.practice.name!r}: {len(demo.groups)} groups, "
                f"{len(demo.members)} members.\n{demo_logins_text()}"
            )
