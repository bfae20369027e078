from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from groupguard.cli.management.commands.demo import demo_logins_text
from groupguard.practice.demo import build_demo, demo_exists
from groupguard.practice.models import Practice


class Command(BaseCommand):
    help = (
        "Serve groupguard with gunicorn: migrates, collects static files, optionally loads the "
        "demo practice into an empty database, then serves on 127.0.0.1:$PORT (default 8000)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("GROUPGUARD_WORKERS", "2"))
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("GROUPGUARD_THREADS", "4"))
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="load the demo practice when the database has no practice",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        if options["demo"] and not Practice.objects.exists():
            build_demo()
            self.stdout.write("Loaded the demo practice.")
        if settings.DEMO_MODE and demo_exists():
            self.stdout.write(demo_logins_text())
        url = f"http://{options['host']}:{options['port']}"
        self.stdout.write(
            f"groupguard is serving on {url}  (data in {settings.DATA_DIR}; Ctrl-C stops)"
        )
        self.stdout.flush()
        from groupguard.cli.server import run_gunicorn

        run_gunicorn(
            bind=f"{options['host']}:{options['port']}",
            workers=options["workers"],
            threads=options["threads"],
        )
