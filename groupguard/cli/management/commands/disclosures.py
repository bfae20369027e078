"""``groupguard disclosures``: stored "may I share this?" assessments and the accounting of
disclosures, as JSON.

``assess`` stores an assessment as the web form and the API do: the records answer the facts
they hold, the answers (a JSON object, from FILE or standard input) the rest. ``groupguard
assess`` is the pure engine on a full fact set, with nothing read or stored.
"""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
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
from groupguard.disclosures import actions, selectors
from groupguard.disclosures.models import Assessment, Choice, Disclosure
from groupguard.practice.models import Member, Practice

EXAMPLE = '{"recipient": "group", "purpose": "treatment"}'
_JSON_KINDS: dict[type, str] = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


class Command(BaseCommand):
    help = (
        "Disclosure decisions about a member, as JSON: assess (store an assessment), list "
        "(their assessments), accounting (disclosures outside the group). Decision support, "
        "not legal advice."
    )
    # Tests pass the answers' standard input here; from a shell it is sys.stdin.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        assess = sub.add_parser(
            "assess",
            help="may I share this? store an assessment from the answers (a JSON object)",
            epilog=f"example: echo '{EXAMPLE}' | groupguard disclosures assess --practice "
            "SLUG --as USERNAME --member ID",
        )
        shared.practice_option(assess)
        shared.as_option(assess, required=True)
        _member_option(assess)
        assess.add_argument(
            "--contact",
            metavar="ID",
            help="the contact where it was said: its facts come from the entry",
        )
        assess.add_argument(
            "--question", metavar="TEXT", default="", help="what you want to share, in a line"
        )
        assess.add_argument(
            "file",
            nargs="?",
            metavar="FILE",
            help="a JSON file of answers: the facts the records do not hold (recipient, "
            "purpose, danger...; docs/rules.md); without it, or with -, standard input",
        )

        listing = sub.add_parser(
            "list", help="a member's assessments, newest first, without the facts"
        )
        shared.practice_option(listing)
        shared.as_option(listing, required=False)
        _member_option(listing)

        accounting = sub.add_parser(
            "accounting",
            help="a member's disclosures outside the group, oldest first (45 CFR 164.528)",
        )
        shared.practice_option(accounting)
        shared.as_option(accounting, required=False)
        _member_option(accounting)
        accounting.add_argument(
            "--from", dest="first", metavar="DATE", help="first day, e.g. 2026-01-01"
        )
        accounting.add_argument("--to", dest="last", metavar="DATE", help="last day, included")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_by_slug(options["practice"])
        handler = getattr(self, f"_{options['action']}")
        # The practice's calendar, as on the web pages: "today" is the practice's today.
        with timezone.override(practice.timezone):
            handler(practice, options)

    def _assess(self, practice: Practice, options: dict[str, Any]) -> None:
        user = user_in_practice(practice, options["as_user"])
        member = _member(practice, user, options["member"])
        contact = (
            one_of(
                shared.contacts_seen(practice, user), "contact", options["contact"], practice, user
            )
            if options["contact"]
            else None
        )
        answers = self._read_answers(options)
        try:
            assessment = actions.assess(
                member=member,
                acting_user=user,
                answers=answers,
                contact=contact,
                question=options["question"],
            )
        except ValidationError as error:
            raise validation_error(error) from None
        assessment = selectors.with_details(Assessment.objects.filter(pk=assessment.pk)).get()
        self.stdout.write(dump_json(_assessment_json(assessment)))

    def _read_answers(self, options: dict[str, Any]) -> dict[str, Any]:
        path = options["file"]
        source = "standard input" if path in (None, "-") else path
        try:
            if path in (None, "-"):
                stream = options.get("stdin") or sys.stdin
                if stream.isatty():
                    self.stderr.write(
                        "Type the answers as JSON; end with Ctrl-D on a line of its own."
                    )
                text = str(stream.read())
            else:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            answers = json.loads(text)
        except OSError as error:
            raise CommandError(f"cannot read {source}: {error.strerror or error}") from None
        except UnicodeDecodeError as error:
            raise CommandError(f"{source} is not UTF-8: {error}") from None
        except json.JSONDecodeError as error:
            raise CommandError(f"{source} is not valid JSON: {error}") from None
        if not isinstance(answers, dict):
            kind = _JSON_KINDS.get(type(answers), type(answers).__name__)
            raise CommandError(
                f"the answers in {source} must be a JSON object such as {EXAMPLE}, not {kind}"
            )
        return answers

    def _list(self, practice: Practice, options: dict[str, Any]) -> None:
        user = shared.viewer(practice, options)
        member = _member(practice, user, options["member"])
        assessments = selectors.with_details(
            _assessments_seen(practice, user).filter(member=member)
        )
        data = [_assessment_row(a) for a in assessments.order_by("-created_at")]
        record_view(
            user=user,
            practice_id=practice.id,
            action="assessment.list",
            object_type="assessment",
            member_ids=[member.id],
            detail={"via": "cli", "count": len(data)},
        )
        self.stdout.write(dump_json(data))

    def _accounting(self, practice: Practice, options: dict[str, Any]) -> None:
        user = shared.viewer(practice, options)
        member = _member(practice, user, options["member"])
        first = _day(options["first"], "--from")
        last = _day(options["last"], "--to")
        if first and last and last < first:
            raise CommandError(f"--to ({last}) is before --from ({first})")
        rows = selectors.accounting_days(
            member, among=_disclosures_seen(practice, user), first=first, last=last
        )
        period = {k: str(v) for k, v in (("start", first), ("end", last)) if v is not None}
        record_view(
            user=user,
            practice_id=practice.id,
            action="accounting.view",
            obj=member,
            member_ids=[member.id],
            detail={"via": "cli", "count": len(rows), **period},
        )
        self.stdout.write(dump_json([_disclosure_json(d) for d in rows]))


