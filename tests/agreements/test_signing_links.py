"""Signing links in the wrong hands: guessing the identity answer, and what a page shows
before the identity check passes.

A signing link may reach someone other than the member (a shared phone, a forwarded message).
Until the member confirms who they are, its pages say nothing about the group, the practice,
the statement or the member; and the identity check takes only a few wrong answers in the
link's whole life, however slowly they come.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from groupguard.agreements import actions, selectors
from groupguard.agreements.models import SigningLink
from groupguard.audit.models import AuditEntry
from groupguard.practice import actions as practice_actions
from groupguard.practice.models import Group, Member
from tests.conftest import Cast

DOB = datetime.date(1984, 7, 19)
WRONG_DOB = "1985-03-04"


def newcomer(cast: Cast, group: Group | None = None) -> Member:
    """A member of the Thursday Group (or ``group``) who has not signed yet."""
    member = practice_actions.create_member(
        practice=cast.north,
        given_name="Wilhelmina",
        family_name="Quarrington",
        date_of_birth=DOB,
        acting_user=cast.alice,
    )
    # A week ago: "today" on the server may still be tomorrow where the practice is.
    joined = timezone.localdate() - datetime.timedelta(days=7)
    practice_actions.enroll_member(
        group or cast.thursday, member, joined_on=joined, acting_user=cast.bob
    )
    return member


def start(token: str) -> str:
    return reverse("sign_start", args=[token])


def issue(
    cast: Cast, member: Member, *, group: Group | None = None, check: str = "dob", days: int = 7
) -> tuple[SigningLink, str, str]:
    """A link from the group's lead facilitator (bob leads Thursday, carol any other group)."""
    group = group or cast.thursday
    lead = cast.bob if group == cast.thursday else cast.carol
    return actions.issue_signing_link(
        group, member, identity_check=check, valid_days=days, acting_user=lead
    )


def answer(client: Client, token: str, value: str) -> Any:
    return client.post(start(token), {"answer": value})


def stop(client: Client, token: str) -> None:
    for _ in range(actions.MAX_IDENTITY_FAILURES):
        assert answer(client, token, WRONG_DOB).status_code != 302


def consent_row(page: str, member: Member) -> str:
    found = re.search(rf'<tr id="consent-{member.id}".*?</tr>', page, re.S)
    assert found, "the member has no row on the agreement page"
    return found.group(0)


# Guessing ----------------------------------------------------------------------------------


def test_a_link_stops_for_good_after_too_many_wrong_answers_however_slowly_they_come(
    cast: Cast, time_machine
) -> None:
    member = newcomer(cast)
    link, token, _ = issue(cast, member, days=30)
    guesser = Client()
    for _ in range(actions.MAX_IDENTITY_FAILURES):
        # Hours apart: far past any lock that would lift after a few minutes.
        time_machine.move_to(timezone.now() + datetime.timedelta(hours=6))
        assert answer(guesser, token, WRONG_DOB).status_code != 302
    time_machine.move_to(timezone.now() + datetime.timedelta(days=3))

    right = answer(guesser, token, DOB.isoformat())
    assert right.status_code == 410, "the right answer was taken after the wrong ones"
    assert "ask your facilitator for a new link" in right.content.decode().lower()
    assert guesser.get(reverse("sign_read", args=[token])).status_code == 410
    assert answer(Client(), token, DOB.isoformat()).status_code == 410  # any browser

    link.refresh_from_db()
    assert link.stopped_at is not None
    assert link.failed_attempts == actions.MAX_IDENTITY_FAILURES
    # Answers after the stop are neither counted nor logged.
    answer(guesser, token, WRONG_DOB)
    failed = AuditEntry.objects.filter(
        action="signing_link.identity_failed", object_id=str(link.pk)
    )
    assert failed.count() == actions.MAX_IDENTITY_FAILURES
    stopped = AuditEntry.objects.get(action="signing_link.stop", object_id=str(link.pk))
    assert stopped.severity == "high" and stopped.member_id == member.id
    # A stopped link is not "expiring soon" on the dashboard: it no longer works at all.
    time_machine.move_to(link.expires_at - datetime.timedelta(days=1))
    assert selectors.dashboard_summaries([cast.thursday])[cast.thursday.id].expiring_links == 0


