"""Page latency at scale: the dashboard, a group page and a member page against a floor.

Every page goes through Django's test client (the full middleware stack and templates, no
HTTP server or network), logged in (both steps: ``tests.support.mfa_login``) as a clinician who leads about ten
groups and, separately, as the practice admin, who sees every group. The floor is the base
layout with a plain 50-row table and no database queries, requested by an anonymous client
in the same rounds. Requests are interleaved, in a shuffled order each round, so drift in the
machine's speed affects every page alike. Each page is reported as p50/p95 latency, its query
count and the ratio of its p95 to the floor's p95; the target is a ratio of at most 4.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from dataclasses import dataclass, field
from typing import Any

TARGET_RATIO = 4.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("pages")
    group.add_argument(
        "--rounds", type=int, default=200, help="measured requests per page (default 200)"
    )
    group.add_argument(
        "--warmup", type=int, default=20, help="unmeasured requests per page first (default 20)"
    )


@dataclass
class Case:
    page: str
    user: str
    client: Any
    path: str
    queries: int = 0
    bytes: int = 0
    samples: list[int] = field(default_factory=list)


def _choose_targets() -> dict[str, Any]:
    """The clinician, a group they lead with the most current members, and its busiest member."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from groupguard.accounts.models import User
    from groupguard.demo.scale import ADMIN_USERNAME, CLINICIAN_PREFIX, SCALE_SLUG
    from groupguard.practice.access import visible_groups
    from groupguard.practice.models import Attendance, Group, Member, Practice

    practice = Practice.objects.get(slug=SCALE_SLUG)
    admin = User.objects.get(practice=practice, username=ADMIN_USERNAME)
    clinician = User.objects.get(practice=practice, username=f"{CLINICIAN_PREFIX}001")
    today = timezone.localdate()
    current = Q(enrollments__joined_on__lte=today) & (
        Q(enrollments__left_on__isnull=True) | Q(enrollments__left_on__gte=today)
    )
    group = (
        Group.objects.filter(
            practice=practice, facilitator_links__user=clinician, facilitator_links__role="lead"
        )
        .annotate(current=Count("enrollments", filter=current, distinct=True))
        .order_by("-current", "name")
        .first()
    )
    if group is None:
        raise SystemExit("the scale practice has no group led by the clinician")
    member_id = (
        Attendance.objects.filter(
            member__enrollments__group=group,
            member__enrollments__left_on__isnull=True,
        )
        .values("member_id")
        .annotate(n=Count("id"))
        .order_by("-n", "member_id")
        .values_list("member_id", flat=True)
        .first()
    )
    member = (
        Member.objects.get(pk=member_id)
        if member_id
        else Member.objects.filter(enrollments__group=group).order_by("id").first()
    )
    if member is None:
        raise SystemExit(f"group {group.name} has no members")
    return {
        "admin": admin,
        "clinician": clinician,
        "group": group,
        "member": member,
        "visible_groups": {
            "clinician": visible_groups(clinician).count(),
            "admin": visible_groups(admin).count(),
        },
    }


def _fetch(case: Case) -> Any:
    response = case.client.get(case.path)
    if response.status_code != 200:
        raise SystemExit(
            f"{case.page} as {case.user}: HTTP {response.status_code} from {case.path}"
        )
    return response


def run(args: argparse.Namespace) -> dict[str, Any]:
    return measure(rounds=args.rounds, warmup=args.warmup)


def measure(
    *, rounds: int, warmup: int, admin_pages: dict[str, str] | None = None
) -> dict[str, Any]:
    """Measure the pages on the database Django is connected to (``run`` with ``--rounds``).

    ``admin_pages`` adds pages (name -> path) requested as the admin only, in the same rounds
    (bench/scale.py adds the audit log page).
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from tests.support import mfa_login

    targets = _choose_targets()
    group, member = targets["group"], targets["member"]
    paths = {
        "dashboard": reverse("dashboard"),
        "group": reverse("group_detail", args=[group.id]),
        "member": reverse("member_detail", args=[member.id]),
    }
    cases = [Case("floor", "anonymous", Client(), reverse("bench_floor"))]
    for role in ("clinician", "admin"):
        client = mfa_login(Client(), targets[role])
        cases += [Case(page, role, client, path) for page, path in paths.items()]
        if role == "admin":
            cases += [Case(page, role, client, path) for page, path in (admin_pages or {}).items()]

    for _ in range(warmup):
        for case in cases:
            _fetch(case)
    for case in cases:
        with CaptureQueriesContext(connection) as ctx:
            response = _fetch(case)
        case.queries = len(ctx.captured_queries)
        case.bytes = len(response.content)
        if case.page == "floor" and case.queries:
            raise SystemExit(
                f"the floor page made {case.queries} queries; it must make none:\n"
                + "\n".join(q["sql"] for q in ctx.captured_queries)
            )
    floor = cases[0]

    order = list(cases)
    shuffle = random.Random(0)  # noqa: S311  (a fixed order of requests, not security)
    gc.collect()
    for _ in range(rounds):
        shuffle.shuffle(order)
        for case in order:
            started = time.perf_counter_ns()
            _fetch(case)
            case.samples.append(time.perf_counter_ns() - started)

    from bench.common import summarize_ms

    rows = []
    floor_stats = summarize_ms(floor.samples)
    for case in cases:
        stats = summarize_ms(case.samples)
        ratio = stats["p95_ms"] / floor_stats["p95_ms"]
        rows.append(
            {
                "page": case.page,
                "user": case.user,
                "path": case.path,
                "queries": case.queries,
                "bytes": case.bytes,
                **stats,
                "ratio_p50": round(stats["p50_ms"] / floor_stats["p50_ms"], 2),
                "ratio_p95": round(ratio, 2),
                "within_target": ratio <= TARGET_RATIO,
            }
        )
    return {
        "benchmark": "pages",
        "target": {"ratio": "p95 / floor p95", "max": TARGET_RATIO},
        "rounds": rounds,
        "warmup": warmup,
        "subjects": {
            "clinician": targets["clinician"].username,
            "admin": targets["admin"].username,
            "visible_groups": targets["visible_groups"],
            "group": {"name": group.name, "current_members": group.current},
            "member_attendance_rows": member.attendance.count(),
        },
        "pages": rows,
    }


def table(result: dict[str, Any]) -> str:
    head = (
        f"{'page':<10} {'user':<10} {'p50 ms':>8} {'p95 ms':>8} {'queries':>7} "
        f"{'KiB':>6} {'p50/floor':>9} {'p95/floor':>9}"
    )
    lines = [head, "-" * len(head)]
    for row in result["pages"]:
        flag = "" if row["within_target"] else f"  MISSED (> {result['target']['max']:g}x)"
        lines.append(
            f"{row['page']:<10} {row['user']:<10} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} "
            f"{row['queries']:>7} {row['bytes'] / 1024:>6.0f} {row['ratio_p50']:>8.2f}x "
            f"{row['ratio_p95']:>8.2f}x{flag}"
        )
    subjects = result["subjects"]
    lines.append(
        f"clinician {subjects['clinician']} sees {subjects['visible_groups']['clinician']} "
        f"groups, admin sees {subjects['visible_groups']['admin']}; group page: "
        f"{subjects['group']['name']} ({subjects['group']['current_members']} current members); "
        f"member page: {subjects['member_attendance_rows']} attendance rows"
    )
    return "\n".join(lines)
