from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from groupguard.audit import actions as audit_actions
from groupguard.audit import selectors
from groupguard.audit.baseline import bind_unbound_rows
from groupguard.audit.checkpoints import make_checkpoint, public_key_info
from groupguard.audit.models import AuditLog
from groupguard.audit.records import verify_records
from groupguard.audit.rows import baseline_done
from groupguard.audit.verify import VerifyReport, known_public_keys, verify_log
from groupguard.cli.output import dump_json, practice_by_slug


class Command(BaseCommand):
    help = "The tamper-evident audit log: export, checkpoint, pubkey, prove, consistency, verify."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        export = sub.add_parser("export", help="JSON Lines of every entry of a practice's log")
        export.add_argument("--practice", required=True, metavar="SLUG")
        export.add_argument("--out", metavar="FILE", help="write here instead of stdout")
        checkpoint = sub.add_parser(
            "checkpoint",
            help="make and print a signed checkpoint (--all: of every log that grew, for cron)",
        )
        which = checkpoint.add_mutually_exclusive_group(required=True)
        which.add_argument("--practice", metavar="SLUG")
        which.add_argument("--all", action="store_true", help="every log with new entries")
        sub.add_parser("pubkey", help="print the audit signing key's id and raw public key")
        prove = sub.add_parser("prove", help="RFC 9162 inclusion proof of one entry")
        prove.add_argument("--practice", required=True, metavar="SLUG")
        prove.add_argument("--index", required=True, type=int)
        prove.add_argument("--tree-size", type=int, help="default: the current size")
        consistency = sub.add_parser("consistency", help="RFC 9162 consistency proof M -> N")
        consistency.add_argument("--practice", required=True, metavar="SLUG")
        consistency.add_argument("--from", dest="first", required=True, type=int, metavar="M")
        consistency.add_argument("--to", dest="second", type=int, metavar="N")
        verify = sub.add_parser(
            "verify", help="recompute every leaf, root and signature; exit 1 on any fault"
        )
        verify.add_argument("--practice", metavar="SLUG", help="default: every log")
        verify.add_argument(
            "--trusted",
            metavar="CHECKPOINT_FILE",
            help="a checkpoint (or a JSON list of them) kept outside the database",
        )
        verify.add_argument(
            "--pubkey", action="append", default=[], help="another trusted public key (base64)"
        )
        verify.add_argument(
            "--records",
            action="store_true",
            help="also recompute every record row and compare it with the entry that last "
            "wrote it; names each row changed outside the application",
        )
        sub.add_parser(
            "baseline",
            help="bind record rows that no entry has bound yet (once, after upgrading)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        handler = getattr(self, f"_{action}")
        handler(options)

    def _log(self, slug: str) -> AuditLog:
        practice = practice_by_slug(slug)
        log = selectors.log_of_practice(practice.id)
        if log is None:
            raise CommandError(f"practice {slug!r} has no audit log yet")
        return log

    def _export(self, options: dict[str, Any]) -> None:
        log = self._log(options["practice"])
        audit_actions.record_export(log, via="cli")
        lines = selectors.export_lines(log)
        if options["out"]:
            with open(options["out"], "w", encoding="utf-8") as handle:
                for line in lines:
                    handle.write(line + "\n")
            self.stderr.write(f"wrote {log.size} entries to {options['out']}")
        else:
            for line in lines:
                self.stdout.write(line)

    def _checkpoint(self, options: dict[str, Any]) -> None:
        if not options["all"]:
            log = self._log(options["practice"])
            self.stdout.write(dump_json(make_checkpoint(log).as_dict()))
            return
        made = []
        for log in AuditLog.objects.filter(size__gt=0).order_by("name"):
            last = (
                log.checkpoints.order_by("-tree_size").values_list("tree_size", flat=True).first()
            )
            if last != log.size:
                made.append(make_checkpoint(log).as_dict())
        self.stdout.write(dump_json(made))

    def _pubkey(self, options: dict[str, Any]) -> None:
        self.stdout.write(dump_json(public_key_info()))

    def _prove(self, options: dict[str, Any]) -> None:
        log = self._log(options["practice"])
        try:
            proof = selectors.prove_inclusion(log, options["index"], options["tree_size"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(dump_json(proof))

    def _consistency(self, options: dict[str, Any]) -> None:
        log = self._log(options["practice"])
        try:
            proof = selectors.prove_consistency(log, options["first"], options["second"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(dump_json(proof))

    def _verify(self, options: dict[str, Any]) -> None:
        trusted: list[dict[str, Any]] = []
        if options["trusted"]:
            try:
                data = json.loads(Path(options["trusted"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(
                    f"cannot read trusted checkpoint {options['trusted']}: {exc}"
                ) from None
            trusted = data if isinstance(data, list) else [data]
            if not all(isinstance(t, dict) for t in trusted):
                raise CommandError(
                    f"trusted checkpoint {options['trusted']} must hold a JSON object "
                    "or a list of them"
                )
        try:
            keys = known_public_keys(options["pubkey"])
        except ValueError as exc:
            raise CommandError(f"--pubkey is not a base64 Ed25519 public key: {exc}") from None
        if options["practice"]:
            logs = [self._log(options["practice"])]
        else:
            # Only the id and practice: verify reads each head row itself and reports a
            # malformed one, where loading every column here could fail on it first.
            logs = list(AuditLog.objects.order_by("name").only("id", "practice_id"))
        progress = _progress_bar if sys.stderr.isatty() else None
        reports = []
        for log in logs:
            name = selectors.log_name(log.practice_id)
            origin_trusted = [t for t in trusted if str(t.get("origin", "")).endswith("/" + name)]
            if options["practice"]:
                origin_trusted = trusted
            report = verify_log(log, keys=keys, trusted=origin_trusted, progress=progress)
            if progress:
                sys.stderr.write("\n")
            reports.append(report)
        for log, report in zip(logs, reports, strict=True):
            if log.practice_id:
                self._record_verify(log, report)
        ok = all(r.ok for r in reports)
        out: dict[str, Any] = {"ok": ok, "logs": [r.as_json() for r in reports]}
        records = verify_records() if options["records"] else None
        if records is not None:
            out["records"] = records.as_json()
            out["ok"] = ok and records.ok
        self.stdout.write(dump_json(out))
        if ok and records is not None and not records.ok:
            more = f" (and {len(records.faults) - 1} more)" if len(records.faults) > 1 else ""
            raise CommandError(f"records: {records.faults[0]}{more}", returncode=1)
        if not ok:
            bad = next(r for r in reports if not r.ok)
            where = (
                f"first bad index {bad.first_bad_index}: "
                if bad.first_bad_index is not None
                else ""
            )
            raise CommandError(f"log {bad.log}: {where}{bad.faults[0]}", returncode=1)

    def _baseline(self, options: dict[str, Any]) -> None:
        done = baseline_done()
        self.stdout.write(dump_json({"rows_bound": bind_unbound_rows(), "already_done": done}))

    def _record_verify(self, log: AuditLog, report: VerifyReport) -> None:
        try:
            audit_actions.record_verification(log, report, via="cli")
        except (DatabaseError, ValueError, TypeError, IndexError) as exc:
            if report.ok:
                raise
            # A log whose head row is damaged cannot take an entry; the verdict still stands
            # and is printed below.
            self.stderr.write(
                f"log {report.log}: this verify could not be written to the log: "
                f"{type(exc).__name__}: {exc}".replace("\n", " ")
            )


def _progress_bar(done: int, total: int) -> None:
    width = 30
    filled = width * done // total if total else width
    percent = 100 * done // total if total else 100
    sys.stderr.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} ({percent}%)")
    sys.stderr.flush()
