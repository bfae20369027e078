"""A role that the member's signed agreement does not state is flagged on the dashboard."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse

from groupguard.agreements import actions as agreements
from groupguard.agreements import selectors
from groupguard.practice import actions
from groupguard.practice.models.roles import RoleKind
from tests.conftest import Cast

HEADING = "Roles the signed agreement does not state"


def mia_signs_a_new_version(cast: Cast, role_statement: str) -> None:
    """Thursday Group publishes a version with this role statement, and Mia signs it."""
    draft = agreements.draft_for(cast.thursday)
    agreements.save_draft(
        cast.thursday,
        policy=draft.policy,
        clause_ids=list(draft.clause_ids),
        role_statement=role_statement,
        acting_user=cast.bob,
    )
    agreements.publish(cast.thursday, acting_user=cast.bob)
    agreements.record_signature(
        cast.thursday,
        cast.mia,
        typed_name=cast.mia.full_name,
        method="in_person",
        acting_user=cast.bob,
    )


def test_a_second_role_after_signing_is_flagged_until_the_member_signs_a_version_naming_it(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    thursday = cast.mia.enrollments.get().group
    today = cast.north.today()  # the dashboard's today is the practice's
    with django_assert_num_queries(4):
        assert selectors.role_conflicts([thursday, cast.monday], today) == []
    assert HEADING not in cast.client_for(cast.bob).get(reverse("dashboard")).content.decode()
    # A group-only role, or a second role with someone who does not lead the group: no flag.
    actions.record_role(
        practitioner=cast.bob,
        member=cast.mia,
        kind=RoleKind.GROUP_ONLY,
        starts_on=today,
        acting_user=cast.alice,
    )
    actions.record_role(
        practitioner=cast.dave,
        member=cast.mia,
        kind=RoleKind.INDIVIDUAL,
        starts_on=today,
        acting_user=cast.alice,
    )
    assert selectors.role_conflicts([thursday], today) == []
    # Bob leads the group and becomes Mia's individual therapist after she signed.
    actions.record_role(
        practitioner=cast.bob,
        member=cast.mia,
        kind=RoleKind.INDIVIDUAL,
        starts_on=today,
        acting_user=cast.alice,
    )
    with django_assert_num_queries(4):
        [conflict] = selectors.role_conflicts([thursday, cast.monday], today)
        assert (conflict.member, conflict.role.practitioner) == (cast.mia, cast.bob)
    assert "after version 1 took effect" in conflict.reason
    for user in (cast.bob, cast.alice):
        html = cast.client_for(user).get(reverse("dashboard")).content.decode()
        assert HEADING in html and "Mia" in html.split(HEADING)[1].split("</section>")[0]
    assert HEADING not in cast.client_for(cast.dave).get(reverse("dashboard")).content.decode()

    # A new version whose role statement still denies any second role: still flagged.
    mia_signs_a_new_version(
        cast, "I am Bob, the facilitator, and I am not the individual therapist of any member."
    )
    [conflict] = selectors.role_conflicts([thursday], today)
    assert conflict.reason == "version 2 says Bob Tester has no other role with a member"

    # A version naming the role, signed: the flag goes.
    mia_signs_a_new_version(
        cast, "I am Bob, the facilitator. I am also the individual therapist of one member."
    )
    assert selectors.role_conflicts([thursday], today) == []


def test_a_member_who_left_the_group_is_not_flagged(cast: Cast) -> None:
    thursday = cast.noah.enrollments.get().group
    today = cast.north.today()  # the dashboard's today is the practice's
    actions.record_role(
        practitioner=cast.bob,
        member=cast.noah,
        kind=RoleKind.INDIVIDUAL,
        starts_on=today,
        acting_user=cast.alice,
    )
    assert [c.member for c in selectors.role_conflicts([thursday], today)] == [cast.noah]
    actions.end_enrollment(
        cast.noah.enrollments.get(),
        left_on=today - datetime.timedelta(days=1),
        acting_user=cast.alice,
    )
    assert selectors.role_conflicts([thursday], today) == []


@pytest.mark.parametrize(
    ("statement", "name", "denies"),
    [
        # Two facilitators: one's second role named, the other's denied.
        (
            "We, Ada Q and Ben M, are the facilitators. Ada Q is also the individual therapist"
            " of one member. Ben M is not the individual therapist of any member.",
            "Ada Q",
            False,
        ),
        (
            "We, Ada Q and Ben M, are the facilitators. Ada Q is also the individual therapist"
            " of one member. Ben M is not the individual therapist of any member.",
            "Ben M",
            True,
        ),
        (
            "We lead this group, and neither of us is the individual therapist of any member.",
            "Ben M",
            True,
        ),
        (
            "I am Cleo V, the facilitator, and I am not the individual therapist of anyone.",
            "Cleo V",
            True,
        ),
        ("I am Cleo V. I also see one member in family therapy, another role.", "Cleo V", False),
        ("I am Cleo V, and I am not the individual therapist of any member.", "Ben M", False),
        ("We run this group together on Tuesdays.", "Ben M", False),
    ],
)
def test_a_role_statement_denies_a_role_only_for_whom_it_names(
    statement: str, name: str, denies: bool
) -> None:
    assert selectors.statement_denies_role(statement, name) is denies