def test_a_right_answer_does_not_clear_earlier_wrong_ones(cast: Cast) -> None:
    member = newcomer(cast)
    _, token, _ = issue(cast, member)
    guesser, owner = Client(), Client()
    for _ in range(actions.MAX_IDENTITY_FAILURES - 1):
        assert answer(guesser, token, WRONG_DOB).status_code == 400
    assert answer(owner, token, DOB.isoformat()).status_code == 302
    assert answer(guesser, token, WRONG_DOB).status_code == 410
    # The member who got in before the stop cannot go on with a stopped link either.
    assert owner.get(reverse("sign_read", args=[token])).status_code == 410


def test_answers_that_cannot_be_right_are_explained_and_not_counted(cast: Cast) -> None:
    member = newcomer(cast)
    link, token, _ = issue(cast, member)
    client = Client()
    for value in ("", "19/07/1984", "1984-02-30", "July 19"):
        response = answer(client, token, value)
        assert response.status_code == 400 and "month/day/year" in response.content.decode()
    link.refresh_from_db()
    assert link.failed_attempts == 0
    wrong = answer(client, token, WRONG_DOB).content.decode()
    assert "does not match" in wrong
    assert f"You can try {actions.MAX_IDENTITY_FAILURES - 1} more times" in wrong
    assert f'value="{WRONG_DOB}"' in wrong  # the field keeps what was picked, to correct it
    # Typed as month/day/year where no date picker is offered, the right date passes.
    assert answer(client, token, f"{DOB.month}/{DOB.day}/{DOB.year}").status_code == 302

    code_link, code_token, code = issue(cast, member, check="code")
    assert answer(client, code_token, "12345").status_code == 400  # five digits: a typo
    code_link.refresh_from_db()
    assert code_link.failed_attempts == 0
    spaced = f"{code[:3]} {code[3:]}"  # read out in two halves, typed the same way
    assert answer(client, code_token, spaced).status_code == 302


def test_the_facilitator_sees_the_stopped_link_and_a_new_one_replaces_it(cast: Cast) -> None:
    member = newcomer(cast)
    link, token, _ = issue(cast, member)
    stop(Client(), token)

    bob = cast.client_for(cast.bob)
    page = bob.get(reverse("agreement", args=[cast.thursday.id])).content.decode()
    row = consent_row(page, member)
    assert "stopped" in row and "wrong answers" in row

    issued = bob.post(
        reverse("agreement_link", args=[cast.thursday.id, member.id]),
        {"identity_check": "dob", "valid_days": "7"},
    )
    assert issued.status_code == 200
    found = re.search(r'id="signing-url">[^<]*/sign/([^/<]+)/<', issued.content.decode())
    assert found
    new_token = found.group(1)
    link.refresh_from_db()
    assert link.revoked_at is not None
    revoked = AuditEntry.objects.get(action="signing_link.revoke", object_id=str(link.pk))
    assert revoked.member_id == member.id

    page = bob.get(reverse("agreement", args=[cast.thursday.id])).content.decode()
    assert "stopped" not in consent_row(page, member)
    assert answer(Client(), new_token, DOB.isoformat()).status_code == 302


def test_a_new_link_replaces_the_members_earlier_ones(cast: Cast) -> None:
    member = newcomer(cast)
    first, first_token, _ = issue(cast, member)
    other, _, _ = issue(cast, cast.noah)
    second, second_token, _ = issue(cast, member, check="code")
    first.refresh_from_db()
    other.refresh_from_db()
    assert first.revoked_at is not None and other.revoked_at is None
    assert [link.pk for link in selectors.open_links(cast.thursday)] == [other.pk, second.pk]
    old = Client().get(start(first_token))
    assert old.status_code == 410 and "newest link" in old.content.decode()
    assert Client().get(start(second_token)).status_code == 200


