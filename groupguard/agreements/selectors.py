"""Reads of the group agreement: versions, consent status, what needs attention."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from groupguard.agreements import clauses
from groupguard.agreements.models import (
    AttendanceOverride,
    ConsentWithdrawal,
    LimitsRevisit,
    PracticeClause,
    Signature,
    SigningLink,
    StatementVersion,
)
from groupguard.practice.models import (
    Enrollment,
    Group,
    GroupFacilitator,
    GroupSession,
    Member,
    Practice,
    RoleRelationship,
)
from groupguard.practice.models.groups import GroupStatus
from groupguard.practice.models.roles import DUAL_ROLES

SIGNED = "signed"
RECONSENT = "reconsent"
PENDING = "pending"
WITHDRAWN = "withdrawn"
NO_AGREEMENT = "no_agreement"

STATUS_LABELS = {
    SIGNED: "Signed",
    RECONSENT: "Re-consent needed",
    PENDING: "Not signed yet",
    WITHDRAWN: "Consent withdrawn",
    NO_AGREEMENT: "No agreement published",
}


def group_context(group: Group) -> clauses.GroupContext:
    has_minors = Enrollment.objects.filter(group=group, member__is_minor=True).current().exists()
    return clauses.GroupContext(
        jurisdiction=group.practice.jurisdiction,
        modality=group.modality,
        part2_program=group.part2_program,
        has_minors=has_minors,
    )


def extra_clauses(practice: Practice | Any) -> list[clauses.Clause]:
    return [
        clauses.custom_clause(c.clause_id, c.title, c.text, c.rationale, c.sources)
        for c in PracticeClause.objects.filter(practice=practice, active=True).order_by("title")
    ]


def current_version(group: Group) -> StatementVersion | None:
    return StatementVersion.objects.filter(group=group).order_by("-number").first()


def access_version(group: Group, number: int) -> StatementVersion:
    """Version ``number`` of the group's agreement (the caller checked access to the group)."""
    version = StatementVersion.objects.filter(group=group, number=number).first()
    if version is None:
        raise Http404("No such version")
    return version


def access_link(group: Group, link_id: Any) -> SigningLink:
    """A signing link of one of the group's agreement versions, with its member."""
    link = SigningLink.objects.filter(id=link_id, version__group=group).select_related("member")
    found = link.first()
    if found is None:
        raise Http404("No such link")
    return found


def access_signature(group: Group, signature_id: Any) -> Signature:
    """A signature of one of the group's agreement versions, with its version and member."""
    found = (
        Signature.objects.filter(id=signature_id, version__group=group)
        .select_related("version", "member")
        .first()
    )
    if found is None:
        raise Http404("No such signature")
    return found


def versions(group: Group) -> QuerySet[StatementVersion]:
    return (
        StatementVersion.objects.filter(group=group)
        .select_related("published_by")
        .order_by("-number")
    )


@dataclass
class ConsentRow:
    member: Member
    status: str
    signature: Signature | None
    withdrawal: ConsentWithdrawal | None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


def _status(
    current: StatementVersion | None,
    signature: Signature | None,
    withdrawal: ConsentWithdrawal | None,
) -> str:
    if current is None:
        return NO_AGREEMENT
    if signature is None:
        return WITHDRAWN if withdrawal else PENDING
    if withdrawal is not None and withdrawal.withdrawn_at >= signature.signed_at:
        return WITHDRAWN
    return SIGNED if signature.version_id == current.id else RECONSENT


