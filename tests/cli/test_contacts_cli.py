"""``groupguard contacts``, ``referrals`` and ``promises``: JSON out, clear errors, nothing
stored on bad input."""

from __future__ import annotations

import datetime
import io
import json
import zoneinfo
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from groupguard.audit.models import AuditEntry
from groupguard.cli.main import main as cli_main
from groupguard.contacts import actions
from groupguard.contacts.guidance import PROMISE_WARNING
from groupguard.contacts.models import Contact, Promise, Referral
from groupguard.demo.practice import build_demo
from tests.conftest import Cast

LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")  # the north practice's time zone
SECRET = "After group Mia said her sister is ill. Please don't tell the group, she said."


def run(*args: str, stdin: str | None = None) -> Any:
    out = io.StringIO()
    extra: dict[str, Any] = {} if stdin is None else {"stdin": io.StringIO(stdin)}
    call_command(*args, stdout=out, stderr=io.StringIO(), **extra)
    return json.loads(out.getvalue())


def log_args(cast: Cast, *extra: str, user: str = "bob") -> list[str]:
    return [
        "contacts",
        "log",
        "--practice",
        "north",
        "--as",
        user,
        "--group",
        str(cast.thursday.id),
        "--member",
        str(cast.mia.id),
        "--setting",
        "after_session",
        "--initiated-by",
        "member",
        *extra,
    ]


def logged(cast: Cast, **overrides: Any) -> Contact:
    values: dict[str, Any] = {
        "group": cast.thursday,
        "members": [cast.mia],
        "acting_user": cast.bob,
        "occurred_at": timezone.now() - datetime.timedelta(hours=2),
        "setting": "phone",
        "initiated_by": "member",
        "summary": SECRET,
        "request": "explicit",
    }
    values.update(overrides)
    return actions.log_contact(**values)


def audit_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("index").values_list("action", flat=True))


def test_without_request_it_logs_unanswered_with_the_suggestion_beside_and_its_guidance(
    cast: Cast,
) -> None:
    data = run(*log_args(cast, "--summary", SECRET, "--reminded", "--offered-referral"))
    contact = Contact.objects.get()
    assert data["id"] == str(contact.id)
    # The detector's guess is never stored as the member's request: nobody answered yet.
    assert (data["request"], data["recorded_request"]) == ("unanswered", "unanswered")
    assert contact.request == "unanswered" and contact.detected_request == "explicit"
    assert data["detected_request"] == "explicit"
    assert data["detection"]["model"] == contact.detection_record["model"]
    assert data["detection"]["matches"][0]["rule"] == "explicit.dont-tell"
    assert "don't tell the group" in data["detection"]["matches"][0]["text"]
    assert data["members"] == [{"id": str(cast.mia.id), "name": "Mia Zephyrine"}]
    assert data["facilitator"] == "bob" and data["summary"] == SECRET
    assert data["responses"] == ["reminded_agreement", "offered_referral"]
    assert data["locked"] is False
    assert [r["status"] for r in data["referrals"]] == ["offered"]
    # The guidance follows the suggestion until the request is answered, as the form does.
    assert data["guidance"]["agreement_version"] == 1 and "no-secrets" in data["guidance"]["script"]
    assert "contact.create" in audit_actions() and "referral.offer" in audit_actions()


def test_it_reads_the_summary_from_standard_input(cast: Cast) -> None:
    data = run(*log_args(cast), stdin="Mia phoned to say she will be late next week.\n")
    assert data["summary"] == "Mia phoned to say she will be late next week."
    assert (data["request"], data["detected_request"]) == ("unanswered", "none")
    assert data["guidance"] is None
    assert Contact.objects.get().summary == data["summary"]


def test_the_given_request_and_local_time_are_kept(cast: Cast) -> None:
    when = timezone.localtime(timezone.now() - datetime.timedelta(days=2), LOS_ANGELES).replace(
        second=0, microsecond=0
    )
    data = run(
        *log_args(
            cast,
            "--summary",
            SECRET,
            "--request",
            "implied",
            "--when",
            when.replace(tzinfo=None).isoformat(),
        )
    )
    contact = Contact.objects.get()
    assert contact.occurred_at == when
    assert (data["request"], data["detected_request"]) == ("implied", "explicit")


