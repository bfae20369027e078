"""Just-in-time guidance when a member asks for confidentiality outside the group.

When a contact note shows a request (explicit or implied), the facilitator sees, in order:
1. whether each member signed the group's current agreement, and when (if not, that first:
   without a signed agreement there is no written policy to point to);
2. the clauses of the agreement the member signed that answer the moment, quoted from the
   signed text with the version number;
3. a short script in plain words, fitted to the agreement's policy;
4. notes about the setting (a scheduled one-to-one or individual session is not casual
   contact) and a one-click referral offer (the view's button).

The wording is the product's own; the advice follows the founding article's recommendations
(remind the member of the agreement, offer a referral, make no promise that conflicts with the
duty to the group) and the sources cited by each clause.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from groupguard.agreements import selectors as agreement_selectors
from groupguard.agreements.models import ConsentWithdrawal, Signature, StatementVersion
from groupguard.contacts.models import Setting
from groupguard.jurisdictions import resolve
from groupguard.practice.models import Group, Member

# The clauses that answer a request for secrecy, in the order they are shown.
GUIDANCE_CLAUSES = (
    "private-communications",
    "casual-contact",
    "no-conflicting-promises",
    "referral",
    "raise-it-first",
)
CASUAL_SETTINGS = frozenset(
    {
        Setting.AFTER_SESSION,
        Setting.BEFORE_SESSION,
        Setting.PHONE,
        Setting.TEXT,
        Setting.EMAIL,
        Setting.PORTAL,
        Setting.CHANCE,
    }
)
WRITTEN = frozenset({Setting.TEXT, Setting.EMAIL, Setting.PORTAL})

_SCRIPTS = {
    "no_secrets": (
        "Thank you for trusting me with this. I want to be honest with you about how our group "
        "works: we agreed to a no-secrets policy, so what you tell me outside the session can "
        "come up in group when it matters to the group's work. If that time comes, I will give "
        "you the chance to bring it up yourself first. If this is something you need to keep "
        "private, I can refer you to an individual therapist, where it would be confidential. "
        "Would that help?"
    ),
    "limited_secrets": (
        "Thank you for telling me. Our group agreement lets me keep some things private, but I "
        "can't promise that this will stay out of the group: if it matters to the group's work, "
        "I may need to bring it in, carefully. If you need a place where it stays confidential, "
        "I can refer you to an individual therapist. Would you like that?"
    ),
    "discretion": (
        "Thank you for telling me. As our agreement says, I decide case by case what happens "
        "to things said outside the session, and I can't promise this will stay private. If I "
        "ever think it should come into the group, I will talk with you first. If you need a "
        "confidential space, I can refer you to an individual therapist. Would that help?"
    ),
    "none": (
        "Thank you for telling me. Before you say more, I need to be clear: I can't keep "
        "things from the group that matter to the group's work, and I can't promise to keep "
        "this between us. If you need a place where it stays confidential, I can refer you to "
        "an individual therapist. Would that help?"
    ),
}


@dataclass(frozen=True)
class QuotedClause:
    number: int
    title: str
    text: str


@dataclass
class MemberStanding:
    member: Member
    status: str  # agreements.selectors: signed, reconsent, pending, withdrawn, no_agreement
    # The signature in force when the contact happened (None: no signed agreement then).
    signed_version: int | None
    signed_at: datetime.datetime | None
    signed_before: bool
    # The latest signature now, if there was none then (it came after the contact).
    first_signed_at: datetime.datetime | None = None


@dataclass
class Guidance:
    request: str
    warnings: list[str]
    version: StatementVersion | None
    clauses: list[QuotedClause]
    script: str
    notes: list[str] = field(default_factory=list)
    members: list[MemberStanding] = field(default_factory=list)


def quote_clauses(version: StatementVersion, clause_ids: Sequence[str]) -> list[QuotedClause]:
    """The given clauses as they read in the frozen text of ``version``, in that order."""
    parts = version.text.split("\n\n")
    numbered = {str(i): cid for i, cid in enumerate(version.clause_ids, start=1)}
    found: dict[str, QuotedClause] = {}
    for part in parts:
        head, _, body = part.partition("\n")
        number, dot, title = head.partition(". ")
        if dot and number in numbered and numbered[number] in clause_ids:
            found[numbered[number]] = QuotedClause(int(number), title, body.strip())
    return [found[c] for c in clause_ids if c in found]


def standing_at(
    group: Group, members: Sequence[Member], at: datetime.datetime
) -> list[MemberStanding]:
    """Each member's consent now, and the signature that was in force at ``at``."""
    rows = agreement_selectors.consent_rows(group, list(members))
    before: dict[Any, Signature] = {}
    for signature in (
        Signature.objects.filter(
            version__group=group, member__in=[m.id for m in members], signed_at__lte=at
        )
        .select_related("version")
        .order_by("signed_at")
    ):
        before[signature.member_id] = signature
    withdrawn_before = set(
        ConsentWithdrawal.objects.filter(
            group=group, member__in=[m.id for m in members], withdrawn_at__lte=at
        ).values_list("member_id", "withdrawn_at")
    )
    standing = []
    for row in rows:
        then = before.get(row.member.id)
        if then is not None and any(
            member_id == row.member.id and when >= then.signed_at
            for member_id, when in withdrawn_before
        ):
            then = None  # consent had been withdrawn by then
        standing.append(
            MemberStanding(
                member=row.member,
                status=row.status,
                signed_version=then.version.number if then else None,
                signed_at=then.signed_at if then else None,
                signed_before=then is not None,
                first_signed_at=row.signature.signed_at if row.signature else None,
            )
        )
    return standing


