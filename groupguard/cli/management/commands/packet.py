from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from groupguard.cli.output import dump_json, practice_by_slug
from groupguard.evidence.build import PacketError, build_packet
from groupguard.evidence.models import Complaint
from groupguard.practice.models import Member


class Command(BaseCommand):
    help = (
        "Evidence packets. build: write a packet folder for a complaint (or a member). "
        "verify: check a packet (its folder or zip) offline "
        "(groupguard packet verify PACKET [--pubkey KEY])."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        build = sub.add_parser("build", help="build a packet folder")
        target = build.add_mutually_exclusive_group(required=True)
        target.add_argument("--complaint", metavar="ID", help="the complaint the packet answers")
        target.add_argument("--member", metavar="ID", help="a member, without a complaint")
        build.add_argument("--practice", metavar="SLUG", help="required with --member")
        build.add_argument("--out", required=True, metavar="DIR", help="a new or empty folder")
        build.add_argument("--from", dest="start", metavar="DATE", help="first day (YYYY-MM-DD)")
        build.add_argument("--to", dest="end", metavar="DATE", help="last day (YYYY-MM-DD)")
        verify = sub.add_parser("verify", help="check a packet folder offline")
        verify.add_argument("folder", metavar="DIR")
        verify.add_argument("--pubkey", metavar="KEY")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":  # normally answered before Django starts
            from groupguard.evidence.verify import main

            argv = [
                options["folder"],
                *(["--pubkey", options["pubkey"]] if options["pubkey"] else []),
            ]
            code = main(argv)
            if code:
                sys.exit(code)
            return
        import datetime

        def day(name: str) -> datetime.date | None:
            value = options[name]
            if not value:
                return None
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                raise CommandError(
                    f"--{'from' if name == 'start' else 'to'}: {value!r} is not a date (YYYY-MM-DD)"
                ) from None

        complaint = None
        if options["complaint"]:
            complaint = (
                Complaint.objects.select_related("member", "member__practice")
                .filter(pk=_uuid(options["complaint"], "--complaint"))
                .first()
            )
            if complaint is None:
                raise CommandError(f"no complaint {options['complaint']}")
            member = complaint.member
        else:
            if not options["practice"]:
                raise CommandError("--member needs --practice SLUG")
            practice = practice_by_slug(options["practice"])
            found = Member.objects.filter(
                practice=practice, pk=_uuid(options["member"], "--member")
            ).first()
            if found is None:
                raise CommandError(f"no member {options['member']} in practice {practice.slug}")
            member = found
        out = Path(options["out"])
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise CommandError(f"--out: {out} is not an empty folder")

        def progress(step: str) -> None:
            self.stderr.write(f"  {step} done")

        try:
            packet = build_packet(
                member=member,
                acting_user=None,
                complaint=complaint,
                start=day("start"),
                end=day("end"),
                progress=progress,
                via="cli",
            )
            packet.write(out)
        except PacketError as error:
            raise CommandError(str(error)) from None
        manifest = json.loads(packet.files["manifest.json"])
        self.stdout.write(
            dump_json(
                {
                    "folder": str(out),
                    "member_id": str(member.id),
                    "complaint_id": str(complaint.id) if complaint else None,
                    "checkpoint": packet.checkpoint.as_dict(),
                    "files": manifest["files"],
                    "entries": len(packet.content["audit"]["entries"]),
                    "timeline_items": len(packet.content["timeline"]),
                    "seconds": packet.seconds,
                }
            )
        )


def _uuid(value: str, option: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CommandError(f"{option}: {value!r} is not an id") from None
