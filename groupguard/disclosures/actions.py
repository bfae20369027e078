"""Writes of assessments, choices, disclosures and authorizations. Atomic and audited.

The audit entries carry the level, the rules version and the determining rule ids (no PHI):
with the stored facts they say what the practitioner was told, and when.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from groupguard.accounts.models import User
from groupguard.agreements.actions import check_scan
from groupguard.audit.log import Actor, record
from groupguard.contacts.models import Contact
from groupguard.core.text import clean_text
from groupguard.disclosures import engine
from groupguard.disclosures.models import (
    Assessment,
    Authorization,
    Choice,
    ChoiceKind,
    Disclosure,
    Recipient,
)
from groupguard.disclosures.records import CONTACT_FACTS, authorization_in_force, prefill
from groupguard.practice.models import Member

# Facts the practitioner answers; the records answer the others (see records.py).
ASKED = (
    "recipient",
    "third_party",
    "purpose",
    "relevant_to_treatment",
    "member_objects",
    "member_told_in_advance",
    "sensitive",
    "content",
    "danger",
    "abuse",
    "reportable_abuse",
    "member_location",
    "court_order",
    "documented_rationale",
)


def facts_for(
    *,
    member: Member,
    acting_user: User,
    answers: Mapping[str, Any],
    contact: Contact | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The full fact set: the records' facts, then the practitioner's answers for the rest.

    An answer to a fact the records hold is refused (the records are the evidence); without a
    contact, the contact's facts are answers too. A fact the contact leaves unanswered (a
    request nobody answered yet) must be answered: its source says so, beside the answer. So
    must a fact the detector's risk flags propose (``danger``, ``reportable_abuse``): the
    proposal is never taken as the answer, and the engine's default (no danger, no abuse)
    would read silence as a "no" the practitioner never gave. Its source names the proposal.
    """
    filled = prefill(member=member, practitioner=acting_user, contact=contact, now=timezone.now())
    allowed = set(ASKED) | (set(CONTACT_FACTS) if contact is None else set()) | set(filled.asked)
    unknown = sorted(set(answers) - allowed - set(filled.facts))
    if unknown:
        raise ValidationError({unknown[0]: f"Unknown fact {unknown[0]!r}."})
    overridden = sorted(k for k in answers if k in filled.facts and answers[k] != filled.facts[k])
    if overridden:
        name = overridden[0]
        raise ValidationError(
            {
                name: f"{name} comes from the records ({filled.sources[name]}); correct the "
                "record (an amendment to the contact, the member's roles) rather than the answer."
            }
        )
    unanswered = sorted(k for k in (*filled.asked, *filled.proposed) if answers.get(k) is None)
    if unanswered:
        name = unanswered[0]
        if name in filled.asked:
            message = f"Answer {name}: the records do not say ({filled.asked[name]})."
        else:
            value, why = filled.proposed[name]
            message = f"Answer {name} (the detector proposes {value!r}): {why}"
        raise ValidationError({name: message})
    for name, why in filled.asked.items():
        filled.sources[name] = f"Your answer; {why}"
    for name in filled.proposed:
        filled.sources[name] = filled.answered(name, answers[name])
    for name, note in filled.notes.items():
        if name in filled.sources:
            filled.sources[name] = f"{filled.sources[name]}. {note}"
    facts = {**{k: v for k, v in answers.items() if v is not None}, **filled.facts}
    if isinstance(facts.get("member_location"), str):  # a code, as the engine reads it
        facts["member_location"] = facts["member_location"].strip().upper()
    if facts.get("recipient") == "third_party":
        third_party = facts.get("third_party") or "other"
        found = authorization_in_force(member, third_party, member.practice.today())
        facts["authorization"] = found is not None
        filled.sources["authorization"] = (
            f"Written authorization of {found.signed_on:%d %b %Y} "
            f"for {found.get_recipient_display()}"
            if found
            else "No written authorization in force for this recipient"
        )
    else:
        facts.pop("third_party", None)
    return facts, filled.sources


@transaction.atomic
def assess(
    *,
    member: Member,
    acting_user: User,
    answers: Mapping[str, Any],
    contact: Contact | None = None,
    question: str = "",
) -> Assessment:
    """Evaluate "may I share this?" and keep the facts, the decision and the rules version."""
    if member.practice_id != acting_user.practice_id:
        raise ValidationError("You can assess only your own practice's members.")
    if contact is not None and not contact.member_links.filter(member=member).exists():
        raise ValidationError({"member": f"{member.display_name} was not part of that contact."})
    question = clean_text(question, "question", required=False, label="question")
    facts, sources = facts_for(
        member=member, acting_user=acting_user, answers=answers, contact=contact
    )
    try:
        decision = engine.evaluate(facts)
    except engine.FactsError as error:
        raise ValidationError({error.field or "facts": str(error)}) from None
    assessment = Assessment.objects.create(
        practice_id=member.practice_id,
        member=member,
        contact=contact,
        asked_by=acting_user,
        question=question,
        facts=facts,
        prefilled=sources,
        decision=decision.as_json(),
        level=decision.level,
        rules_version=decision.rules_version,
    )
    record(
        practice_id=member.practice_id,
        actor=Actor.user(acting_user),
        action="assessment.create",
        obj=assessment,
        member_id=member.id,
        fields=["question"] if question else [],
        detail={
            "level": decision.level,
            "rules_version": decision.rules_version,
            "determining": list(decision.determining),
            "contact": str(contact.id) if contact else None,
        },
    )
    return assessment