def guidance_for(
    *,
    group: Group,
    members: Sequence[Member],
    request: str,
    setting: str,
    at: datetime.datetime,
) -> Guidance | None:
    """What to say and do now; None when there is no request for confidentiality."""
    if request not in ("explicit", "implied") or not members:
        return None
    standing = standing_at(group, members, at)
    current = agreement_selectors.current_version(group)
    warnings: list[str] = []
    if current is None:
        warnings.append(
            f"{group.name} has no published group agreement. There is no written policy to "
            "point to: state the limits plainly now, and publish an agreement for members to "
            "sign before the next session."
        )
    number = current.number if current else "?"
    for row in standing:
        warnings += _standing_warnings(row, number, at)
    version = _version_to_quote(group, standing, current)
    quoted = quote_clauses(version, GUIDANCE_CLAUSES) if version else []
    policy = version.policy if version else "none"
    notes = _setting_notes(setting, request)
    # The same rule the engine applies (groupguard.jurisdictions): where a private word is an
    # individual confidence unless agreed in advance, say so for a casual contact too.
    law, _ = resolve(group.practice.jurisdiction)
    if (
        law.one_to_one == "individual_confidence"
        and setting in CASUAL_SETTINGS
        and not all(r.signed_before for r in standing)
    ):
        notes.insert(
            0,
            f"In {law.name} a one-to-one word with a group member, even in passing, counts as "
            "an individual confidence unless the group agreed otherwise in advance, and not "
            "every member here had signed the agreement by then: ask the member's permission "
            f"before raising it in group ({'; '.join(law.one_to_one_sources)}).",
        )
    return Guidance(
        request=request,
        warnings=warnings,
        version=version,
        clauses=quoted,
        script=_SCRIPTS.get(policy, _SCRIPTS["none"]),
        notes=notes,
        members=standing,
    )


def _standing_warnings(row: MemberStanding, number: Any, at: datetime.datetime) -> list[str]:
    name = row.member.display_name
    if row.status == agreement_selectors.NO_AGREEMENT:
        return []  # said once for the group
    if not row.signed_before:
        if row.first_signed_at is not None and row.first_signed_at > at:
            return [
                f"{name} had not signed the group agreement when this contact happened "
                f"(they signed on {row.first_signed_at:%d %b %Y}): no written policy covered it."
            ]
        if row.status == agreement_selectors.WITHDRAWN:
            return [
                f"{name} withdrew consent to the group agreement. Do not rely on it: state the "
                "limits plainly and talk about whether the group is still right for them."
            ]
        return [
            f"{name} has not signed the group agreement (version {number}). Say the limits "
            "plainly now and ask them to sign before the next session."
        ]
    if row.status == agreement_selectors.WITHDRAWN:
        return [f"{name} has since withdrawn consent to the group agreement."]
    if row.status == agreement_selectors.RECONSENT:
        return [
            f"{name} signed version {row.signed_version}, not the current version {number}. "
            "Quote the version they signed, and ask them to re-consent."
        ]
    return []


def _version_to_quote(
    group: Group, standing: list[MemberStanding], current: StatementVersion | None
) -> StatementVersion | None:
    """The version the members signed when they all signed the same one; else the current."""
    signed = {row.signed_version for row in standing if row.signed_version is not None}
    if len(signed) == 1 and all(row.signed_version is not None for row in standing):
        number = signed.pop()
        if current is not None and current.number == number:
            return current
        return StatementVersion.objects.filter(group=group, number=number).first()
    return current


def _setting_notes(setting: str, request: str) -> list[str]:
    notes: list[Any] = []
    if setting in (Setting.ONE_TO_ONE, Setting.INDIVIDUAL):
        notes.append(
            "This was a scheduled one-to-one or individual session, not casual contact. What a "
            "member says there can reasonably be taken as an individual confidence (New York's "
            "Office of the Professions treats it so unless there was a prior agreement), and "
            "bringing it into group may need the member's written permission."
        )
    if setting in WRITTEN:
        notes.append(
            "Answer in writing too, in the same channel, and keep a copy: a written reply is "
            "the best record that the member was reminded of the agreement."
        )
    if request == "explicit":
        notes.append(
            "Do not promise to keep it secret. A promise that conflicts with your duty to the "
            "group is what most raises your exposure (Leslie, 2008)."
        )
    notes.append(
        "Decision support, not legal advice: when in doubt, consult a colleague or your "
        "professional association's risk line, and record that you did."
    )
    return notes


PROMISE_WARNING = (
    "Your first duty is to the group as a whole. A promise to keep something from the group "
    "can bind you (HIPAA treats a restriction you agreed to as binding, 45 CFR 164.522), can "
    "stop you from using what you know for the group's treatment, and is the fact that most "
    "raises your exposure if the matter later comes up in group (Leslie, 2008). Marriage and "
    "family therapists also need the member's written permission before revealing a "
    "confidence (AAMFT Code 2.2). A promise never overrides the law: threats of violence, "
    "suspected abuse and court orders still go to the legal channel."
)