def consent_rows(group: Group, members: list[Member] | None = None) -> list[ConsentRow]:
    """Consent status of the group's current members (or of ``members``), in three queries."""
    if members is None:
        members = [
            e.member
            for e in Enrollment.objects.filter(group=group).current().select_related("member")
        ]
    current = current_version(group)
    ids = [m.id for m in members]
    latest: dict[Any, Signature] = {}
    for sig in (
        Signature.objects.filter(version__group=group, member_id__in=ids)
        .select_related("version")
        .order_by("signed_at")
    ):
        latest[sig.member_id] = sig
    withdrawals: dict[Any, ConsentWithdrawal] = {}
    for w in ConsentWithdrawal.objects.filter(group=group, member_id__in=ids).order_by(
        "withdrawn_at"
    ):
        withdrawals[w.member_id] = w
    rows = [
        ConsentRow(
            m,
            _status(current, latest.get(m.id), withdrawals.get(m.id)),
            latest.get(m.id),
            withdrawals.get(m.id),
        )
        for m in members
    ]
    rows.sort(key=lambda r: r.member.display_name.casefold())
    return rows


def member_consent_rows(member: Member, groups: list[Group]) -> dict[Any, ConsentRow]:
    """One member's consent status with each of ``groups``, keyed by group id, in three
    queries however many groups the member is in."""
    ids = [g.id for g in groups]
    current: dict[Any, StatementVersion] = {}
    for version in StatementVersion.objects.filter(group_id__in=ids).order_by("number"):
        current[version.group_id] = version
    latest: dict[Any, Signature] = {}
    for sig in (
        Signature.objects.filter(version__group_id__in=ids, member=member)
        .select_related("version")
        .order_by("signed_at")
    ):
        latest[sig.version.group_id] = sig
    withdrawals: dict[Any, ConsentWithdrawal] = {}
    for w in ConsentWithdrawal.objects.filter(group_id__in=ids, member=member).order_by(
        "withdrawn_at"
    ):
        withdrawals[w.group_id] = w
    return {
        gid: ConsentRow(
            member,
            _status(current.get(gid), latest.get(gid), withdrawals.get(gid)),
            latest.get(gid),
            withdrawals.get(gid),
        )
        for gid in ids
    }


def consent_status(group: Group, member: Member) -> str:
    return consent_rows(group, [member])[0].status


def may_attend(session: GroupSession, member: Member) -> bool:
    """True when the member signed the current version, or an override covers this session."""
    if consent_status(session.group, member) == SIGNED:
        return True
    return AttendanceOverride.objects.filter(session=session, member=member).exists()


def pending_revisit(group: Group) -> list[Enrollment]:
    """Members who joined an active group after it began meeting, since the limits of
    confidentiality were last re-explained to the group: the facilitator should revisit them."""
    if (
        group.status != GroupStatus.ACTIVE
        or not StatementVersion.objects.filter(group=group).exists()
    ):
        return []
    first = (
        GroupSession.objects.filter(group=group, starts_at__lt=timezone.now())
        .exclude(status="cancelled")
        .order_by("starts_at")
        .first()
    )
    if first is None:
        return []
    since = first.local_day() + datetime.timedelta(days=1)
    last = LimitsRevisit.objects.filter(group=group).order_by("-covers_joins_until").first()
    if last is not None:
        since = max(since, last.covers_joins_until + datetime.timedelta(days=1))
    return list(
        Enrollment.objects.filter(group=group, joined_on__gte=since)
        .current()
        .select_related("member")
        .order_by("joined_on")
    )


def open_links(group: Group) -> QuerySet[SigningLink]:
    """The group's links not yet used, withdrawn or replaced: those still working, and those
    stopped after too many wrong identity answers (until the facilitator sends a new one)."""
    return (
        SigningLink.objects.outstanding()
        .filter(version__group=group)
        .select_related("member", "version")
        .order_by("expires_at")
    )


def overrides(group: Group) -> QuerySet[AttendanceOverride]:
    return (
        AttendanceOverride.objects.filter(session__group=group)
        .select_related("session", "member", "created_by")
        .order_by("-created_at")
    )


@dataclass
class GroupConsentSummary:
    version: int | None
    signed: int = 0
    pending: int = 0
    reconsent: int = 0
    withdrawn: int = 0
    overrides: int = 0
    expiring_links: int = 0


