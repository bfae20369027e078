from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from groupguard.cli.output import dump_json
from groupguard.ops.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Write an online, consistent backup of the database (SQLite's backup API, or pg_dump "
        "on PostgreSQL) with a signed checkpoint of every audit log, as one tar file readable "
        "by its owner only. The backup holds no keys. Prints a JSON summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out",
            metavar="FILE",
            help="where to write it (refuses an existing file); default: "
            "DATA_DIR/backups/groupguard-backup-<UTC time>.tar",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"]) if options["out"] else None
        try:
            summary = create_backup(out)
        except BackupError as exc:
            raise CommandError(f"backup failed: {exc}") from None
        self.stderr.write(f"wrote {summary['file']}. {summary['note']}")
        if summary["unconfigured_key_ids"]:
            self.stderr.write(
                "warning: stored values are sealed with keys this server does not hold: "
                + ", ".join(summary["unconfigured_key_ids"])
            )
        self.stdout.write(dump_json(summary))
