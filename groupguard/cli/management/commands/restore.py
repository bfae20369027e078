from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from groupguard.cli.output import dump_json
from groupguard.ops.restore import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup file into an empty database (an empty data directory on SQLite, a "
        "database without tables on PostgreSQL), then check it: integrity, row counts, "
        "migrations, every audit log against the backup's signed checkpoints, and that the "
        "configured keys open the PHI. Refuses to overwrite data. Prints a JSON report; exits "
        "1 if any check fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="a file written by 'groupguard backup'")
        parser.add_argument(
            "--pubkey",
            action="append",
            default=[],
            help="another trusted audit public key (base64), e.g. of the server that made it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = restore_backup(Path(options["file"]), pubkeys=options["pubkey"])
        except BackupError as exc:
            raise CommandError(f"restore refused: {exc}") from None
        self.stdout.write(dump_json(report.as_json()))
        if not report.ok:
            failed = [c for c in report.checks if not c["ok"]]
            raise CommandError(
                "the restored database fails these checks: "
                + ", ".join(c["check"] for c in failed)
                + " (see the JSON report above)",
                returncode=1,
            )
        self.stderr.write(f"restored {options['file']}: every check passed")