def _member_option(parser: CommandParser) -> None:
    parser.add_argument(
        "--member", required=True, metavar="ID", help="see 'groupguard members --practice SLUG'"
    )


def _member(practice: Practice, user: User | None, value: str) -> Member:
    members = shared.members_seen(practice, user).select_related("practice")
    return one_of(members, "member", value, practice, user)


def _assessments_seen(practice: Practice, user: User | None) -> QuerySet[Assessment]:
    if user is not None:
        return selectors.visible_assessments(user)
    return Assessment.objects.filter(practice=practice)


def _disclosures_seen(practice: Practice, user: User | None) -> QuerySet[Disclosure]:
    if user is not None:
        return selectors.visible_disclosures(user)
    return Disclosure.objects.filter(practice=practice)


def _day(value: str | None, option: str) -> datetime.date | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} takes a date such as 2026-03-02, not {value!r}") from None


# --- JSON --------------------------------------------------------------------------------


def _choice_json(choice: Choice) -> dict[str, Any]:
    return {
        "kind": choice.kind,
        "decided_by": choice.decided_by.username,
        "created_at": choice.created_at.isoformat(),
    }


def _assessment_row(assessment: Assessment) -> dict[str, Any]:
    """An assessment without its facts or free text; from ``selectors.with_details``."""
    return {
        "id": str(assessment.id),
        "created_at": assessment.created_at.isoformat(),
        "level": assessment.level,
        "rules_version": assessment.rules_version,
        "determining": assessment.decision.get("determining", []),
        "choices": [_choice_json(c) for c in assessment.choices.all()],
        "contact": str(assessment.contact_id) if assessment.contact_id else None,
    }


def _assessment_json(assessment: Assessment) -> dict[str, Any]:
    """Everything stored: the facts with their sources, the decision, choices, disclosures."""
    return {
        **_assessment_row(assessment),
        "member": {"id": str(assessment.member_id), "name": assessment.member.display_name},
        "asked_by": assessment.asked_by.username,
        "question": assessment.question,
        "facts": assessment.facts,
        "prefilled": assessment.prefilled,
        "decision": assessment.decision,
        "choices": [{**_choice_json(c), "note": c.note} for c in assessment.choices.all()],
        "disclosures": [_disclosure_json(d) for d in assessment.disclosures.all()],
    }


def _disclosure_json(disclosure: Disclosure) -> dict[str, Any]:
    """``disclosure`` with member and recorded_by selected."""
    return {
        "id": str(disclosure.id),
        "member": {"id": str(disclosure.member_id), "name": disclosure.member.display_name},
        "assessment": str(disclosure.assessment_id) if disclosure.assessment_id else None,
        "recipient": disclosure.recipient,
        "recipient_detail": disclosure.recipient_detail,
        "disclosed_at": disclosure.disclosed_at.isoformat(),
        "what": disclosure.what,
        "purpose": disclosure.purpose,
        "recorded_by": disclosure.recorded_by.username,
    }