@transaction.atomic
def record_choice(
    assessment: Assessment, *, kind: str, note: str = "", acting_user: User
) -> Choice:
    if kind not in ChoiceKind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(ChoiceKind.values)}."})
    note = clean_text(note, "note", required=False, label="note")
    if kind == ChoiceKind.PROCEED and assessment.level == "not_permitted" and len(note) < 20:
        raise ValidationError(
            {
                "note": "The assessment says this disclosure is not permitted on these facts. To "
                "proceed anyway, write why (20 characters or more): what changed, or whose "
                "advice you followed."
            }
        )
    choice = Choice.objects.create(
        assessment=assessment, kind=kind, note=note, decided_by=acting_user
    )
    record(
        practice_id=assessment.practice_id,
        actor=Actor.user(acting_user),
        action="assessment.choice",
        obj=choice,
        member_id=assessment.member_id,
        fields=["note"] if note else [],
        severity="high" if assessment.level == "not_permitted" and kind == "proceed" else "info",
        detail={"assessment": str(assessment.id), "kind": kind, "level": assessment.level},
    )
    return choice


@transaction.atomic
def record_disclosure(
    *,
    member: Member,
    acting_user: User,
    recipient: str,
    what: str,
    disclosed_at: datetime.datetime,
    recipient_detail: str = "",
    purpose: str = "",
    assessment: Assessment | None = None,
) -> Disclosure:
    """What was shared, with whom and when; outside the group it enters the accounting."""
    if member.practice_id != acting_user.practice_id:
        raise ValidationError("You can record disclosures only for your own practice's members.")
    if recipient not in Recipient.values:
        raise ValidationError({"recipient": f"Choose one of: {', '.join(Recipient.values)}."})
    if disclosed_at is None or timezone.is_naive(disclosed_at):
        raise ValidationError({"disclosed_at": "Give the date and time of the disclosure."})
    if disclosed_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"disclosed_at": "The disclosure cannot be in the future."})
    if assessment is not None and assessment.member_id != member.id:
        raise ValidationError({"assessment": "That assessment is about another member."})
    what = clean_text(what, "what", required=True, label="what was shared")
    recipient_detail = clean_text(
        recipient_detail, "recipient_detail", required=False, label="recipient"
    )
    purpose = clean_text(purpose, "purpose", required=False, label="purpose")
    disclosure = Disclosure.objects.create(
        practice_id=member.practice_id,
        member=member,
        assessment=assessment,
        recipient=recipient,
        recipient_detail=recipient_detail,
        disclosed_at=disclosed_at,
        what=what,
        purpose=purpose,
        recorded_by=acting_user,
    )
    outside = recipient != Recipient.GROUP
    unassessed = assessment is None or assessment.level == "not_permitted"
    record(
        practice_id=member.practice_id,
        actor=Actor.user(acting_user),
        action="disclosure.record",
        obj=disclosure,
        member_id=member.id,
        fields=[f for f, v in (("what", what), ("recipient_detail", recipient_detail)) if v],
        severity="high" if outside and unassessed else "info",
        detail={
            "recipient": recipient,
            "assessment": str(assessment.id) if assessment else None,
            "level": assessment.level if assessment else None,
        },
    )
    return disclosure


@transaction.atomic
def record_authorization(
    *,
    member: Member,
    acting_user: User,
    recipient: str,
    purpose: str,
    signed_on: datetime.date,
    expires_on: datetime.date | None = None,
    recipient_detail: str = "",
    scan: bytes | None = None,
    declared_type: str = "",
) -> Authorization:
    if member.practice_id != acting_user.practice_id:
        raise ValidationError("You can record authorizations only for your own practice's members.")
    if recipient not in Recipient.values or recipient == Recipient.GROUP:
        raise ValidationError(
            {"recipient": "Choose who the member authorized (someone outside the group)."}
        )
    purpose = clean_text(purpose, "purpose", required=True, label="purpose")
    recipient_detail = clean_text(
        recipient_detail, "recipient_detail", required=False, label="recipient"
    )
    today = member.practice.today()
    if signed_on > today:
        raise ValidationError({"signed_on": "The signing date cannot be in the future."})
    if expires_on is not None and expires_on < signed_on:
        raise ValidationError(
            {"expires_on": "The authorization cannot expire before it was signed."}
        )
    content_type = ""
    digest = ""
    if scan is not None:
        content_type = check_scan(scan, declared_type)
        digest = hashlib.sha256(scan).hexdigest()
    authorization = Authorization.objects.create(
        practice_id=member.practice_id,
        member=member,
        recipient=recipient,
        recipient_detail=recipient_detail,
        purpose=purpose,
        signed_on=signed_on,
        expires_on=expires_on,
        scan=scan,
        scan_content_type=content_type,
        scan_sha256=digest,
        recorded_by=acting_user,
    )
    record(
        practice_id=member.practice_id,
        actor=Actor.user(acting_user),
        action="authorization.record",
        obj=authorization,
        member_id=member.id,
        fields=["purpose", *(["scan"] if scan else [])],
        detail={"recipient": recipient, "expires_on": str(expires_on) if expires_on else None},
    )
    return authorization


@transaction.atomic
def revoke_authorization(
    authorization: Authorization, *, note: str = "", acting_user: User
) -> Authorization:
    authorization = Authorization.objects.select_for_update().get(pk=authorization.pk)
    if authorization.revoked_at is not None:
        raise ValidationError("This authorization was already revoked.")
    authorization.revoked_at = timezone.now()
    authorization.revoked_by = acting_user
    authorization.revocation_note = clean_text(note, "note", required=False, label="note")
    authorization.save()
    record(
        practice_id=authorization.practice_id,
        actor=Actor.user(acting_user),
        action="authorization.revoke",
        obj=authorization,
        member_id=authorization.member_id,
        fields=["revocation_note"] if note.strip() else [],
    )
    return authorization
