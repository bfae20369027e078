"""Every view of a member's information writes an audit read entry.

A read entry is one whose action ends in ``.view``, ``.list`` or ``.export`` (the product's
own definition, ``evidence.packet.READ_SUFFIXES``: packets count them as the member's reads).
Two kinds of page:

- A page about one member, or about a record that concerns some members (a contact, an
  assessment, a signature), writes one entry naming each of those members, so "who looked at
  Mia's records?" is one query on ``member_id``.
- A page that lists many members (a roster, a picker, the member list, the dashboard's
  reminders) writes one entry for the page, as every list in the product does (``member.list``,
  ``contact.list``, ...): one per answer, not one per row, which keeps each page view one audit
  append and the pages' query counts flat (``tests/web/test_pages.py``,
  ``tests/demo/test_scale.py``). Those pages are named in ``LISTS`` with the entry they
  write.

The walk requests every GET route of the web UI and of the API (the routes of
``test_deny_by_default.all_routes``, with the ids of real records of Thursday Group) as bob,
who runs the group, and as alice, the practice admin: with the query string the
deny-by-default walk sends (``?group=…&member=…``), without it when the route takes no id (a
list, unfiltered), and with ``EXTRA_QUERIES`` (HTMX fragments). In every answer 200 it looks for
the members' information (``markers``: their names, and notes written about them), and each
member found must be named by a read entry written during that request, or, on a page of
``LISTS``, the page's entry must have been written. A route that answers 200 and writes no
audit entry at all must be in ``NO_MEMBER_INFORMATION``, whose pages must never show a marker.
A new page that shows a member and audits nothing fails here until it records its read.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db.models import Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from groupguard.accounts.models import User
from groupguard.audit.models import AuditEntry
from groupguard.contacts import actions as contacts
from groupguard.evidence import actions as evidence
from groupguard.evidence.packet import READ_SUFFIXES
from groupguard.practice.models import Member
from tests.conftest import Cast
from tests.security.test_deny_by_default import QUERY, Records, Route, all_routes, records_of

# Pages that show many members and write one read entry for the page (not one per member):
# route -> the action of that entry.
LISTS = {
    # open promises, referrals awaiting an answer, contacts not answered, complaints due
    "dashboard": "dashboard.view",
    "member_list": "member.list",
    "group_detail": "group.view",  # the roster, with each member's roles
    "group_enroll": "member.list",  # the picker of members who could join the group
    "agreement": "group.view",  # who signed which version
    "session_detail": "groupsession.view",  # the roster, with attendance
    "contact_create": "member.list",  # the checkboxes of the group's members
    "contact_members": "member.list",  # the same checkboxes, for another group (HTMX)
    "complaint_list": "complaint.list",  # complaints, and the picker of members
    "audit_log": "audit.view",  # the names of the members the entries shown concern
    "break_glass_list": "break_glass.list",  # emergency accesses with their members
    "api:list_members": "member.list",
    "api:get_group": "group.view",
    "api:get_agreement": "group.view",
    "api:get_session": "groupsession.view",
    "api:list_contacts": "contact.list",  # unfiltered: contacts of several members
    "api:list_promises": "promise.list",
    "api:list_referrals": "referral.list",
}
# Pages that answer 200 and write no read entry, because they show nothing about a member.
# The walk checks that none of them ever shows a marker.
NO_MEMBER_INFORMATION = {
    "healthz",
    "api:openapi-json",  # the API's description
    "api:openapi-view",
    "api:me",  # the signed-in user
    "api:practice",  # the practice's settings
    "api:staff",  # staff, not members
    "api:list_groups",  # groups with a count of members
    "api:list_sessions",  # dates and statuses
    "api:get_version",  # a published agreement's text: the group's, not a member's
    "agreement_version",
    "account_security",  # the user's own account
    "session_status",
    "passkey_list",
    "tokens",
    "group_create",  # forms naming staff and groups only
    "group_edit",
    "member_create",
    "break_glass",  # a form that asks for a member's id and a reason
    "practice_settings",  # staff and the practice
    "staff_create",
    "staff_profile",
    "staff_sign_in_reset",
}
# GET routes that answer a signed-in user with a redirect or a 404 whatever the records.
NEVER_A_PAGE = {
    "login": "signed in already: sent on",
    "mfa_verify": "the code was given already: sent on",
    "mfa_setup": "an authenticator is set up already: sent to the account page",
    "favicon": "a redirect to the icon",
    "api:api-root": "ninja's index, not served",
}
# Not walked: the admin is for site operators (is_staff, none in the cast) and leaves members'
# identity out (practice/admin.py); a signing link's pages are the member's own, opened with
# their token (the walk has none: they answer 404).
NOT_WALKED_PREFIXES = ("admin:", "admin/")  # named admin routes, and the unnamed ones
NOT_WALKED_PARAMS = {"token"}
# HTMX fragments and other answers that only a query string asks for.
EXTRA_QUERIES = {"group_enroll": [{"fragment": "1"}]}

# Notes written in the fixture, each about the members named in the key.
MIA_AND_NOAH_NOTE = "Both asked to sit away from the window draught from now on."
NOAH_NOTE = "Mentioned the move to Tacoma before the spring."


@dataclass
class Shown:
    """The records the walk opens, and the strings that give each member away."""

    records: Records
    markers: dict[uuid.UUID, list[str]]
    names: dict[uuid.UUID, str]
    # Markers that some answer must show, or the walk would pass by seeing nothing: the names
    # and the notes (the API shows a given name apart only in the one member it is asked for).
    must_appear: set[str]


def _markers(member: Member, *notes: str) -> list[str]:
    # The display name as pages show it, and the given name as a JSON string (the API's member
    # answers carry given and family names apart).
    return [member.display_name, json.dumps(member.given_name), *notes]


def hours_ago(hours: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


@pytest.fixture
def shown(cast: Cast) -> Shown:
    records = records_of(cast, cast.thursday, cast.mia, cast.bob)
    contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia, cast.noah],
        acting_user=cast.bob,
        occurred_at=hours_ago(3),
        setting="after_session",
        initiated_by="member",
        summary=MIA_AND_NOAH_NOTE,
        request="none",
    )
    contacts.log_contact(
        group=cast.thursday,
        members=[cast.noah],
        acting_user=cast.carol,
        occurred_at=hours_ago(4),
        setting="phone",
        initiated_by="member",
        summary=NOAH_NOTE,
        request="none",
    )
    # The records_of() notes, without their apostrophes (HTML escapes them).
    mia_notes = ["a sister is ill", "Alleges a broken confidence", "Coordinating care with"]
    return Shown(
        records=records,
        markers={
            cast.mia.id: _markers(cast.mia, MIA_AND_NOAH_NOTE, *mia_notes),
            cast.noah.id: _markers(cast.noah, MIA_AND_NOAH_NOTE, NOAH_NOTE),
            cast.olga.id: _markers(cast.olga),
        },
        names={cast.mia.id: "mia", cast.noah.id: "noah", cast.olga.id: "olga"},
        must_appear={
            *(m.display_name for m in (cast.mia, cast.noah, cast.olga)),
            MIA_AND_NOAH_NOTE,
            NOAH_NOTE,
            *mia_notes,
        },
    )


# -- the walk -------------------------------------------------------------------------------


@dataclass
class Answer:
    route: Route
    who: str
    url: str
    status: int
    shown: set[uuid.UUID] = field(default_factory=set)  # members whose markers it holds
    found: set[str] = field(default_factory=set)  # the markers it holds
    named: set[uuid.UUID] = field(default_factory=set)  # members named by its read entries
    actions: set[str] = field(default_factory=set)  # the actions of every entry it wrote


def _queries(route: Route, ids: dict[str, str]) -> list[dict[str, str]]:
    with_ids = {param: ids[name] for param, name in QUERY.items()}
    queries = [with_ids]
    if not route.params:
        queries.append({})  # a list without a filter
    queries += [{**with_ids, **extra} for extra in EXTRA_QUERIES.get(route.key, [])]
    return queries


def _last_entry() -> int:
    return int(AuditEntry.objects.aggregate(last=Max("pk"))["last"] or 0)


def walk(cast: Cast, data: Shown) -> list[Answer]:
    answers = []
    ids = data.records.ids
    for user in (cast.bob, cast.alice):
        client = cast.client_for(user)
        for route in all_routes():
            if "GET" not in route.methods or route.key.startswith(NOT_WALKED_PREFIXES):
                continue
            if NOT_WALKED_PARAMS & set(route.params):
                continue
            for query in _queries(route, ids):
                answers.append(_request(client, user, route, route.url(ids), query, data))
    return answers


def _request(
    client: Client, user: User, route: Route, path: str, query: dict[str, str], data: Shown
) -> Answer:
    url = f"{path}?{urlencode(query)}" if query else path
    before = _last_entry()
    response = client.get(url)
    answer = Answer(route, user.username, url, response.status_code)
    written = AuditEntry.objects.filter(pk__gt=before).values_list("action", "member_id")
    for action, member_id in written:
        answer.actions.add(action)
        if member_id is not None and action.endswith(READ_SUFFIXES):
            answer.named.add(member_id)
    if response.status_code == 200:
        body = response.content.decode("utf-8", "replace")
        for member_id, markers in data.markers.items():
            found = {marker for marker in markers if marker in body}
            if found:
                answer.shown.add(member_id)
                answer.found |= found
    return answer


def unnamed(answers: Iterable[Answer], data: Shown) -> list[str]:
    """Answers that showed a member without an entry naming them (or, for a list, the list's
    entry)."""
    problems = []
    for a in answers:
        missing = a.shown - a.named
        if not missing:
            continue
        if a.route.key in LISTS and LISTS[a.route.key] in a.actions:
            continue
        who = sorted(data.names[m] for m in missing)
        wanted = f"its entry {LISTS[a.route.key]}" if a.route.key in LISTS else "one"
        problems.append(
            f"GET {a.url} as {a.who} showed {who} and wrote {sorted(a.actions) or 'nothing'}, "
            f"not {wanted} naming them"
        )
    return problems


def test_every_answer_that_shows_a_member_writes_a_read_entry_naming_them(
    cast: Cast, shown: Shown
) -> None:
    answers = walk(cast, shown)
    problems = unnamed(answers, shown)
    by_route: dict[str, list[Answer]] = {}
    for a in answers:
        by_route.setdefault(a.route.key, []).append(a)
    for key, route_answers in by_route.items():
        ok = [a for a in route_answers if a.status == 200]
        if key in NO_MEMBER_INFORMATION:
            problems += [
                f"GET {a.url} as {a.who} is in NO_MEMBER_INFORMATION but showed "
                f"{sorted(shown.names[m] for m in a.shown)}"
                for a in ok
                if a.shown
            ]
        elif ok and not any(a.actions for a in ok):
            problems.append(
                f"{key} answered 200 and wrote no audit entry: record the read, or, if it shows "
                "nothing about a member, add it to NO_MEMBER_INFORMATION"
            )
        elif not ok and key not in NEVER_A_PAGE and any(a.status != 405 for a in route_answers):
            statuses = sorted({a.status for a in route_answers})
            problems.append(f"{key} answered {statuses} to bob and alice: the walk did not see it")
    found = {marker for a in answers for marker in a.found}
    problems += [f"no answer showed {m!r}" for m in sorted(shown.must_appear - found)]
    assert not problems, "\n".join(problems)


def test_the_allow_lists_name_only_existing_routes() -> None:
    keys = {route.key for route in all_routes()}
    stale = (set(LISTS) | NO_MEMBER_INFORMATION | set(NEVER_A_PAGE) | set(EXTRA_QUERIES)) - keys
    assert not stale, f"remove these from the lists of tests/security/test_read_audit.py: {stale}"


# -- the pages the walk found ---------------------------------------------------------------


def _reads(user: User, action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(actor_user_id=user.pk, action=action).order_by("pk"))


def _detail(entry: AuditEntry) -> dict[str, Any]:
    return dict(json.loads(bytes(entry.leaf))["detail"])


def test_the_assessment_form_for_a_contact_names_the_member_assessed(cast: Cast) -> None:
    contact = contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia, cast.noah],
        acting_user=cast.bob,
        occurred_at=hours_ago(1),
        setting="after_session",
        initiated_by="member",
        summary=MIA_AND_NOAH_NOTE,
        request="none",
    )
    url = reverse("assess_contact", args=[contact.id]) + f"?member={cast.noah.id}"
    response = cast.client_for(cast.bob).get(url)
    assert response.status_code == 200 and "Noah Zephyrine" in response.content.decode()
    [entry] = _reads(cast.bob, "contact.view")
    assert (entry.member_id, entry.object_id) == (cast.noah.id, str(contact.id))


def test_the_assessment_form_for_a_member_names_them(cast: Cast) -> None:
    response = cast.client_for(cast.carol).get(reverse("assess_member", args=[cast.mia.id]))
    assert response.status_code == 200 and "Mia Zephyrine" in response.content.decode()
    [entry] = _reads(cast.carol, "member.view")
    assert (entry.member_id, entry.object_id) == (cast.mia.id, str(cast.mia.id))


def test_the_contact_forms_member_checkboxes_are_a_list_read(cast: Cast) -> None:
    url = reverse("contact_members") + f"?group={cast.thursday.id}"
    response = cast.client_for(cast.bob).get(url)
    html = response.content.decode()
    assert response.status_code == 200 and "Mia Zephyrine" in html and "Noah Zephyrine" in html
    [entry] = _reads(cast.bob, "member.list")
    assert _detail(entry) == {"count": 2, "group": str(cast.thursday.id)}


def test_the_enrolment_fragment_is_a_list_read(cast: Cast) -> None:
    url = reverse("group_enroll", args=[cast.thursday.id]) + "?fragment=1"
    response = cast.client_for(cast.alice).get(url)
    assert response.status_code == 200 and "Olga Zephyrine" in response.content.decode()
    [entry] = _reads(cast.alice, "member.list")
    assert _detail(entry) == {"count": 1, "group": str(cast.thursday.id)}


def test_the_complaint_list_is_a_list_read(cast: Cast) -> None:
    evidence.record_complaint(
        member=cast.noah,
        acting_user=cast.alice,
        board="Board of Behavioral Sciences",
        received_on=cast.north.today(),
        allegation="Alleges a broken confidence.",
    )
    response = cast.client_for(cast.alice).get(reverse("complaint_list"))
    assert response.status_code == 200 and "Noah Zephyrine" in response.content.decode()
    [entry] = _reads(cast.alice, "complaint.list")
    assert _detail(entry) == {"count": 1}


def test_a_timeline_names_the_other_members_of_a_contact_it_shows(cast: Cast) -> None:
    contacts.log_contact(
        group=cast.thursday,
        members=[cast.mia, cast.noah],
        acting_user=cast.bob,
        occurred_at=hours_ago(1),
        setting="after_session",
        initiated_by="member",
        summary=MIA_AND_NOAH_NOTE,
        request="none",
    )
    client = cast.client_for(cast.bob)
    page = client.get(reverse("member_detail", args=[cast.mia.id]))
    api = client.get(f"/api/v1/members/{cast.mia.id}/timeline")
    for response in (page, api):
        assert response.status_code == 200 and MIA_AND_NOAH_NOTE in response.content.decode()
    entries = _reads(cast.bob, "member.view")
    # Each answer: mia's read, then noah's, both on mia's record.
    assert [(e.object_id, e.member_id) for e in entries] == [
        (str(cast.mia.id), cast.mia.id),
        (str(cast.mia.id), cast.noah.id),
    ] * 2
