from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from groupguard.audit.reads import record_view
from groupguard.cli import contacts as shared
from groupguard.cli.output import (
    dump_json,
    one_of,
    practice_by_slug,
    user_in_practice,
    validation_error,
)
from groupguard.contacts import actions
from groupguard.contacts.models import Promise, PromiseStatus
from groupguard.practice.models import Practice

RELATED = ("member", "made_by", "closed_by", "contact__group")


class Command(BaseCommand):
    help = (
        "Promises of confidentiality made to members, as JSON: list (open ones unless --all), "
        "close ID. A promise stays open until the member releases it or the facilitator "
        "withdraws it after telling them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        listing = sub.add_parser("list", help="open promises, newest first")
        shared.practice_option(listing)
        shared.as_option(listing, required=False)
        listing.add_argument("--all", action="store_true", help="closed promises too")

        close = sub.add_parser("close", help="close an open promise")
        close.add_argument("id", metavar="ID")
        shared.practice_option(close)
        shared.as_option(close, required=True)
        close.add_argument(
            "--status",
            required=True,
            choices=[PromiseStatus.RELEASED, PromiseStatus.WITHDRAWN],
            help="released by the member, or withdrawn after telling them",
        )
        close.add_argument(
            "--note", required=True, metavar="TEXT", help="how and when; 10 characters or more"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_by_slug(options["practice"])
        handler = getattr(self, f"_{options['action']}")
        # The practice's calendar, as on the web pages: "today" is the practice's today.
        with timezone.override(practice.timezone):
            handler(practice, options)

    def _list(self, practice: Practice, options: dict[str, Any]) -> None:
        user = shared.viewer(practice, options)
        promises = shared.promises_seen(practice, user).select_related(*RELATED)
        if not options["all"]:
            promises = promises.filter(status=PromiseStatus.OPEN)
        data = [shared.promise_json(p) for p in promises.order_by("-made_at")]
        record_view(
            user=user,
            practice_id=practice.id,
            action="promise.list",
            object_type="promise",
            detail={"via": "cli", "count": len(data)},
        )
        self.stdout.write(dump_json(data))

    def _close(self, practice: Practice, options: dict[str, Any]) -> None:
        user = user_in_practice(practice, options["as_user"])
        promise = one_of(
            shared.promises_seen(practice, user), "promise", options["id"], practice, user
        )
        try:
            actions.close_promise(
                promise, status=options["status"], note=options["note"], acting_user=user
            )
        except ValidationError as error:
            raise validation_error(error) from None
        promise = Promise.objects.select_related(*RELATED).get(pk=promise.pk)
        self.stdout.write(dump_json(shared.promise_json(promise)))
