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

The detector's risk flags on the contact's note (a threat, suicidal thoughts, self-harm, abuse of
a child, an elder or a dependent adult) **propose** facts (``Prefill.proposed``): ``danger`` and
``abuse`` (by the victim: a child, an elder, a dependent adult; the state table then says
whether a report is mandatory). A proposal is never a fact: the flags follow the note's
words, not what happened, so the practitioner answers, and the assessment is refused until
they do. A flag on substance use proposes nothing (the engine's ``part2_program`` is about the
program, which the group's record answers); it adds a note beside that fact
(``Prefill.notes``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from groupguard.accounts.models import User
from groupguard.agreements.models import Policy, StatementVersion
from groupguard.contacts import selectors as contact_selectors
from groupguard.contacts.detect import detect
from groupguard.contacts.guidance import standing_at
from groupguard.contacts.models import (
    Contact,
    Promise,
    PromiseStatus,
    Referral,
    ReferralStatus,
    Request,
    Setting,
)
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

# The detector's risk flags (``contacts.detect.Flag.kind``) in plain words. A kind this version
# does not know (a newer detector's) proposes nothing.
RISK_WORDS = {
    "threat": "a possible threat to harm another person",
    "suicide": "possible suicidal thoughts",
    "self_harm": "possible self-harm",
    "child_abuse": "possible abuse or neglect of a child",
    "elder_abuse": "possible abuse or neglect of an elder",
    "dependent_adult_abuse": "possible abuse or neglect of a dependent adult",
    "substance_use": "possible substance use",
}
# What the flags propose: (fact, value, in plain words, the flags that propose it). The first
# proposal for a fact wins: a threat to someone else comes before a danger to the member.
PROPOSALS: tuple[tuple[str, Any, str, tuple[str, ...]], ...] = (
    (
        "danger",
        "threat_to_identifiable_victim",
        "a threat to an identifiable person",
        ("threat",),
    ),
    ("danger", "danger_to_self", "a danger to themselves", ("suicide", "self_harm")),
    ("abuse", "child", "abuse or neglect of a child", ("child_abuse",)),
    ("abuse", "elder", "abuse or neglect of an elder", ("elder_abuse",)),
    (
        "abuse",
        "dependent_adult",
        "abuse or neglect of a dependent adult",
        ("dependent_adult_abuse",),
    ),
)


@dataclass
class Prefill:
    """The facts the records hold (``facts``, each with its ``sources``), and the facts a
    record leaves for the practitioner to answer (``asked``: why, and what is known).

    ``proposed``: the facts the detector's risk flags propose, as (value, why); never facts,
    the practitioner answers them. ``flagged``: for each, the flags behind it in plain words.
    ``notes``: what a flag says beside a fact the records answer, proposing nothing.
    """

    facts: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    asked: dict[str, str] = field(default_factory=dict)
    proposed: dict[str, tuple[Any, str]] = field(default_factory=dict)
    flagged: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, value: Any, source: str) -> None:
        self.facts[name] = value
        self.sources[name] = source

    def ask(self, name: str, why: str) -> None:
        self.asked[name] = why

    def propose(self, name: str, value: Any, why: str, flagged: str) -> None:
        self.proposed[name] = (value, why)
        self.flagged[name] = flagged

    def answered(self, name: str, answer: Any) -> str:
        """The source of the practitioner's answer to a proposed fact: what was proposed, from
        which flags, and whether the answer kept it."""
        value, _ = self.proposed[name]
        words = next(w for f, v, w, _ in PROPOSALS if f == name and v == value)
        kept = "you confirmed it" if answer == value else "you answered otherwise"
        return (
            f"Your answer (the detector proposed “{words}” from {self.flagged[name]} in the "
            f"note's words; {kept})"
        )


def prefill(
    *,
    member: Member,
    practitioner: User,
    contact: Contact | None,
    now: datetime.datetime,
) -> Prefill:
    out = Prefill()
    practice = member.practice
    # The facts about the practitioner are those of the one who heard it: the contact's
    # facilitator, whoever asks the question.
    if contact is not None:
        practitioner = contact.facilitator
    profile = getattr(practitioner, "practitioner", None)
    if profile is not None and profile.license_jurisdiction:
        out.set(
            "jurisdiction",
            profile.license_jurisdiction,
            f"{practitioner.display_name}'s licence: {profile.license_jurisdiction}",
        )
    else:
        out.set(
            "jurisdiction", practice.jurisdiction, f"Practice settings: {practice.jurisdiction}"
        )
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
    referral = Referral.objects.filter(member=member).order_by("-offered_on", "-created_at").first()
    if referral is None:
        out.set("referral", "none", "No referral to an individual therapist recorded")
    else:
        status = {ReferralStatus.COMPLETED: "accepted"}.get(
            ReferralStatus(referral.status), referral.status
        )
        out.set(
            "referral",
            status,
            f"Referral offered on {referral.offered_on:%d %b %Y}: {referral.get_status_display()}",
        )
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
    if standing.signed_before and standing.signed_version is not None:
        out.set(
            "agreement",
            "signed_before",
            f"Signed agreement version {standing.signed_version} on "
            f"{practice.day_of(standing.signed_at):%d %b %Y}"
            if standing.signed_at
            else "",
        )
        # What that version says: its policy, and whether it promises to tell the member first.
        version = StatementVersion.objects.get(group=contact.group, number=standing.signed_version)
        out.set(
            "policy",
            version.policy,
            f"Agreement version {version.number}: {version.get_policy_display()} policy",
        )
        first = version.policy == Policy.DISCRETION or "raise-it-first" in version.clause_ids
        out.set(
            "told_first_promised",
            first,
            f"Agreement version {version.number} "
            + (
                "promises to tell the member first, or to let them raise it"
                if first
                else "makes no promise to tell the member first"
            ),
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
    _propose(out, contact)
    return out


def risk_kinds(contact: Contact) -> list[str]:
    """The kinds of the risk flags on the contact's note, as the detector stored them on save;
    an entry saved before flags were kept is read again (its record has no ``flags``)."""
    record = contact.detection_record
    flags = record.get("flags")
    if not isinstance(flags, list):
        flags = detect(contact.summary).as_record()["flags"]
    kinds = (f.get("kind") for f in flags if isinstance(f, dict))
    return [k for k in dict.fromkeys(kinds) if k in RISK_WORDS]


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _propose(out: Prefill, contact: Contact) -> None:
    """The facts the contact's risk flags propose, and the note a substance-use flag adds."""
    kinds = risk_kinds(contact)
    confirm = (
        " This is the detector's suggestion from the note's words, not an assessment: confirm "
        "it against what the member said, or change it."
    )
    for name, value, words, flagged_by in PROPOSALS:
        found = [RISK_WORDS[k] for k in flagged_by if k in kinds]
        if not found or name in out.proposed:
            continue
        flagged = _and(found)
        why = f"The detector flagged {flagged} in this contact's note: consider “{words}”."
        if value == "threat_to_identifiable_victim":
            also = [RISK_WORDS[k] for k in ("suicide", "self_harm") if k in kinds]
            if also:
                why += (
                    f" It also flagged {_and(also)}; the question takes one answer, and a "
                    "threat to another person comes first."
                )
        out.propose(name, value, why + confirm, flagged)
    if "substance_use" in kinds:
        group = contact.group
        out.notes["part2_program"] = (
            "The detector flagged possible substance use in this contact's note. "
            + (
                f"{group.name} is a 42 CFR Part 2 program: records of it need the member's "
                "written consent before you share them."
                if group.part2_program
                else "In a 42 CFR Part 2 program, records of it need the member's written "
                f"consent; {group.name} is not recorded as one."
            )
            + " A suggestion from the note's words: confirm it against what the member said."
        )


def authorization_in_force(
    member: Member, recipient: str, day: datetime.date
) -> Authorization | None:
    """A written authorization in force on ``day`` that covers ``recipient``."""
    for authorization in Authorization.objects.filter(member=member, recipient=recipient):
        if authorization.in_force(day):
            return authorization
    return None