def test_a_promise_without_confirmation_explains_why_and_stores_nothing(cast: Cast) -> None:
    args = log_args(cast, "--summary", SECRET, "--promised", "--promise-scope", "Her sister.")
    with pytest.raises(CommandError) as error:
        run(*args)
    assert PROMISE_WARNING in str(error.value) and "--confirm-promise" in str(error.value)
    assert Contact.objects.count() == 0 and Promise.objects.count() == 0
    data = run(*args, "--confirm-promise")
    [promise] = data["promises"]
    assert promise["status"] == "open" and promise["scope"] == "Her sister."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"practice": "nope"}, "no practice with slug 'nope'"),
        ({"user": "oscar"}, "--as: no active user 'oscar' in practice 'north'"),
        ({"user": "alice", "member": "olga"}, "members: Not a member of Thursday Group"),
        ({"member": "olga"}, "no member '.*' in practice 'north' that bob can see"),
        ({"member": "not-an-id"}, "a member id is a UUID"),
        ({"when": "yesterday"}, "--when takes a date and time"),
        ({"when": "2026-03-02"}, "--when takes a date and time"),
        ({"when": "2999-01-01T10:00"}, "occurred_at: The contact cannot be in the future"),
        ({"summary": "   "}, "summary: Write the summary"),
    ],
)
def test_bad_input_is_named_and_nothing_is_stored(
    cast: Cast, change: dict[str, str], message: str
) -> None:
    member = {"olga": str(cast.olga.id), "not-an-id": "not-an-id"}.get(change.get("member", ""))
    args = log_args(
        cast, "--summary", change.get("summary", SECRET), user=change.get("user", "bob")
    )
    if "practice" in change:
        args[args.index("north")] = change["practice"]
    if member:
        args[args.index(str(cast.mia.id))] = member
    if "when" in change:
        args += ["--when", change["when"]]
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert Contact.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_a_deactivated_user_cannot_act(cast: Cast) -> None:
    cast.bob.is_active = False
    cast.bob.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="no active user 'bob'.*alice, carol, dave"):
        run(*log_args(cast, "--summary", SECRET))


def test_the_list_has_no_summaries_and_filters(cast: Cast) -> None:
    first = logged(cast, occurred_at=timezone.now() - datetime.timedelta(days=3), request="none")
    second = logged(
        cast, members=[cast.mia, cast.noah], offered_referral=True, reminded_agreement=True
    )
    rows = run("contacts", "list", "--practice", "north")
    assert [r["id"] for r in rows] == [str(second.id), str(first.id)]
    assert all("summary" not in r for r in rows)
    assert rows[0]["referrals"] == 2 and rows[0]["promises"] == 0
    assert [m["name"] for m in rows[0]["members"]] == ["Mia Zephyrine", "Noah Zephyrine"]
    assert rows[1]["request"] == "none" and rows[1]["detected_request"] == "explicit"
    by_noah = run("contacts", "list", "--practice", "north", "--member", str(cast.noah.id))
    assert [r["id"] for r in by_noah] == [str(second.id)]
    assert len(run("contacts", "list", "--practice", "north", "--limit", "1")) == 1
    assert run("contacts", "list", "--practice", "north", "--as", "dave") == []
    by_monday = run("contacts", "list", "--practice", "north", "--group", str(cast.monday.id))
    assert by_monday == []
    assert audit_actions().count("contact.list") == 5


def test_show_prints_everything_and_is_audited_per_member(cast: Cast) -> None:
    contact = logged(cast, members=[cast.mia, cast.noah])
    actions.amend_contact(contact, acting_user=cast.carol, text="Noah was there too.")
    data = run("contacts", "show", str(contact.id), "--practice", "north", "--as", "carol")
    assert data["summary"] == SECRET
    assert [a["author"] for a in data["amendments"]] == ["carol"]
    views = AuditEntry.objects.filter(action="contact.view")
    assert {e.member_id for e in views} == {cast.mia.id, cast.noah.id}


