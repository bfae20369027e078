from __future__ import annotations

import argparse
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from groupguard.cli.output import dump_json
from groupguard.demo.scale import (
    AUDIT_ENTRIES_PER_1X,
    SCALE_SLUG,
    ScalePracticeExists,
    seed_scale,
)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _factor(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


class Command(BaseCommand):
    help = (
        f"Generate a large fictional practice (slug {SCALE_SLUG!r}) for benchmarks: an admin "
        "'scale-admin', one clinician per ten groups, groups, members, enrollments, roles, "
        "sessions over the past two years and the next two months, attendance, contacts, and an "
        "audit history of generated entries (real, verifiable ones). Migrates first. Refuses "
        "when the practice exists: use a fresh data directory or database. Bulk rows get no "
        "per-row audit entries; one 'practice.seed_scale' entry records the counts. Staff "
        "passwords are random and not shown (set one with 'groupguard changepassword "
        "scale-admin'). Prints a JSON summary: counts and seconds taken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--groups", type=_count, default=200, help="number of groups (default 200)"
        )
        parser.add_argument(
            "--members", type=_count, default=2000, help="number of members (default 2000)"
        )
        parser.add_argument(
            "--sessions",
            type=_count,
            default=20000,
            help="number of sessions, shared among the groups (default 20000)",
        )
        parser.add_argument(
            "--no-attendance",
            action="store_true",
            help="record no attendance for past sessions (much faster)",
        )
        parser.add_argument(
            "--audit-entries",
            type=_count,
            default=AUDIT_ENTRIES_PER_1X,
            metavar="N",
            help="entries of generated audit history, multiplied by --scale like the other "
            f"counts (default {AUDIT_ENTRIES_PER_1X:,}: a million at --scale 10; 0 for none)",
        )
        parser.add_argument(
            "--scale",
            type=_factor,
            default=1.0,
            metavar="FACTOR",
            help="multiply groups, members, sessions and audit entries by FACTOR, e.g. 0.1 or 5 "
            "(default 1)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="random seed: the same seed gives the same names and calendar (default 1)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        factor: float = options["scale"]
        groups = max(1, round(options["groups"] * factor))
        members = round(options["members"] * factor)
        sessions = round(options["sessions"] * factor)
        audit_entries = round(options["audit_entries"] * factor)
        call_command("migrate", verbosity=0, interactive=False)
        try:
            summary = seed_scale(
                groups=groups,
                members=members,
                sessions=sessions,
                attendance=not options["no_attendance"],
                audit_entries=audit_entries,
                seed=options["seed"],
            )
        except ScalePracticeExists as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(dump_json(summary))
