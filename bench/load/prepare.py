"""Make the scale practice ready for the load test and write the *plan* the locust users follow.

    python -m bench.load.prepare --users 30 --out plan.json   (with the run's environment)

Runs inside Django, after ``groupguard seed-scale``. Everything goes through the product's
actions, so each step has its audit entry like a real practice's would:

- *accounts*: the seeded clinicians (``scale-clin-NNN``, each the lead of about ten groups),
  and when the run wants more users than there are clinicians, new clinicians
  (``load-clin-NN``) added as co-facilitators of about ten groups each. Every account gets a
  password (``accounts.actions.change_password``) and an authenticator app confirmed with its
  first code (``confirm_authenticator``); the plan carries the secret, so the locust user can
  compute its codes, and the first time step it may use (codes are accepted once).
- *agreements*: each of those groups publishes its group agreement; about half of its current
  members sign in person (so attendance can be recorded for them) and the others get
  single-use signing links with a code check. The plan carries each link's token, code and the
  right answers of the comprehension check.
- *targets* per account: its groups, the members it may open (current members of its groups),
  the (session, member) pairs whose attendance it corrects (recent held sessions of its groups,
  members who signed; each pair belongs to one account, so two users never race on one row),
  and its signing links.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import secrets
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# What the contact form is filled in with: notes that need no answer, and requests for
# secrecy the detector recognises (the form then takes the answer the detector suggests).
NOTES = [
    "Stayed after group to ask about the schedule over the holidays.",
    "Called to say they will be late next week because of work.",
    "Asked whether the group will continue after the summer break.",
    "Wanted to know if a friend could join the waiting list.",
    "Mentioned a hard week at home; reminded them of the crisis line.",
    "Please don't tell the group, but I have been drinking again.",
    "This stays between us, okay? I am thinking of leaving the group.",
    "I'd rather the others didn't know that I ran into Sam outside group.",
]
RECENT_DAYS = 21  # attendance is corrected for sessions held in the last three weeks
GROUPS_PER_EXTRA_ACCOUNT = 10
LINKS_PER_GROUP = 5
ATTENDANCE_PER_ACCOUNT = 40


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load.prepare")
    parser.add_argument("--users", type=int, required=True, help="accounts to prepare")
    parser.add_argument("--out", type=Path, required=True, help="where to write the plan")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def _ids(values: Iterable[Any]) -> list[str]:
    return [str(v) for v in values]


def _accounts(practice: Any, admin: Any, users: int, rng: random.Random) -> list[Any]:
    from groupguard.accounts.models import User
    from groupguard.demo.scale import CLINICIAN_PREFIX
    from groupguard.practice import actions
    from groupguard.practice.models import Group

    clinicians = list(
        User.objects.filter(practice=practice, username__startswith=CLINICIAN_PREFIX).order_by(
            "username"
        )
    )
    accounts = clinicians[:users]
    groups = list(Group.objects.filter(practice=practice).order_by("name"))
    for n in range(users - len(accounts)):
        user = actions.create_staff_user(
            practice=practice,
            username=f"load-clin-{n + 1:02d}",
            password=secrets.token_urlsafe(18),
            role="clinician",
            first_name="Load",
            last_name=f"Clinician {n + 1:02d}",
            acting_user=admin,
            validate_password=False,
        )
        for group in rng.sample(groups, min(GROUPS_PER_EXTRA_ACCOUNT, len(groups))):
            if not group.facilitator_links.filter(user=user).exists():
                actions.add_co_facilitator(group, user, acting_user=admin)
        accounts.append(user)
    return accounts


def _sign_in_details(user: Any, admin: Any) -> dict[str, Any]:
    """A password and a confirmed authenticator for ``user``; what the harness needs to log in."""
    from groupguard.accounts import actions as account_actions
    from groupguard.accounts import mfa

    password = secrets.token_urlsafe(18)
    account_actions.change_password(user, password, acting_user=admin, keep_session=None)
    device = mfa.pending_authenticator(user)
    account_actions.confirm_authenticator(
        device, mfa.current_code(device), acting_user=user, keep_session=None
    )
    device.refresh_from_db()
    return {
        "username": user.username,
        "password": password,
        "totp": {
            "key": device.bin_key.hex(),  # the sealed secret, opened
            "step": device.step,
            "t0": device.t0,
            "digits": device.digits,
            "drift": device.drift,
            "min_step": device.last_t + 1,  # the first step not yet spent
        },
    }


def _facilitated(user: Any) -> list[Any]:
    from groupguard.practice.models import GroupFacilitator

    links = GroupFacilitator.objects.filter(user=user).select_related("group")
    # The groups the account leads first, then those it co-facilitates.
    return [link.group for link in sorted(links, key=lambda f: (f.role != "lead", f.group.name))]


def _prepare_group(
    group: Any, lead: Any, rng: random.Random
) -> tuple[list[str], list[dict[str, Any]]]:
    """Publish the agreement; sign in person for half the current members, links for the
    rest. Returns the members who signed and the links."""
    from groupguard.agreements import actions as agreement_actions
    from groupguard.agreements import render as statement_render
    from groupguard.agreements import selectors as agreement_selectors
    from groupguard.agreements.models import IdentityCheck, SignatureMethod
    from groupguard.practice.models import Enrollment

    version = agreement_selectors.current_version(group)
    if version is None:
        version = agreement_actions.publish(group, acting_user=lead)
    questions = statement_render.questions_for(
        version.clause_ids, agreement_selectors.extra_clauses(group.practice)
    )
    answers = {f"q-{q.id}": q.correct for q in questions}
    members = [
        e.member for e in Enrollment.objects.filter(group=group).current().select_related("member")
    ]
    members.sort(key=lambda m: str(m.id))
    rng.shuffle(members)
    half = (len(members) + 1) // 2
    signed: list[str] = []
    for member in members[:half]:
        agreement_actions.record_signature(
            group,
            member,
            typed_name=member.display_name,
            method=SignatureMethod.IN_PERSON,
            acting_user=lead,
            guardian_name="A. Guardian" if member.is_minor else "",
            minor_assent=member.is_minor,
        )
        signed.append(str(member.id))
    links: list[dict[str, Any]] = []
    for member in members[half:][:LINKS_PER_GROUP]:
        _, token, code = agreement_actions.issue_signing_link(
            group, member, identity_check=IdentityCheck.CODE, acting_user=lead
        )
        links.append(
            {
                "token": token,
                "code": code,
                "answers": answers,
                "typed_name": member.display_name,
                "guardian_name": "A. Guardian" if member.is_minor else "",
                "minor": member.is_minor,
            }
        )
    return signed, links


def _attendance_pairs(
    groups: list[Any],
    signed: set[tuple[str, str]],
    taken: set[tuple[str, str]],
    now: datetime.datetime,
) -> list[dict[str, str]]:
    """Recent held sessions of the groups, members who signed that group's agreement and have
    attendance there."""
    from groupguard.practice.models import Attendance

    rows = (
        Attendance.objects.filter(
            session__group__in=groups,
            session__status="held",
            session__starts_at__gte=now - datetime.timedelta(days=RECENT_DAYS),
            session__starts_at__lte=now,
        )
        .order_by("-session__starts_at", "member_id")
        .values_list("session_id", "session__group_id", "member_id", "status")
    )
    pairs: list[dict[str, str]] = []
    for session_id, group_id, member_id, status in rows:
        key = (str(session_id), str(member_id))
        if (str(group_id), key[1]) not in signed or key in taken:
            continue
        taken.add(key)
        pairs.append({"session": key[0], "member": key[1], "status": status})
        if len(pairs) >= ATTENDANCE_PER_ACCOUNT:
            break
    return pairs


def prepare(users: int, seed: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.common import machine_info
    from groupguard.accounts.models import User
    from groupguard.contacts.detect import detect
    from groupguard.demo.scale import ADMIN_USERNAME, SCALE_SLUG
    from groupguard.practice.models import Enrollment, Practice

    rng = random.Random(seed)  # noqa: S311  (which groups and members, not security)
    practice = Practice.objects.get(slug=SCALE_SLUG)
    admin = User.objects.get(practice=practice, username=ADMIN_USERNAME)
    now = timezone.now()
    prepared: dict[str, tuple[list[str], list[dict[str, Any]]]] = {}
    taken: set[tuple[str, str]] = set()
    accounts_out: list[dict[str, Any]] = []
    with transaction.atomic():
        accounts = _accounts(practice, admin, users, rng)
    for user in accounts:
        with transaction.atomic():
            account = _sign_in_details(user, admin)
            groups = _facilitated(user)
            signed: set[tuple[str, str]] = set()  # (group, member)
            links: list[dict[str, Any]] = []
            for group in groups:
                key = str(group.id)
                if key not in prepared:
                    lead = group.facilitator_links.filter(role="lead").first()
                    prepared[key] = _prepare_group(group, lead.user if lead else user, rng)
                signed.update((key, member) for member in prepared[key][0])
                # A group's links go to the first account that facilitates it: used once.
                links += prepared[key][1]
                prepared[key] = (prepared[key][0], [])
            members = [
                {"member": str(e.member_id), "group": str(e.group_id)}
                for e in Enrollment.objects.filter(group__in=groups)
                .current()
                .order_by("group_id", "member_id")
            ]
            account.update(
                groups=_ids(g.id for g in groups),
                members=members,
                attendance=_attendance_pairs(groups, signed, taken, now),
                links=links,
            )
            accounts_out.append(account)
    if connection.vendor == "postgresql":
        # As bench/run.py: a live server's autovacuum would have analysed the bulk load.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "practice": SCALE_SLUG,
        "timezone": practice.timezone,
        "accounts": accounts_out,
        "notes": [{"summary": n, "request": detect(n).request} for n in NOTES],
        "machine": machine_info(),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = prepare(args.users, args.seed)
    args.out.write_text(json.dumps(plan, indent=1, default=str))
    counts = {
        "accounts": len(plan["accounts"]),
        "members": sum(len(a["members"]) for a in plan["accounts"]),
        "attendance pairs": sum(len(a["attendance"]) for a in plan["accounts"]),
        "signing links": sum(len(a["links"]) for a in plan["accounts"]),
    }
    print(json.dumps(counts), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
