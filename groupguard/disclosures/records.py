"""The engine's facts that groupguard's records already hold, with where each came from.

From a contact entry: where it was said (the setting), the practitioner's role with the member
on that day, whether a group agreement was in force when it was said, a promise, the member's
request (as last corrected) and whether the member was reminded at the time. From the member
and the group: a minor, a 42 CFR Part 2 program. From the practice and the practitioner's
profile: jurisdiction, licence and ethics code. From the authorizations: whether one in force
covers the recipient. The practitioner is asked only for the rest.

A record that holds no answer leaves its fact to the practitioner: a contact whose request for
confidentiality nobody answered yet does not set ``member_request`` (the engine's default,
``none``, would read the silence as "the member did not ask"); ``Prefill.asked`` names it, with
why, and the assessment asks for it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from groupguard.accounts.models import User
from groupguard.contacts import selectors as contact_selectors
from groupguard.contacts.guidance import standing_at
from groupguard.contacts.models import Contact, Promise, PromiseStatus, Request, Setting
from groupguard.disclosures.models import Authorization
from groupguard.practice.models import Member, RoleRelationship
from groupguard.practice.models.roles import RoleKind

SAID_IN = {
    Setting.AFTER_SESSION: "outside_session_casual",
    Setting.BEFORE_SESSION: "outside_session_casual",
    Setting.CHANCE: "outside_session_casual",
    Setting.PHONE: "outside_session_casual",
    Setting.TEXT: "written_message",
    Setting.EMAIL: "written_message",
    Setting.PORTAL: "written_message",
    Setting.ONE_TO_ONE: "scheduled_one_on_one",
    Setting.INDIVIDUAL: "individual_therapy",
}
PROFESSIONS = {"MFT", "LCSW", "LPCC", "psychologist", "counselor"}
RELATIONSHIPS = {
    RoleKind.INDIVIDUAL: "also_individual_therapist",
    RoleKind.COUPLE_FAMILY: "also_couple_or_family_therapist",
}
# The facts a contact answers; without a contact the practitioner answers them.
CONTACT_FACTS = ("said_in", "agreement", "promise", "member_request", "reminded_at_time")


@dataclass
class Prefill:
    """The facts the records hold (``facts``, each with its ``sources``), and the facts a
    record leaves for the practitioner to answer (``asked``: why, and what is known)."""

    facts: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    asked: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, value: Any, source: str) -> None:
        self.facts[name] = value
        self.sources[name] = source

    def ask(self, name: str, why: str) -> None:
        self.asked[name] = why


def prefill(
    *,
    member: Member,
    practitioner: User,
    contact: Contact | None,
    now: datetime.datetime,
) -> Prefill:
    out = Prefill()
    practice = member.practice
    out.set("jurisdiction", practice.jurisdiction, f"Practice settings: {practice.jurisdiction}")
    profile = getattr(practitioner, "practitioner", None)
    if profile is not None:
        licence = profile.license_type
        out.set(
            "profession",
            licence if licence in PROFESSIONS else "other",
            f"{practitioner.display_name}'s licence: {profile.get_license_type_display()}",
        )
        out.set(
            "ethics_code",
            profile.ethics_code,
            f"{practitioner.display_name}'s ethics code: {profile.get_ethics_code_display()}",
        )
    out.set("minor", member.is_minor, "Member record" + (": a minor" if member.is_minor else ""))
    at = contact.occurred_at if contact is not None else now
    day = practice.day_of(at)
    roles = list(
        RoleRelationship.objects.on(day).filter(
            practitioner=practitioner, member=member, kind__in=list(RELATIONSHIPS)
        )
    )
    if roles:
        out.set(
            "relationship",
            RELATIONSHIPS[RoleKind(roles[0].kind)],
            f"Documented role on {day:%d %b %Y}: {roles[0].get_kind_display()}",
        )
    else:
        out.set(
            "relationship",
            "group_only",
            f"No role beyond facilitating the group documented on {day:%d %b %Y}",
        )
    if contact is None:
        return out
    label = f"Contact of {practice.day_of(contact.occurred_at):%d %b %Y}"
    out.set(
        "said_in", SAID_IN[Setting(contact.setting)], f"{label}: {contact.get_setting_display()}"
    )
    out.set(
        "part2_program",
        contact.group.part2_program,
        f"{contact.group.name}"
        + (" is" if contact.group.part2_program else " is not")
        + " a 42 CFR Part 2 program",
    )
    [standing] = standing_at(contact.group, [member], contact.occurred_at)
    if standing.signed_before:
        out.set(
            "agreement",
            "signed_before",
            f"Signed agreement version {standing.signed_version} on "
            f"{practice.day_of(standing.signed_at):%d %b %Y}"
            if standing.signed_at
            else "",
        )
    elif standing.first_signed_at is not None and standing.first_signed_at > contact.occurred_at:
        out.set(
            "agreement",
            "signed_after",
            f"Agreement signed only on {practice.day_of(standing.first_signed_at):%d %b %Y}, "
            "after the contact",
        )
    else:
        out.set("agreement", "none", "No group agreement signed")
    promises = Promise.objects.filter(member=member, made_at__lte=now)
    open_promise = promises.filter(status=PromiseStatus.OPEN).order_by("made_at").first()
    if contact.promised_confidentiality or open_promise is not None:
        source = (
            f"{label}: confidentiality promised"
            if contact.promised_confidentiality
            else f"Open promise of {practice.day_of(open_promise.made_at):%d %b %Y}"
            if open_promise
            else ""
        )
        out.set("promise", "express", source)
    else:
        out.set("promise", "none", f"{label}: no promise recorded")
    request = contact_selectors.effective_request(contact)
    if request == Request.UNANSWERED:
        out.ask(
            "member_request",
            f"{label}: not answered on the contact (the detector suggested "
            f"{contact.detected_request}, from the wording of the note)",
        )
    else:
        out.set("member_request", request, f"{label}: request recorded as {request}")
    out.set(
        "reminded_at_time",
        contact.reminded_agreement,
        f"{label}: "
        + ("reminded of the agreement" if contact.reminded_agreement else "no reminder recorded"),
    )
    return out


def authorization_in_force(
    member: Member, recipient: str, day: datetime.date
) -> Authorization | None:
    """A written authorization in force on ``day`` that covers ``recipient``."""
    for authorization in Authorization.objects.filter(member=member, recipient=recipient):
        if authorization.in_force(day):
            return authorization
    return None