def dashboard_summaries(groups: list[Group]) -> dict[Any, GroupConsentSummary]:
    """Consent counts of many groups in a fixed number of queries (for the dashboard)."""
    from django.db.models import Count, Max

    ids = [g.id for g in groups]
    today = timezone.localdate()
    numbers = dict(
        StatementVersion.objects.filter(group_id__in=ids)
        .values("group_id")
        .annotate(n=Max("number"))
        .values_list("group_id", "n")
    )
    current_ids = {
        gid: vid
        for gid, n, vid in StatementVersion.objects.filter(group_id__in=ids).values_list(
            "group_id", "number", "id"
        )
        if numbers.get(gid) == n
    }
    members: dict[Any, list[Any]] = {}
    for gid, mid in (
        Enrollment.objects.filter(group_id__in=ids)
        .current(today)
        .values_list("group_id", "member_id")
    ):
        members.setdefault(gid, []).append(mid)
    latest: dict[tuple[Any, Any], tuple[Any, Any]] = {}
    for gid, mid, vid, at in (
        Signature.objects.filter(version__group_id__in=ids)
        .order_by("signed_at")
        .values_list("version__group_id", "member_id", "version_id", "signed_at")
    ):
        latest[(gid, mid)] = (vid, at)
    withdrawn: dict[tuple[Any, Any], Any] = {}
    for gid, mid, at in (
        ConsentWithdrawal.objects.filter(group_id__in=ids)
        .order_by("withdrawn_at")
        .values_list("group_id", "member_id", "withdrawn_at")
    ):
        withdrawn[(gid, mid)] = at
    overrides = dict(
        AttendanceOverride.objects.filter(session__group_id__in=ids)
        .values("session__group_id")
        .annotate(n=Count("id"))
        .values_list("session__group_id", "n")
    )
    soon = timezone.now() + datetime.timedelta(days=2)
    expiring = dict(
        SigningLink.objects.filter(
            version__group_id__in=ids,
            used_at__isnull=True,
            revoked_at__isnull=True,
            stopped_at__isnull=True,
            expires_at__gt=timezone.now(),
            expires_at__lte=soon,
        )
        .values("version__group_id")
        .annotate(n=Count("id"))
        .values_list("version__group_id", "n")
    )
    out: dict[Any, GroupConsentSummary] = {}
    for gid in ids:
        summary = GroupConsentSummary(
            version=numbers.get(gid),
            overrides=overrides.get(gid, 0),
            expiring_links=expiring.get(gid, 0),
        )
        if summary.version is not None:
            for mid in members.get(gid, []):
                sig = latest.get((gid, mid))
                w = withdrawn.get((gid, mid))
                if sig is None:
                    summary.pending += 1
                elif w is not None and w >= sig[1]:
                    summary.withdrawn += 1
                elif sig[0] == current_ids.get(gid):
                    summary.signed += 1
                else:
                    summary.reconsent += 1
        out[gid] = summary
    return out


# A sentence of a role statement saying someone has no other role with any member ("I am not
# the individual therapist of any member", "Ben is not the individual therapist of any
# member", "neither of us is ...").
_DENIES_DUAL_ROLE = re.compile(
    r"\b(?:not|none of us|neither of us|no facilitator|nobody)\b[^.]{0,80}"
    r"\b(?:individual|other|second|another)\b[^.]{0,40}\b(?:therapist|role|relationship)",
    re.IGNORECASE,
)
_EVERY_FACILITATOR = re.compile(
    r"\b(?:none of us|neither of us|no facilitator|nobody|no one)\b", re.IGNORECASE
)
_ALSO = re.compile(r"\b(?:also|another role|second role|other role)\b", re.IGNORECASE)


