from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from groupguard.audit import actions as audit_actions
from groupguard.cli.output import dump_json
from groupguard.ops.rotation import add_active_key, reseal_all
from groupguard.practice.models import Practice


class Command(BaseCommand):
    help = (
        "Re-encrypt every PHI field under a new key. Adds a new active key to the key file "
        "(unless --resume), then re-seals all rows still under another key. Safe to interrupt "
        "and run again with --resume. With keys from GROUPGUARD_ENCRYPTION_KEYS, add the new "
        "key there yourself and run with --resume."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--resume", action="store_true", help="re-seal only; add no new key")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["resume"]:
            if settings.GROUPGUARD_ENCRYPTION_KEYS:
                raise CommandError(
                    "keys come from GROUPGUARD_ENCRYPTION_KEYS: add a new key there, make it "
                    "active, restart, then run 'groupguard rotate-keys --resume'"
                )
            kid = add_active_key(settings.GROUPGUARD_ENCRYPTION_KEYS_FILE)
            self.stderr.write(f"added key {kid} to {settings.GROUPGUARD_ENCRYPTION_KEYS_FILE}")
        report = reseal_all(batch_size=options["batch_size"])
        audit_actions.record_key_rotation(
            Practice.objects.values_list("id", flat=True),
            active_key=report.active_key,
            rows_resealed=report.rows_resealed,
        )
        self.stdout.write(
            dump_json(
                {
                    "active_key": report.active_key,
                    "rows_checked": report.rows_checked,
                    "rows_resealed": report.rows_resealed,
                }
            )
        )
