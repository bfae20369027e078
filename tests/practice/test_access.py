from __future__ import annotations

import uuid

import pytest
from django.http import Http404

from groupguard.practice.access import access_group, access_member, access_session, visible_groups
from tests.conftest import Cast


def test_a_practice_admin_sees_the_whole_practice(cast: Cast) -> None:
    assert set(visible_groups(cast.alice)) == {cast.thursday, cast.monday}
    assert access_member(cast.alice, cast.olga.id) == cast.olga


def test_a_clinician_sees_only_the_groups_they_facilitate(cast: Cast) -> None:
    assert list(visible_groups(cast.bob)) == [cast.thursday]
    assert access_member(cast.bob, cast.mia.id) == cast.mia
    with pytest.raises(Http404):
        access_group(cast.bob, cast.monday.id)
    with pytest.raises(Http404):
        access_member(cast.bob, cast.olga.id)


def test_a_co_facilitator_sees_the_group(cast: Cast) -> None:
    assert set(visible_groups(cast.carol)) == {cast.thursday, cast.monday}
    assert access_session(cast.carol, cast.session.id) == cast.session


def test_a_clinician_without_groups_sees_nothing(cast: Cast) -> None:
    assert list(visible_groups(cast.dave)) == []
    with pytest.raises(Http404):
        access_member(cast.dave, cast.mia.id)


def test_nobody_sees_another_practice(cast: Cast) -> None:
    for user in (cast.oscar,):
        with pytest.raises(Http404):
            access_group(user, cast.thursday.id)
        with pytest.raises(Http404):
            access_member(user, cast.mia.id)
        with pytest.raises(Http404):
            access_session(user, cast.session.id)
    with pytest.raises(Http404):
        access_member(cast.alice, cast.sam.id)


def test_missing_and_forbidden_give_the_same_answer(cast: Cast) -> None:
    with pytest.raises(Http404) as missing:
        access_member(cast.bob, uuid.uuid4())
    with pytest.raises(Http404) as forbidden:
        access_member(cast.bob, cast.olga.id)
    assert str(missing.value) == str(forbidden.value)
    with pytest.raises(Http404):
        access_group(cast.bob, "not-a-uuid")
