from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from groupguard.audit.baseline import ensure_baseline
from groupguard.audit.rows import baseline_done
from groupguard.cli.management.commands.demo import demo_logins_text
from groupguard.core.crypto import KeyConfigurationError
from groupguard.core.durability import describe
from groupguard.demo.practice import build_demo, demo_exists
from groupguard.ops.keys import load_keys
from groupguard.practice.models import Practice


def _static_fingerprint() -> str:
    """A digest of every source static file's path and contents (about 0.1 s for 700 files)."""
    import django
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256(f"{django.get_version()} {settings.STORAGES}".encode())
    for finder in get_finders():
        for path, storage in sorted(finder.list(["CVS", ".*", "*~"]), key=lambda x: x[0]):
            with open(storage.path(path), "rb") as handle:
                content = hashlib.file_digest(handle, "sha256").hexdigest()
            digest.update(f"{path}\0{content}\n".encode())
    return digest.hexdigest()


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

    def _collect_static(self) -> None:
        """Collect (and compress) static files, unless the collected set is already current.

        Compressing every file takes seconds; a restart of an unchanged install should not.
        """
        stamp = Path(settings.STATIC_ROOT) / ".groupguard-collected"
        fingerprint = _static_fingerprint()
        manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
        if manifest.exists() and stamp.exists() and stamp.read_text() == fingerprint:
            return
        stamp.unlink(missing_ok=True)  # an interrupted collect must not look complete
        call_command("collectstatic", verbosity=0, interactive=False)
        partial = stamp.with_suffix(".tmp")
        partial.write_text(fingerprint)
        partial.replace(stamp)

    def _report_durability(self) -> None:
        """One line on the database's durability settings; a warning for each that is off."""
        found, problems = describe(connection)
        shown = ", ".join(f"{k}={v}" for k, v in found.items())
        self.stdout.write(f"Database: {connection.vendor} ({shown})")
        for problem in problems:
            self.stderr.write(self.style.WARNING(f"WARNING: durability: {problem}"))

    @contextmanager
    def _step(self, doing: str) -> Iterator[None]:
        """Say what starts, then how long it took: a first start takes a while, silently
        otherwise."""
        self.stdout.write(f"{doing} ...")
        self.stdout.flush()
        started = time.monotonic()
        yield
        self.stdout.write(f"  done in {time.monotonic() - started:.1f} s")

    def handle(self, *args: Any, **options: Any) -> None:
        with self._step("Migrating the database"):
            call_command("migrate", verbosity=0, interactive=False)
        try:
            load_keys()
        except KeyConfigurationError as exc:
            raise CommandError(f"not serving: {exc}") from None
        if not baseline_done():  # the first start with row binding (docs/audit-log.md)
            bound = ensure_baseline()
            self.stdout.write(f"Bound {bound} record rows stored before row binding.")
        self._report_durability()
        with self._step("Preparing the page assets (about half a minute the first time)"):
            self._collect_static()
        if options["demo"] and not Practice.objects.exists():
            with self._step("Loading the demo practice"):
                build_demo()
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