def statement_denies_role(statement: str, practitioner_name: str) -> bool:
    """Whether a role statement says the practitioner has no other role with a member, and
    names none for them. A sentence is about them when it names them (full or first name),
    says "I" in a statement that opens "I am <their name>", or speaks for every facilitator
    ("neither of us"); one naming a second role of theirs ("Ben is also the family therapist
    of one member") outweighs a denial elsewhere."""
    full = practitioner_name.strip()
    first = full.split()[0] if full else ""
    if not first:
        return False
    name = re.compile(rf"\b(?:{re.escape(full)}|{re.escape(first)})\b", re.IGNORECASE)
    writes = re.search(rf"\bI(?: am|'m) {re.escape(first)}\b", statement, re.IGNORECASE)
    denied = False
    for sentence in re.split(r"(?<=[.!?])\s+", statement):
        about = bool(name.search(sentence)) or bool(writes and re.search(r"\bI\b", sentence))
        if _DENIES_DUAL_ROLE.search(sentence):
            if about or _EVERY_FACILITATOR.search(sentence):
                denied = True
        elif about and _ALSO.search(sentence):
            return False
    return denied


@dataclass
class RoleConflict:
    """A member signed an agreement whose role statement cannot have stated a role the
    member now has with one of the group's facilitators."""

    group: Group
    member: Member
    role: RoleRelationship
    version: StatementVersion

    @property
    def reason(self) -> str:
        if self.role.starts_on > self.version.effective_on:
            return (
                f"the role began on {self.role.starts_on:%d %b %Y}, after version "
                f"{self.version.number} took effect"
            )
        return (
            f"version {self.version.number} says {self.role.practitioner.display_name} has no "
            "other role with a member"
        )


def role_conflicts(groups: list[Group], day: datetime.date | None = None) -> list[RoleConflict]:
    """Members of ``groups`` whose signed agreement contradicts a role recorded today between
    them and one of the group's facilitators (an individual therapist, a family therapist, a
    supervisor): the agreement they signed either predates the role or says there is none.

    ``day`` is the practice's today (``Practice.today()``); the server's when not given.
    Four queries however many groups and members; only members with a second role are read
    (and their names decrypted), and signatures without their encrypted fields."""
    day = day or timezone.localdate()
    ids = [g.id for g in groups]
    by_id = {g.id: g for g in groups}
    leads: dict[Any, set[Any]] = {}
    for group_id, user_id in GroupFacilitator.objects.filter(group_id__in=ids).values_list(
        "group_id", "user_id"
    ):
        leads.setdefault(group_id, set()).add(user_id)
    enrolled = Enrollment.objects.filter(group_id__in=ids).current(day)
    current = set(enrolled.values_list("group_id", "member_id"))
    # Second roles held by a facilitator of one of these groups with one of their members.
    roles = list(
        RoleRelationship.objects.on(day)
        .filter(
            kind__in=DUAL_ROLES,
            member_id__in=enrolled.values("member_id"),
            practitioner_id__in=GroupFacilitator.objects.filter(group_id__in=ids).values("user_id"),
        )
        .select_related("practitioner", "member")
        .order_by("starts_on")
    )
    latest: dict[tuple[Any, Any], StatementVersion] = {}
    for sig in (
        Signature.objects.filter(
            version__group_id__in=ids,
            member_id__in=RoleRelationship.objects.on(day)
            .filter(kind__in=DUAL_ROLES)
            .values("member_id"),
        )
        .select_related("version")
        .only(
            "member_id",
            "signed_at",
            "version__id",
            "version__group_id",
            "version__number",
            "version__effective_on",
            "version__role_statement",
        )
        .order_by("signed_at")
    ):
        latest[(sig.version.group_id, sig.member_id)] = sig.version
    out = []
    for role in roles:
        for group_id, staff in leads.items():
            key = (group_id, role.member_id)
            if key not in current or role.practitioner_id not in staff or key not in latest:
                continue
            version = latest[key]
            if role.starts_on > version.effective_on or statement_denies_role(
                version.role_statement, role.practitioner.display_name
            ):
                out.append(RoleConflict(by_id[group_id], role.member, role, version))
    out.sort(key=lambda c: (c.group.name, c.member.display_name.casefold()))
    return out
