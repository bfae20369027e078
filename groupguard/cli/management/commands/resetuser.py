from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from groupguard.accounts.actions import reset_password
from groupguard.cli.output import dump_json, practice_by_slug, read_password, user_in_practice


class Command(BaseCommand):
    help = (
        "Give a staff user who cannot sign in (the only practice admin, say) a temporary "
        "password, which they must replace at their next sign-in; --mfa also removes their "
        "authenticator and recovery codes. Their sessions end and their failed sign-ins are "
        "forgotten. The password is read from --password-file, or from standard input when it "
        "is not a terminal, or asked for twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, metavar="SLUG")
        parser.add_argument("--username", required=True)
        parser.add_argument(
            "--mfa",
            action="store_true",
            help="also reset two-step sign-in: a new authenticator is set up at the next sign-in",
        )
        parser.add_argument("--password-file", help="file whose first line is the password")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_by_slug(options["practice"])
        user = user_in_practice(practice, options["username"], option="--username")
        password = read_password(options["password_file"], label="Temporary password")
        try:
            done = reset_password(
                user,
                password=password,
                reset_second_step=options["mfa"],
                acting_user=None,
                via="cli",
            )
        except ValidationError as exc:
            messages = (
                exc.message_dict if hasattr(exc, "error_dict") else {"password": exc.messages}
            )
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in messages.items())
            ) from None
        user.refresh_from_db()
        self.stdout.write(
            dump_json(
                {
                    "id": user.pk,
                    "username": user.username,
                    "must_change_password": user.must_change_password,
                    "second_step_reset": options["mfa"],
                    "sessions_ended": done.sessions_ended,
                    "lockout_failures_cleared": done.lockout_failures_cleared,
                }
            )
        )