def test_a_contact_of_another_practice_or_out_of_sight_is_not_found(cast: Cast) -> None:
    south = logged(
        cast,
        group=cast.south_group,
        members=[cast.sam],
        acting_user=cast.oscar,
        summary="Sam called about parking.",
        request="none",
    )
    with pytest.raises(CommandError, match=f"no contact '{south.id}' in practice 'north'$"):
        run("contacts", "show", str(south.id), "--practice", "north")
    north = logged(cast)
    with pytest.raises(CommandError, match="that dave can see"):
        run("contacts", "show", str(north.id), "--practice", "north", "--as", "dave")


def test_an_unanswered_request_is_listed_answered_by_amendment_and_counted_apart(
    cast: Cast,
) -> None:
    answered = logged(cast, request="none")
    waiting = logged(cast, request="unanswered", members=[cast.mia, cast.noah])
    args = ("contacts", "list", "--practice", "north")
    rows = run(*args, "--request", "unanswered")
    assert [r["id"] for r in rows] == [str(waiting.id)]
    assert rows[0]["request"] == "unanswered" and rows[0]["detected_request"] == "explicit"
    assert [r["id"] for r in run(*args, "--request", "none")] == [str(answered.id)]
    stats = run("contacts", "stats", "--practice", "north")
    assert (stats["total"], stats["unanswered"]) == (1, 1)  # nothing to compare it with yet
    amend = ("contacts", "amend", str(waiting.id), "--practice", "north", "--as", "carol")
    with pytest.raises(CommandError, match="invalid choice: 'unanswered'"):
        run(*amend, "--text", "Still do not know.", "--request", "unanswered")
    data = run(*amend, "--text", "I asked her: she wants it kept private.", "--request", "implied")
    assert data["effective_request"] == "implied"
    assert run(*args, "--request", "unanswered") == []
    assert [r["id"] for r in run(*args, "--request", "implied")] == [str(waiting.id)]
    stats = run("contacts", "stats", "--practice", "north")
    assert (stats["total"], stats["unanswered"]) == (2, 0)
    assert stats["confusion"]["explicit"]["implied"] == 1


def test_amend_corrects_the_request_and_the_stats_count_it(cast: Cast) -> None:
    contact = logged(cast, request="implied")
    data = run(
        "contacts",
        "amend",
        str(contact.id),
        "--practice",
        "north",
        "--as",
        "carol",
        "--text",
        "She asked plainly: explicit.",
        "--request",
        "explicit",
    )
    assert data["author"] == "carol" and data["effective_request"] == "explicit"
    stats = run("contacts", "stats", "--practice", "north")
    assert stats["total"] == 1 and stats["agreed"] == 1 and stats["agreement"] == 1.0
    with pytest.raises(CommandError, match="text: Write the amendment"):
        run(
            "contacts", "amend", str(contact.id), "--practice", "north", "--as", "bob", "--text", ""
        )


def test_referrals_offer_update_and_list(cast: Cast) -> None:
    contact = logged(cast)
    today = timezone.localdate(timezone=LOS_ANGELES).isoformat()  # north's calendar
    offered = run(
        "referrals",
        "offer",
        "--practice",
        "north",
        "--as",
        "bob",
        "--member",
        str(cast.mia.id),
        "--reason",
        "A confidential space for her sister's illness.",
        "--to-name",
        "Dr. Wren Hollis",
        "--to-contact",
        "555-0142",
        "--contact",
        str(contact.id),
    )
    assert offered["to"] == "Dr. Wren Hollis" and offered["contact"] == str(contact.id)
    assert offered["status"] == "offered" and offered["offered_on"] == today
    with pytest.raises(CommandError, match="status: A referral that is offered cannot become"):
        run(
            "referrals",
            "update",
            offered["id"],
            "--practice",
            "north",
            "--as",
            "bob",
            "--status",
            "completed",
        )
    accepted = run(
        "referrals",
        "update",
        offered["id"],
        "--practice",
        "north",
        "--as",
        "bob",
        "--status",
        "accepted",
        "--on",
        today,
    )
    assert accepted["status"] == "accepted" and accepted["status_on"] == today
    moved = run(
        "referrals",
        "update",
        offered["id"],
        "--practice",
        "north",
        "--as",
        "bob",
        "--to-user",
        "dave",
    )
    assert (moved["to"], moved["to_user"], moved["to_name"]) == ("Dave Tester", "dave", "")
    assert [r["id"] for r in run("referrals", "list", "--practice", "north")] == [offered["id"]]
    assert run("referrals", "list", "--practice", "north", "--status", "declined") == []