# Nothing before the identity check --------------------------------------------------------


def test_nothing_about_the_group_or_the_member_shows_before_the_identity_check(
    cast: Cast, time_machine
) -> None:
    # A substance-use program's group: its very name says what the members are treated for.
    group = practice_actions.create_group(
        practice=cast.north,
        name="Harbor Opioid Recovery Circle",
        modality="therapy",
        lead=cast.carol,
        co_facilitators=[cast.dave],
        part2_program=True,
        status="active",
        acting_user=cast.alice,
    )
    member = newcomer(cast, group)
    version = actions.publish(group, acting_user=cast.carol)
    secrets = [
        group.name,
        "Opioid",
        "Part 2",
        cast.north.name,
        member.given_name,
        member.family_name,
        cast.carol.display_name,
        cast.dave.display_name,
        DOB.isoformat(),
        *[line.strip() for line in version.text.splitlines() if len(line.strip()) > 40],
    ]
    responses: dict[str, Any] = {}

    def fetch(label: str, response: Any) -> None:
        assert response.status_code in (200, 302, 400, 404, 410, 429), (label, response)
        responses[label] = response

    _, token, _ = issue(cast, member, group=group)
    fresh = Client()
    fetch("the link opened", fresh.get(start(token)))
    fetch("the reading step, skipped to", fresh.get(reverse("sign_read", args=[token])))
    fetch("the signing step, skipped to", fresh.get(reverse("sign_finish", args=[token])))
    fetch("a wrong answer", answer(fresh, token, WRONG_DOB))
    fetch("an answer that is not a date", answer(fresh, token, "nineteen"))
    for n in range(actions.MAX_IDENTITY_FAILURES):
        fetch(f"wrong answer {n + 2}", answer(fresh, token, WRONG_DOB))
    fetch("the right answer after too many wrong ones", answer(fresh, token, DOB.isoformat()))
    fetch("the stopped link opened again", Client().get(start(token)))

    _, token, _ = issue(cast, member, group=group, check="code")
    fetch("a code link opened", Client().get(start(token)))
    fetch("a wrong code", answer(Client(), token, "000000"))

    _, replaced_token, _ = issue(cast, member, group=group)
    link, token, _ = issue(cast, member, group=group)
    fetch("a replaced link", Client().get(start(replaced_token)))
    actions.revoke_signing_link(link, acting_user=cast.carol)
    fetch("a withdrawn link", Client().get(start(token)))

    link, token, _ = issue(cast, member, group=group)
    actions.sign_with_link(link, typed_name=member.full_name, answers={})
    fetch("a used link", Client().get(start(token)))
    fetch("a used link, answered", answer(Client(), token, DOB.isoformat()))

    fetch("a forged link", Client().get(start("not-a-real-token")))

    _, token, _ = issue(cast, member, group=group)
    draft = actions.draft_for(group)
    actions.save_draft(
        group,
        policy="discretion",
        clause_ids=list(draft.clause_ids),
        role_statement=draft.role_statement,
        acting_user=cast.carol,
    )
    actions.publish(group, acting_user=cast.carol)
    fetch("a link to an older version", Client().get(start(token)))

    _, token, _ = issue(cast, member, group=group, days=1)
    time_machine.move_to(timezone.now() + datetime.timedelta(days=2))
    fetch("an expired link", Client().get(start(token)))
    fetch("an expired link, answered", answer(Client(), token, DOB.isoformat()))

    leaks = []
    for label, response in responses.items():
        shown = response.content.decode() + "\n".join(f"{k}: {v}" for k, v in response.items())
        leaks += [(label, s) for s in secrets if s.casefold() in shown.casefold()]
        if response.status_code in (200, 400):  # a page of ours, with a neutral title
            assert "<title>Confirm it is you</title>" in shown, label
    assert leaks == []
