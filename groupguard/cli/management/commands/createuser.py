from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from groupguard.accounts.models import Role
from groupguard.cli.output import dump_json, practice_by_slug, read_password
from groupguard.practice.actions import create_staff_user, set_practitioner_profile
from groupguard.practice.models.practice import EthicsCode, LicenseType


class Command(BaseCommand):
    help = (
        "Create a staff user in a practice. The password is read from --password-file, or "
        "from standard input when it is not a terminal, or asked for twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, metavar="SLUG")
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", choices=Role.values, default=Role.CLINICIAN)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--password-file", help="file whose first line is the password")
        parser.add_argument("--license-type", choices=LicenseType.values)
        parser.add_argument("--ethics-code", choices=EthicsCode.values)
        parser.add_argument("--license-number", default="")
        parser.add_argument("--license-jurisdiction", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_by_slug(options["practice"])
        if bool(options["license_type"]) != bool(options["ethics_code"]):
            raise CommandError(
                "give --license-type and --ethics-code together (a practitioner profile)"
            )
        password = read_password(options["password_file"])
        try:
            with transaction.atomic():
                user = create_staff_user(
                    practice=practice,
                    username=options["username"],
                    password=password,
                    role=options["role"],
                    first_name=options["first_name"],
                    last_name=options["last_name"],
                    email=options["email"],
                    acting_user=None,
                )
                if options["license_type"]:
                    set_practitioner_profile(
                        user=user,
                        license_type=options["license_type"],
                        ethics_code=options["ethics_code"],
                        license_number=options["license_number"],
                        license_jurisdiction=options["license_jurisdiction"],
                        acting_user=None,
                    )
        except ValidationError as exc:
            messages = (
                exc.message_dict if hasattr(exc, "error_dict") else {"password": exc.messages}
            )
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in messages.items())
            ) from None
        self.stdout.write(dump_json({"id": user.pk, "username": user.username, "role": user.role}))
