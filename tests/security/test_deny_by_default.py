"""Deny by default: every URL refuses whoever may not see what it names.

The test walks every pattern in the URL resolver (the admin, each operation of the REST API
with its methods, every page) and requests each, with the ids of real records of the north
practice, as:

- nobody signed in;
- oscar, the admin of another practice;
- a clinician of the same practice outside the group: dave (no groups) for Thursday Group's
  records, bob (Thursday Group only) for Monday Group's;
- with two-step sign-in, bob after his password but before his code.

Pages answer GET, and POST with no data; API operations answer the methods they declare, with
a body built from their schema so the handler runs. Only ``PUBLIC`` may answer 2xx to anyone;
``OWN_PRACTICE`` pages show a signed-in user their own practice, and must not mention the
records in question. Anything else must answer a redirect to a sign-in step, 401, 403, 404
(or 405 for a method the route does not serve). A new route needs nothing to be covered here;
a new path parameter or body field fails the test until ``PARAMETERS``/``BODY_IDS`` know it.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone
from ninja.operation import PathView

from groupguard.accounts import actions as account_actions
from groupguard.accounts.models import User
from groupguard.agreements import actions as agreements
from groupguard.agreements import selectors as agreement_selectors
from groupguard.agreements.models import Signature
from groupguard.api.api import api
from groupguard.contacts import actions as contacts
from groupguard.contacts.models import Promise, Referral
from groupguard.disclosures import actions as disclosures
from groupguard.evidence import actions as evidence
from groupguard.evidence.models import PacketBuild
from groupguard.practice import actions as practice
from groupguard.practice.models import Enrollment, Group, GroupSession, Member
from tests.conftest import Cast
from tests.factories import PASSWORD, make_user
from tests.passkeys.authenticator import enrol

pytestmark = pytest.mark.slow  # walks every route as every kind of intruder

# Anyone may open these: signing in and out (with a password or a passkey: its options are a
# challenge, nothing more), the health check, the icon, the API's description, and a member's
# signing link (guarded by its token; here an invalid one, which must be refused).
PUBLIC = {
    "login",
    "logout",
    "passkey_login",
    "passkey_login_options",
    "healthz",
    "favicon",
    "admin:login",
    "admin:logout",
    "api:openapi-json",
    "api:openapi-view",
}
SIGNING_LINK = {"sign_start", "sign_read", "sign_finish"}
# Where a refusal may send someone: a step of signing in.
SIGN_IN_STEPS = {"login", "admin:login", "mfa_verify", "mfa_setup"}
# A signed-in user sees their own practice here (or is refused: admin-only pages). They take no
# id from the URL; the test still sends ?group=…&member=… of the records in question.
OWN_PRACTICE = {
    "dashboard",
    "member_list",
    "member_create",
    "group_create",
    "contact_create",
    "contact_members",
    "contact_detect",
    "complaint_list",
    "practice_settings",
    "staff_create",
    "audit_log",
    "audit_verify",
    "break_glass",
    "break_glass_list",
    "tokens",
    "account_security",
    "passkey_list",  # the user's own passkeys
    "passkey_register_options",
    "passkey_register",
    "session_status",
    "mfa_setup",
    "mfa_verify",
    "api:me",
    "api:practice",
    "api:staff",
    "api:list_groups",
    "api:create_group",
    "api:list_members",
    "api:create_member",
    "api:list_contacts",
    "api:create_contact",
    "api:detect_request",
    "api:list_promises",
    "api:list_referrals",
    "api:create_referral",
    "api:assess_facts",
    "api:api-root",
}
# A session that gave its password but not yet its code may open the code step, set up its
# first authenticator and ask how long it has left; nothing else.
BEFORE_CODE = {"mfa_verify", "mfa_setup", "session_status"}
DENIED = {401, 403, 404, 405}
# Sent with every GET, for pages that pick a group or member from the query string.
QUERY = {"group": "group_id", "member": "member_id"}
NOT_A_TOKEN = "not-a-real-signing-token"


@dataclass
class Records:
    """Real records of one group of the north practice, and who may not see them."""

    group: Group
    member: Member
    session: GroupSession
    facilitator: User
    ids: dict[str, str]
    names: list[str] = field(default_factory=list)

    def markers(self) -> list[str]:
        """Strings that must not appear in what an outsider is shown: the names, and the ids
        other than those the test itself sends in the query string (a page may echo those)."""
        echoed = {self.ids[name] for name in QUERY.values()}
        ids = [v for v in self.ids.values() if _is_uuid(v) and v not in echoed]
        return [*self.names, *ids]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def records_of(cast: Cast, group: Group, member: Member, facilitator: User) -> Records:
    """Every kind of record a URL can name, for ``member`` in ``group``, made by its facilitator.

    Built through the actions, like the rest of the suite; only the packet build is a bare row,
    because building a real packet takes a second and the URL only needs its id.
    """
    today = cast.north.today()
    if not agreement_selectors.current_version(group):
        agreements.publish(group, acting_user=facilitator, effective_on=today)
        agreements.record_signature(
            group, member, typed_name=member.full_name, method="in_person", acting_user=facilitator
        )
    session = GroupSession.objects.filter(group=group).first() or practice.schedule_session(
        group, starts_at=timezone.now() - datetime.timedelta(days=1), acting_user=facilitator
    )
    version = agreement_selectors.current_version(group)
    assert version is not None
    link, _, _ = agreements.issue_signing_link(group, member, acting_user=facilitator)
    role = practice.record_role(
        practitioner=facilitator,
        member=member,
        kind="individual_therapist",
        starts_on=today - datetime.timedelta(days=30),
        acting_user=cast.alice,
    )
    contact = contacts.log_contact(
        group=group,
        members=[member],
        acting_user=facilitator,
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        setting="after_session",
        initiated_by="member",
        summary="Said after group that a sister is ill. Please don't tell the group.",
        request="explicit",
        promised_confidentiality=True,
        promise_scope="Not to raise the sister's illness in group.",
        promise_confirmed=True,
        offered_referral=True,
    )
    assessment = disclosures.assess(
        member=member,
        acting_user=facilitator,
        answers={"recipient": "group", "purpose": "treatment"},
        contact=contact,
    )
    authorization = disclosures.record_authorization(
        member=member,
        acting_user=facilitator,
        recipient="other_provider",
        purpose="Coordinating care with the individual therapist.",
        signed_on=today,
    )
    complaint = evidence.record_complaint(
        member=member,
        acting_user=cast.alice,
        board="Board of Behavioral Sciences",
        received_on=today,
        deadline=today,
        allegation="Alleges a broken confidence.",
    )
    build = PacketBuild.objects.create(
        practice=cast.north,
        member=member,
        complaint=complaint,
        built_by=cast.alice,
        checkpoint_size=0,
        files={},
        archive=b"",
    )
    token, _ = account_actions.issue_api_token(
        facilitator, name="nightly export", acting_user=facilitator
    )
    passkey, _ = enrol(facilitator, name=f"passkey of {facilitator.username}")
    # Emergency access by a clinician who is none of the visitors: they must stay outsiders.
    on_call = make_user(cast.north, f"oncall-{group.pk.hex[:8]}")
    grant = practice.break_glass(
        member, reason="Called by the crisis line about this member tonight.", acting_user=on_call
    )
    ids = {
        "group_id": group.id,
        "member_id": member.id,
        "session_id": session.id,
        "contact_id": contact.id,
        "referral_id": Referral.objects.get(contact=contact).id,
        "promise_id": Promise.objects.get(contact=contact).id,
        "assessment_id": assessment.id,
        "authorization_id": authorization.id,
        "complaint_id": complaint.id,
        "build_id": build.id,
        "signature_id": Signature.objects.filter(member=member).latest("signed_at").id,
        "link_id": link.id,
        "enrollment_id": Enrollment.objects.get(group=group, member=member).id,
        "role_id": role.id,
        "user_id": facilitator.pk,
        "token_id": token.pk,
        "passkey_id": passkey.pk,
        "number": version.number,
        "token": NOT_A_TOKEN,
        "grant_id": grant.id,
        # The admin's URLs: any object will do, the admin refuses before it looks.
        "object_id": member.id,
        "content_type_id": ContentType.objects.get_for_model(Member).pk,
        "app_label": "practice",
        "url": "no-such-page/",
    }
    return Records(
        group=group,
        member=member,
        session=session,
        facilitator=facilitator,
        ids={name: str(value) for name, value in ids.items()},
        names=[member.display_name, group.name, passkey.name],
    )


# Path parameter -> the key in Records.ids. Every parameter of every URL must be here.
PARAMETERS = {
    name: name
    for name in (
        "group_id member_id session_id contact_id referral_id promise_id assessment_id "
        "authorization_id complaint_id build_id signature_id link_id enrollment_id role_id "
        "user_id token_id passkey_id number token grant_id object_id content_type_id app_label "
        "url"
    ).split()
}
# API body fields that carry an id -> the key in Records.ids.
BODY_IDS = {
    "group": "group_id",
    "group_id": "group_id",
    "member": "member_id",
    "member_id": "member_id",
    "members": "member_id",
    "member_ids": "member_id",
    "contact": "contact_id",
    "contact_id": "contact_id",
    "session_id": "session_id",
    "assessment_id": "assessment_id",
    "authorization_id": "authorization_id",
    "lead_user_id": "user_id",
    "practitioner_id": "user_id",
    "co_facilitator_ids": "user_id",
    "to_practitioner": "user_id",
    "to_practitioner_id": "user_id",
}


# -- the routes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # the view name ("api:<operation>" for API operations) or, unnamed, the route
    patterns: tuple[Any, ...]  # the pattern of each level, outermost first
    callback: Callable[..., Any]
    methods: tuple[str, ...]
    api_path: str = ""  # the OpenAPI path of an API operation

    @property
    def params(self) -> list[str]:
        names: list[str] = []
        for pattern in self.patterns:
            if isinstance(pattern, RoutePattern):
                names += list(pattern.converters) or re.findall(r"<(?:\w+:)?(\w+)>", str(pattern))
            elif isinstance(pattern, RegexPattern):
                names += list(pattern.regex.groupindex)
        return names

    def url(self, ids: dict[str, str]) -> str:
        missing = [p for p in self.params if p not in PARAMETERS]
        if missing:
            pytest.fail(
                f"{self.key}: no test value for the path parameter(s) {missing}. Add them to "
                "PARAMETERS and to records_of() in tests/security/test_deny_by_default.py, "
                "with a real record of the north practice."
            )
        parts = []
        for pattern in self.patterns:
            if isinstance(pattern, RegexPattern):
                text = re.sub(
                    r"\(\?P<(\w+)>[^)]*\)",
                    lambda m: ids[PARAMETERS[m.group(1)]],
                    pattern.regex.pattern,
                )
                parts.append(text.lstrip("^").rstrip("$").replace("\\", ""))
            else:
                parts.append(
                    re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ids[PARAMETERS[m.group(1)]], str(pattern))
                )
        url = "/" + "".join(parts)
        try:
            match = resolve(url)
        except Resolver404:
            pytest.fail(f"{self.key}: the URL built for it, {url}, does not resolve")
        assert match.func == self.callback or match.func is self.callback, (
            f"{self.key}: {url} resolves to another view ({match.view_name})"
        )
        return url


def _path_view(callback: Callable[..., Any]) -> PathView | None:
    for cell in getattr(callback, "__closure__", None) or ():
        if isinstance(cell.cell_contents, PathView):
            return cell.cell_contents
    return None


def _walk(
    resolver: URLResolver, prefix: tuple[Any, ...], namespace: str
) -> Iterator[tuple[tuple[Any, ...], str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, (*prefix, entry.pattern), inner)
        else:
            yield (*prefix, entry.pattern), namespace, entry


def all_routes() -> list[Route]:
    routes: dict[str, Route] = {}
    for patterns, namespace, entry in _walk(get_resolver(), (), ""):
        route_text = "".join(str(p) for p in patterns)
        view = _path_view(entry.callback)
        if view is not None:
            # One URL pattern per API path; each operation of it answers its own methods.
            api_path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route_text)
            for operation in view.operations:
                key = f"{namespace}{operation.view_func.__name__}"
                routes.setdefault(
                    key,
                    Route(key, patterns, entry.callback, tuple(operation.methods), api_path),
                )
            continue
        if getattr(entry.callback, "__module__", "").startswith("ninja"):
            pytest.fail(f"{route_text}: an API route whose operations cannot be found")
        key = f"{namespace}{entry.name}" if entry.name else route_text
        routes.setdefault(key, Route(key, patterns, entry.callback, ("GET", "POST")))
    return list(routes.values())


# -- API bodies -----------------------------------------------------------------------------

SCHEMA = api.get_openapi_schema()


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def example(schema: dict[str, Any], name: str, ids: dict[str, str], where: str) -> Any:
    """A valid value for ``schema``, with real ids for the fields that hold one."""
    schema = _resolve(schema)
    for choice in ("anyOf", "oneOf"):
        if choice in schema:
            options = [s for s in schema[choice] if _resolve(s).get("type") != "null"]
            return example(options[0], name, ids, where)
    if "allOf" in schema:
        return example(schema["allOf"][0], name, ids, where)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        required = set(schema.get("required", ()))
        return {
            prop: example(sub, prop, ids, where)
            for prop, sub in schema.get("properties", {}).items()
            if prop in required or prop in BODY_IDS
        }
    if kind == "array":
        if name in BODY_IDS:
            return [example(schema["items"], name, ids, where)]
        return [
            example(schema["items"], name, ids, where) for _ in range(schema.get("minItems", 0))
        ]
    if name in BODY_IDS:
        value = ids[BODY_IDS[name]]
        return int(value) if kind == "integer" else value
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "uuid":
            pytest.fail(
                f"{where}: the body field {name!r} holds an id the test does not know: "
                "add it to BODY_IDS in tests/security/test_deny_by_default.py"
            )
        if fmt == "date":
            return timezone.localdate().isoformat()
        if fmt == "date-time":
            return (timezone.now() - datetime.timedelta(hours=1)).isoformat()
        return "A" * max(int(schema.get("minLength", 0)), 12)
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    pytest.fail(f"{where}: cannot build a value for the body field {name!r}: {schema}")


def api_body(route: Route, method: str, ids: dict[str, str]) -> dict[str, Any] | None:
    operation = SCHEMA["paths"][route.api_path][method.lower()]
    body = operation.get("requestBody")
    if body is None:
        return None
    schema = body["content"]["application/json"]["schema"]
    value = example(schema, "", ids, route.key)
    assert isinstance(value, dict)
    return value


# -- requests and verdicts ------------------------------------------------------------------


def request(client: Client, route: Route, method: str, records: Records) -> Any:
    client.raise_request_exception = False  # a crash is one more answer to report
    ids = records.ids
    url = route.url(ids)
    query = urlencode({param: ids[name] for param, name in QUERY.items()})
    if method == "GET":
        return client.get(f"{url}?{query}")
    if route.api_path:
        body = api_body(route, method, ids)
        data = "" if body is None else json.dumps(body)
        return client.generic(method, url, data=data, content_type="application/json")
    return client.generic(method, url, data="", content_type="application/x-www-form-urlencoded")


def _redirects_to_sign_in(response: Any) -> bool:
    location = urlsplit(response.get("Location", ""))
    try:
        match = resolve(location.path)
    except Resolver404:
        return False
    return match.view_name in SIGN_IN_STEPS


def verdict(route: Route, response: Any, *, own: set[str], markers: list[str]) -> str | None:
    """None when the answer is a refusal (or allowed); otherwise what is wrong with it.

    ``own``: the routes this visitor may open, as long as they show none of ``markers``.
    """
    status = response.status_code
    if status >= 500:
        return f"answered {status}"
    name = route.key.rsplit(":", 1)[-1] if route.key.startswith("api:") else route.key
    if route.key in PUBLIC:
        return None
    if name in SIGNING_LINK:
        return None if status == 404 else f"an invalid signing token answered {status}"
    if route.key in own:
        body = response.content.decode("utf-8", "replace")
        leaked = [m for m in markers if m in body]
        return f"showed {leaked}" if leaked else None
    if status in DENIED:
        return None
    if status in (301, 302) and _redirects_to_sign_in(response):
        return None
    if status in (301, 302):
        return f"answered {status} to {response['Location']}"
    return f"answered {status}"


def sweep(make_client: Callable[[], Client], records: Records, *, own: set[str]) -> list[str]:
    problems = []
    markers = records.markers()
    for route in all_routes():
        served = False
        for method in route.methods:
            response = request(make_client(), route, method, records)
            served = served or response.status_code != 405
            problem = verdict(route, response, own=own, markers=markers)
            if problem:
                problems.append(f"{method} {route.key} ({route.url(records.ids)}): {problem}")
        if not served and route.key not in PUBLIC:
            problems.append(f"{route.key}: answered 405 to every method tried {route.methods}")
    return problems


def report(problems: list[str], who: str) -> str:
    return (
        f"{len(problems)} answer(s) to {who} were not refusals. Protect the view "
        "(login_required and practice.access), or, if it is meant to be open, add it to PUBLIC "
        "or OWN_PRACTICE with a reason:\n" + "\n".join(problems)
    )


# -- fixtures and tests ---------------------------------------------------------------------


@pytest.fixture
def thursday(cast: Cast) -> Records:
    return records_of(cast, cast.thursday, cast.mia, cast.bob)


@pytest.fixture
def monday(cast: Cast) -> Records:
    return records_of(cast, cast.monday, cast.olga, cast.carol)


def test_nobody_signed_in_is_refused_everything_but_the_public_pages(thursday: Records) -> None:
    problems = sweep(Client, thursday, own=set())
    assert not problems, report(problems, "nobody signed in")


def test_another_practice_is_refused_every_record(cast: Cast, thursday: Records) -> None:
    monday = [cast.olga.display_name, cast.monday.name]
    thursday.names += monday  # oscar's own pages must not show any of the north practice
    problems = sweep(lambda: cast.client_for(cast.oscar), thursday, own=OWN_PRACTICE)
    assert not problems, report(problems, "oscar, of another practice")


def test_a_clinician_without_the_group_is_refused_its_records(
    cast: Cast, thursday: Records
) -> None:
    problems = sweep(lambda: cast.client_for(cast.dave), thursday, own=OWN_PRACTICE)
    assert not problems, report(problems, "dave, a clinician with no groups")


def test_a_clinician_of_another_group_is_refused_its_records(cast: Cast, monday: Records) -> None:
    problems = sweep(lambda: cast.client_for(cast.bob), monday, own=OWN_PRACTICE)
    assert not problems, report(problems, "bob, for Monday Group's records")


def test_a_session_that_gave_only_its_password_is_refused_everything(
    cast: Cast, thursday: Records
) -> None:
    if "mfa_verify" not in {r.key for r in all_routes()}:
        pytest.skip("two-step sign-in (a mfa_verify page) is not in this build")

    def password_only() -> Client:
        client = Client()
        answer = client.post("/login/", {"username": "bob", "password": PASSWORD})
        assert answer.status_code == 302, "the password step should accept bob's password"
        return client

    problems = sweep(password_only, thursday, own=BEFORE_CODE)
    assert not problems, report(problems, "bob before his code")


def test_the_allow_lists_name_only_existing_routes() -> None:
    keys = {route.key for route in all_routes()}
    two_step = {"mfa_verify", "mfa_setup", "account_security", "session_status"}
    stale = (PUBLIC | SIGNING_LINK | OWN_PRACTICE | BEFORE_CODE) - keys - two_step
    assert not stale, f"remove these from the allow-lists: {sorted(stale)}"


def test_the_ids_are_real_records_their_facilitator_or_admin_can_open(
    cast: Cast, thursday: Records
) -> None:
    """Without this, a wrong id would make every refusal above meaningless."""
    insiders = [cast.client_for(thursday.facilitator), cast.client_for(cast.alice)]
    unopened = []
    for route in all_routes():
        if not route.params or "token" in route.params or "GET" not in route.methods:
            continue
        if route.key.startswith("admin") or route.params == ["url"]:
            continue  # the admin is for site operators (is_staff), none in the cast
        answers = [request(c, route, "GET", thursday).status_code for c in insiders]
        # A page that only answers POST (405 to GET) shares its ids with pages that answer GET.
        if 405 not in answers and all(status in DENIED for status in answers):
            unopened.append(f"{route.key}: {answers}")
    assert not unopened, "these ids reach no record:\n" + "\n".join(unopened)