def test_unanswered_referrals_are_listed_with_awaiting(cast: Cast) -> None:
    old = actions.offer_referral(
        member=cast.mia,
        acting_user=cast.bob,
        reason="A space.",
        offered_on=timezone.localdate() - datetime.timedelta(days=20),
    )
    actions.offer_referral(member=cast.noah, acting_user=cast.bob, reason="A space.")
    rows = run("referrals", "list", "--practice", "north", "--awaiting")
    assert [r["id"] for r in rows] == [str(old.id)]
    assert run("referrals", "list", "--practice", "north", "--awaiting", "--as", "dave") == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--to-user", "oscar"], "--to-user: no active user 'oscar' in practice 'north'"),
        (["--to-contact", "555-0100"], "--to-contact goes with --to-name"),
        (["--member", "sam"], "no member '.*' in practice 'north'"),
        (["--reason", " "], "reason: Write the reason"),
    ],
)
def test_a_bad_referral_is_named_and_not_stored(cast: Cast, extra: list[str], message: str) -> None:
    args = ["referrals", "offer", "--practice", "north", "--as", "bob"]
    args += ["--member", str(cast.mia.id), "--reason", "A space.", *extra]
    if "sam" in extra:
        args[args.index("sam")] = str(cast.sam.id)
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert Referral.objects.count() == 0


def test_referral_update_needs_something_to_change(cast: Cast) -> None:
    referral = actions.offer_referral(member=cast.mia, acting_user=cast.bob, reason="A space.")
    base = ["referrals", "update", str(referral.id), "--practice", "north", "--as", "bob"]
    with pytest.raises(CommandError, match="nothing to change"):
        run(*base)
    with pytest.raises(CommandError, match="--on goes with --status"):
        run(*base, "--on", "2026-01-01")
    with pytest.raises(CommandError, match="--on takes a date"):
        run(*base, "--status", "accepted", "--on", "soon")


def test_promises_list_and_close(cast: Cast) -> None:
    logged(
        cast,
        promised_confidentiality=True,
        promise_confirmed=True,
        promise_scope="Her sister's illness.",
    )
    [row] = run("promises", "list", "--practice", "north")
    assert row["member"]["name"] == "Mia Zephyrine" and row["group"]["name"] == "Thursday Group"
    assert run("promises", "list", "--practice", "north", "--as", "dave") == []
    close = ["promises", "close", row["id"], "--practice", "north", "--as", "bob"]
    with pytest.raises(CommandError, match="note: Write how and when"):
        run(*close, "--status", "released", "--note", "ok")
    with pytest.raises(CommandError, match="that dave can see"):
        run(*close[:-1], "dave", "--status", "released", "--note", "She raised it herself.")
    closed = run(*close, "--status", "released", "--note", "She raised it herself in group.")
    assert closed["status"] == "released" and closed["closed_by"] == "bob"
    assert run("promises", "list", "--practice", "north") == []
    assert [p["status"] for p in run("promises", "list", "--practice", "north", "--all")] == [
        "released"
    ]


def test_the_demo_practice_answers(db: None) -> None:
    build_demo()
    rows = run("contacts", "list", "--practice", "demo", "--as", "ada")
    assert len(rows) == 8
    june = next(r for r in rows if r["members"][0]["name"] == "June Ashgrove")
    shown = run("contacts", "show", june["id"], "--practice", "demo", "--as", "ada")
    assert shown["referrals"][0]["status"] == "accepted"
    [promise] = run("promises", "list", "--practice", "demo", "--as", "ben")
    assert promise["member"]["name"] == "Saoirse Larkspurr"
    [waiting] = run("referrals", "list", "--practice", "demo", "--awaiting")
    assert waiting["member"]["name"] == "Noor Rainsford-Pike"
    with pytest.raises(CommandError, match="that cleo can see"):
        run("contacts", "show", june["id"], "--practice", "demo", "--as", "cleo")


def test_the_console_command_lists_the_new_commands(capsys: pytest.CaptureFixture[str]) -> None:
    cli_main(["groupguard", "--help"])
    out = capsys.readouterr().out
    for name in ("contacts", "referrals", "promises"):
        assert f"  {name} " in out
