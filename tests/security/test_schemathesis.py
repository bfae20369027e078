"""Hostile input against the REST API: schemathesis reads the OpenAPI document the app serves
and sends what it generates from it, in-process through the WSGI application.

Every check runs (server errors, status codes and response bodies that the schema does not
declare, content types, headers, data that should have been refused or accepted, ignored
authentication...), on data that fits the schema and data that does not.

Authenticated runs act as bob, a clinician of the cast, with a bearer token. Ids that
schemathesis generates are random, so they would only ever reach the 404 branch: about half of
the well-formed ids are swapped for real ones of bob's (his group, its session, mia, his
contact...) so that the handlers behind the lookups are fuzzed too. The unauthenticated run
checks that every operation refuses with a declared 401, whatever else the request holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.config import PositiveDataAcceptanceConfig

from groupguard.accounts.actions import issue_api_token
from groupguard.contacts.models import Promise, Referral
from tests.api.test_disclosures_api import assess, authorize, log
from tests.conftest import Cast
from tests.support import FUZZ_EXAMPLES, FUZZ_SEED

# What groupguard.wsgi serves, without importing it: get_wsgi_application() would set Django up
# again, and its logging with it, onto the stream pytest captures while collecting (closed by
# the time the requests log their 4xx).
application = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
schema.config.generation.update(modes=list(GenerationMode), deterministic=True)
schema.config.checks.update(included_check_names=["all"])
# The schema cannot say everything the actions check (dates against today, the ids of active
# staff, whether a consent is there to withdraw, a reason's length once trimmed...), so a
# request that fits the schema may still get a 400 naming the field at fault. Every other
# answer to such a request (a 5xx, an undeclared status) still fails.
schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
    expected_statuses=[*PositiveDataAcceptanceConfig().expected_statuses, "400"]
)

if FUZZ_SEED is not None:
    schema.config.seed = FUZZ_SEED
# 25 cases an operation in the inner loop (deterministic), 200 with a fresh seed under CI.
HOSTILE = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=FUZZ_SEED is None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
pytestmark = pytest.mark.fuzz


@pytest.fixture
def one_connection(transactional_db: None) -> Iterator[None]:
    """The WSGI requests share the test's database connection, as with Django's test client,
    instead of closing it after each request; and commits skip the disk flush, which would
    otherwise take most of the run's time. Neither matters to a throwaway test database."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    durability = {
        "sqlite": ("PRAGMA synchronous=OFF", "PRAGMA synchronous=FULL"),
        "postgresql": ("SET synchronous_commit TO off", "RESET synchronous_commit"),
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(durability[0])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(durability[1])
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@dataclass
class Targets:
    """Real ids of things bob may see, by the names the API gives them."""

    ids: dict[str, str]
    staff_id: int
    token: str


@pytest.fixture
def targets(one_connection: None, cast: Cast) -> Targets:
    contact = log(
        cast,
        promised_confidentiality=True,
        promise_confirmed=True,
        promise_scope="Her sister's illness.",
        offered_referral=True,
        referral_to_name="Dr. Wren",
    )
    assessment = assess(
        cast, contact=contact, answers={"recipient": "group", "purpose": "treatment"}
    )
    authorization = authorize(cast)
    _, token = issue_api_token(cast.bob, name="schemathesis", acting_user=cast.bob)
    ids = {
        "group": cast.thursday.id,
        "session": cast.session.id,
        "member": cast.mia.id,
        "contact": contact.id,
        "promise": Promise.objects.get().id,
        "referral": Referral.objects.get().id,
        "assessment": assessment.id,
        "authorization": authorization.id,
    }
    return Targets({k: str(v) for k, v in ids.items()}, cast.bob.pk, token)


# Fields that name a member of staff by user id.
STAFF_FIELDS = {
    "lead_user_id",
    "co_facilitator_ids",
    "practitioner_id",
    "referral_to",
    "to_practitioner",
}


def _real(value: Any, name: str, targets: Targets) -> Any:
    """A generated well-formed id becomes a real one about half the time (decided by the
    generated value, so runs repeat)."""
    if name in STAFF_FIELDS:
        is_id = isinstance(value, int) and not isinstance(value, bool) and value > 0
        return targets.staff_id if is_id and value % 2 == 0 else value
    kind = name.removesuffix("_id").removesuffix("s")
    if kind not in targets.ids or not isinstance(value, str):
        return value
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return value
    return targets.ids[kind] if parsed.int % 2 == 0 else value


def aim(case: Any, targets: Targets) -> None:
    for name, value in (case.path_parameters or {}).items():
        case.path_parameters[name] = _real(value, name, targets)
    for name, value in (case.query or {}).items():
        case.query[name] = _real(value, name, targets)
    if isinstance(case.body, dict):
        for name, value in list(case.body.items()):
            if isinstance(value, list):
                case.body[name] = [_real(v, name, targets) for v in value]
            else:
                case.body[name] = _real(value, name, targets)


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@HOSTILE
def test_the_api_survives_hostile_input_as_a_clinician(case: Any, targets: Targets) -> None:
    aim(case, targets)
    case.call_and_validate(headers={"Authorization": f"Bearer {targets.token}"})


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(HOSTILE, max_examples=min(25, FUZZ_EXAMPLES))
def test_without_credentials_every_operation_answers_401(case: Any, one_connection: None) -> None:
    response = case.call_and_validate()
    # Some cases try another method on the operation's path: those are a 405 first.
    expected = 401 if case.method.upper() == case.operation.method.upper() else 405
    assert response.status_code == expected, response.text
