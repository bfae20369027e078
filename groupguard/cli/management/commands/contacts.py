from __future__ import annotations

import datetime
import sys
import zoneinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from django.utils import timezone

from groupguard.accounts.models import User
from groupguard.audit.reads import record_view
from groupguard.cli import contacts as shared
from groupguard.cli.output import (
    dump_json,
    one_of,
    practice_by_slug,
    user_in_practice,
    validation_error,
)
from groupguard.contacts import actions, selectors
from groupguard.contacts.guidance import PROMISE_WARNING, guidance_for
from groupguard.contacts.models import ANSWERS, Contact, Initiator, Request, Setting
from groupguard.practice.models import Practice

DEFAULT_LIMIT = 100


class Command(BaseCommand):
    help = (
        "Out-of-session contacts, as JSON: list, show ID, log, amend ID, stats. Reads and "
        "writes go through the same actions and access rules as the web pages."
    )
    # Tests pass the summary's standard input here; from a shell it is sys.stdin.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        listing = sub.add_parser("list", help="contacts, newest first, without their summaries")
        shared.practice_option(listing)
        shared.as_option(listing, required=False)
        listing.add_argument("--member", metavar="ID", help="only contacts with this member")
        listing.add_argument("--group", metavar="ID", help="only contacts of this group")
        listing.add_argument(
            "--request",
            choices=Request.values,
            help="only contacts whose request, as last corrected, is this (unanswered: those "
            "waiting for the facilitator's answer)",
        )
        listing.add_argument(
            "--limit", type=int, default=DEFAULT_LIMIT, help=f"default {DEFAULT_LIMIT}"
        )

        show = sub.add_parser("show", help="one contact: summary, amendments, promises, referrals")
        show.add_argument("id", metavar="ID")
        shared.practice_option(show)
        shared.as_option(show, required=False)

        log = sub.add_parser(
            "log",
            help="record a contact; the summary is read from standard input without --summary",
        )
        shared.practice_option(log)
        shared.as_option(log, required=True)
        log.add_argument(
            "--group", required=True, metavar="ID", help="see 'groupguard groups --practice SLUG'"
        )
        log.add_argument(
            "--member",
            required=True,
            action="append",
            metavar="ID",
            help="a member you spoke with (repeat for each)",
        )
        log.add_argument("--setting", required=True, choices=Setting.values)
        log.add_argument("--initiated-by", required=True, choices=Initiator.values)
        log.add_argument(
            "--when",
            metavar="ISO8601",
            help="when it happened, e.g. 2026-03-02T18:45 (the practice's time zone unless "
            "an offset is given); default now",
        )
        log.add_argument(
            "--request",
            choices=Request.values,
            default=Request.UNANSWERED,
            help="did the member ask for confidentiality? your answer; without it the entry "
            "records 'unanswered' (answer it later with 'contacts amend --request'), never the "
            "detector's suggestion, which is printed beside it",
        )
        log.add_argument("--summary", metavar="TEXT", help="what was said, in plain sentences")
        log.add_argument(
            "--reminded", action="store_true", help="you reminded them of the group agreement"
        )
        log.add_argument(
            "--offered-referral",
            action="store_true",
            help="you offered a referral to an individual therapist",
        )
        log.add_argument(
            "--promised", action="store_true", help="you promised to keep it confidential"
        )
        log.add_argument("--promise-scope", metavar="TEXT", default="", help="what it covers")
        log.add_argument(
            "--confirm-promise",
            action="store_true",
            help="you made the promise and read why it can conflict with your duty to the group",
        )

        amend = sub.add_parser("amend", help="add to or correct a contact; the original stays")
        amend.add_argument("id", metavar="ID")
        shared.practice_option(amend)
        shared.as_option(amend, required=True)
        amend.add_argument("--text", required=True)
        amend.add_argument(
            "--request",
            choices=[value for value, _label in ANSWERS],
            default="",
            help="a corrected request, or the answer to one not answered yet",
        )

        stats = sub.add_parser(
            "stats", help="how often the detector's suggestion matched what was recorded"
        )
        shared.practice_option(stats)

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_by_slug(options["practice"])
        handler = getattr(self, f"_{options['action']}")
        # The practice's calendar, as on the web pages: "today" is the practice's today.
        with timezone.override(practice.timezone):
            handler(practice, options)

    def _list(self, practice: Practice, options: dict[str, Any]) -> None:
        if options["limit"] < 1:
            raise CommandError("--limit must be 1 or more")
        user = shared.viewer(practice, options)
        contacts = shared.contacts_seen(practice, user)
        if options["group"]:
            group = one_of(
                shared.groups_seen(practice, user), "group", options["group"], practice, user
            )
            contacts = contacts.filter(group=group)
        if options["member"]:
            member = one_of(
                shared.members_seen(practice, user), "member", options["member"], practice, user
            )
            contacts = contacts.filter(member_links__member=member)
        if options["request"]:
            contacts = selectors.with_request(contacts, options["request"])
        contacts = selectors.with_details(contacts).annotate(
            promise_count=Count("promises", distinct=True),
            referral_count=Count("referrals", distinct=True),
        )
        now = timezone.now()
        data = [
            {
                **shared.contact_row(c, now),
                "promises": c.promise_count,
                "referrals": c.referral_count,
            }
            for c in contacts.order_by("-occurred_at", "-created_at")[: options["limit"]]
        ]
        record_view(
            user=user,
            practice_id=practice.id,
            action="contact.list",
            object_type="contact",
            detail={"via": "cli", "count": len(data)},
        )
        self.stdout.write(dump_json(data))

    def _show(self, practice: Practice, options: dict[str, Any]) -> None:
        user = shared.viewer(practice, options)
        contact = self._contact(practice, user, options["id"])
        data = shared.contact_detail(contact, timezone.now())
        record_view(
            user=user,
            practice_id=practice.id,
            action="contact.view",
            obj=contact,
            member_ids=[m.id for m in selectors.members_of(contact)],
            detail={"via": "cli"},
        )
        self.stdout.write(dump_json(data))

    def _log(self, practice: Practice, options: dict[str, Any]) -> None:
        user = user_in_practice(practice, options["as_user"])
        promised = options["promised"]
        if promised and not options["confirm_promise"]:
            raise CommandError(
                "--promised needs --confirm-promise, given after reading this:\n"
                + PROMISE_WARNING
                + "\nIf you made no promise, leave out --promised."
            )
        if not promised and (options["promise_scope"] or options["confirm_promise"]):
            raise CommandError("--promise-scope and --confirm-promise go with --promised")
        group = one_of(
            shared.groups_seen(practice, user), "group", options["group"], practice, user
        )
        members = [
            one_of(shared.members_seen(practice, user), "member", value, practice, user)
            for value in options["member"]
        ]
        occurred_at = _when(options["when"], practice) if options["when"] else timezone.now()
        summary = options["summary"]
        if summary is None:
            summary = self._read_summary(options)
        try:
            contact = actions.log_contact(
                group=group,
                members=members,
                acting_user=user,
                occurred_at=occurred_at,
                setting=options["setting"],
                initiated_by=options["initiated_by"],
                summary=summary,
                request=options["request"],
                reminded_agreement=options["reminded"],
                offered_referral=options["offered_referral"],
                promised_confidentiality=promised,
                promise_scope=options["promise_scope"],
                promise_confirmed=options["confirm_promise"],
            )
        except ValidationError as error:
            raise validation_error(error) from None
        contact = selectors.with_details(Contact.objects.filter(pk=contact.pk)).get()
        data = shared.contact_detail(contact, timezone.now())
        data["guidance"] = shared.guidance_json(
            guidance_for(
                group=group,
                members=members,
                request=selectors.request_for_guidance(contact),
                setting=contact.setting,
                at=contact.occurred_at,
            )
        )
        self.stdout.write(dump_json(data))

    def _read_summary(self, options: dict[str, Any]) -> str:
        stream = options.get("stdin") or sys.stdin
        if stream.isatty():
            self.stderr.write("Type the summary; end it with Ctrl-D on a line of its own.")
        return str(stream.read())

    def _amend(self, practice: Practice, options: dict[str, Any]) -> None:
        user = user_in_practice(practice, options["as_user"])
        contact = self._contact(practice, user, options["id"])
        try:
            amendment = actions.amend_contact(
                contact, acting_user=user, text=options["text"], request=options["request"]
            )
        except ValidationError as error:
            raise validation_error(error) from None
        contact = selectors.with_details(Contact.objects.filter(pk=contact.pk)).get()
        data = {
            **shared.amendment_json(amendment),
            "effective_request": selectors.effective_request(contact),
        }
        self.stdout.write(dump_json(data))

    def _stats(self, practice: Practice, options: dict[str, Any]) -> None:
        self.stdout.write(dump_json(selectors.detector_stats(practice).as_json()))

    def _contact(self, practice: Practice, user: User | None, value: str) -> Contact:
        contacts = selectors.with_details(shared.contacts_seen(practice, user))
        return one_of(contacts, "contact", value, practice, user)


def _when(value: str, practice: Practice) -> datetime.datetime:
    """An ISO 8601 date and time; without an offset, in the practice's time zone."""
    try:
        when = datetime.datetime.fromisoformat(value)
    except ValueError:
        when = None
    if when is None or len(value) <= len("2026-03-02"):
        raise CommandError(
            f"--when takes a date and time such as 2026-03-02T18:45 or "
            f"2026-03-02T18:45-08:00, not {value!r}"
        )
    if timezone.is_naive(when):
        when = when.replace(tzinfo=zoneinfo.ZoneInfo(practice.timezone))
    return when
