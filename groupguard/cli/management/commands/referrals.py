from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
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
from groupguard.contacts import actions, selectors
from groupguard.contacts.models import Referral, ReferralStatus
from groupguard.practice.models import Practice


class Command(BaseCommand):
    help = (
        "Referrals to an individual therapist, as JSON: list, offer, update ID. A referral "
        "moves from offered to accepted or declined, and from accepted to completed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        listing = sub.add_parser("list", help="referrals, newest first")
        shared.practice_option(listing)
        shared.as_option(listing, required=False)
        listing.add_argument("--status", choices=ReferralStatus.values)
        listing.add_argument(
            "--awaiting",
            action="store_true",
            help="only those offered and unanswered after the practice's reminder period, "
            "oldest first",
        )

        offer = sub.add_parser("offer", help="offer a member a referral")
        shared.practice_option(offer)
        shared.as_option(offer, required=True)
        offer.add_argument("--member", required=True, metavar="ID")
        offer.add_argument("--reason", required=True, metavar="TEXT")
        _recipient_options(offer)
        offer.add_argument("--contact", metavar="ID", help="the contact the offer was made in")

        update = sub.add_parser(
            "update", help="record the member's answer (--status) or name the therapist"
        )
        update.add_argument("id", metavar="ID")
        shared.practice_option(update)
        shared.as_option(update, required=True)
        update.add_argument("--status", choices=ReferralStatus.values)
        update.add_argument(
            "--on", metavar="DATE", help="the day of the new status, YYYY-MM-DD; default today"
        )
        _recipient_options(update)

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_by_slug(options["practice"])
        handler = getattr(self, f"_{options['action']}")
        # The practice's calendar, as on the web pages: "today" is the practice's today.
        with timezone.override(practice.timezone):
            handler(practice, options)

    def _list(self, practice: Practice, options: dict[str, Any]) -> None:
        user = shared.viewer(practice, options)
        referrals = shared.referrals_seen(practice, user).select_related(
            "member", "offered_by", "to_practitioner"
        )
        if options["status"]:
            referrals = referrals.filter(status=options["status"])
        if options["awaiting"]:
            referrals = selectors.awaiting_answer(referrals, practice).order_by("offered_on")
        data = [shared.referral_json(r) for r in referrals]
        record_view(
            user=user,
            practice_id=practice.id,
            action="referral.list",
            object_type="referral",
            detail={"via": "cli", "count": len(data)},
        )
        self.stdout.write(dump_json(data))

    def _offer(self, practice: Practice, options: dict[str, Any]) -> None:
        user = user_in_practice(practice, options["as_user"])
        recipient = _recipient(practice, options)
        member = one_of(
            shared.members_seen(practice, user), "member", options["member"], practice, user
        )
        contact = None
        if options["contact"]:
            contact = one_of(
                shared.contacts_seen(practice, user), "contact", options["contact"], practice, user
            )
        try:
            referral = actions.offer_referral(
                member=member,
                acting_user=user,
                reason=options["reason"],
                contact=contact,
                to_practitioner=recipient["to_practitioner"],
                to_name=recipient["to_name"] or "",
                to_contact=recipient["to_contact"] or "",
            )
        except ValidationError as error:
            raise validation_error(error) from None
        self._print(referral)

    def _update(self, practice: Practice, options: dict[str, Any]) -> None:
        user = user_in_practice(practice, options["as_user"])
        recipient = _recipient(practice, options)
        if options["on"] and not options["status"]:
            raise CommandError("--on goes with --status: the day the member answered")
        if not options["status"] and not any(v is not None for v in recipient.values()):
            raise CommandError(
                "nothing to change: give --status, or name the therapist with --to-user or "
                "--to-name"
            )
        referral = one_of(
            shared.referrals_seen(practice, user), "referral", options["id"], practice, user
        )
        try:
            referral = actions.update_referral(
                referral,
                acting_user=user,
                status=options["status"],
                on=_date(options["on"]) if options["on"] else None,
                **recipient,
            )
        except ValidationError as error:
            raise validation_error(error) from None
        self._print(referral)

    def _print(self, referral: Referral) -> None:
        referral = Referral.objects.select_related("member", "offered_by", "to_practitioner").get(
            pk=referral.pk
        )
        self.stdout.write(dump_json(shared.referral_json(referral)))


def _recipient_options(parser: CommandParser) -> None:
    to = parser.add_mutually_exclusive_group()
    to.add_argument("--to-user", metavar="USERNAME", help="a practitioner of the practice")
    to.add_argument("--to-name", metavar="NAME", help="an outside therapist")
    parser.add_argument(
        "--to-contact", metavar="TEXT", help="how to reach the outside therapist (--to-name)"
    )


def _recipient(practice: Practice, options: dict[str, Any]) -> dict[str, Any]:
    """The recipient options as the actions take them; None where nothing was given."""
    if options["to_contact"] is not None and options["to_name"] is None:
        raise CommandError("--to-contact goes with --to-name (an outside therapist)")
    if options["to_user"] is not None:
        to_user = user_in_practice(practice, options["to_user"], option="--to-user")
        # Naming a practitioner replaces an outside therapist named before.
        return {"to_practitioner": to_user, "to_name": "", "to_contact": ""}
    return {
        "to_practitioner": None,
        "to_name": options["to_name"],
        "to_contact": options["to_contact"],
    }


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--on takes a date such as 2026-03-02, not {value!r}") from None
