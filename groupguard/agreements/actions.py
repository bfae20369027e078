"""Writes of the group agreement. Each is atomic and writes its audit entry."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from groupguard.accounts.models import User
from groupguard.agreements import clauses, render, selectors
from groupguard.agreements.models import (
    ConsentWithdrawal,
    IdentityCheck,
    LimitsRevisit,
    PracticeClause,
    Signature,
    SignatureMethod,
    SigningLink,
    StatementDraft,
    StatementVersion,
)
from groupguard.audit.log import Actor, record
from groupguard.practice.models import Enrollment, Group, Member, Practice

LINK_DAYS = 7
# Wrong identity answers a signing link takes in its whole life before it stops for good. Not a
# lock that lifts: a date of birth has few possible values (a guesser who knows the age to
# within three years has about 1,100), so any lock that lifts lets a patient guesser through.
# Five leaves a member room for slips and a guesser a chance of about 1 in 200 (a date of
# birth) or 1 in 200,000 (a code). Answers that cannot be right (not a date, not six digits)
# do not count.
MAX_IDENTITY_FAILURES = 5
MAX_SCAN_BYTES = 5 * 1024 * 1024
SCAN_TYPES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _statement_input(
    group: Group, draft: StatementDraft, effective_on: datetime.date | None
) -> Any:
    return render.StatementInput(
        practice_name=group.practice.name,
        group_name=group.name,
        context=selectors.group_context(group),
        policy=draft.policy,
        role_statement=draft.role_statement.strip(),
        clause_ids=tuple(draft.clause_ids),
        extra=tuple(selectors.extra_clauses(group.practice)),
        effective_date=effective_on.isoformat() if effective_on else "",
    )


def draft_for(group: Group) -> StatementDraft:
    """The group's draft, created with the clauses that apply and a prefilled role statement."""
    draft = StatementDraft.objects.filter(group=group).first()
    if draft is not None:
        return draft
    from groupguard.practice.models import RoleRelationship
    from groupguard.practice.models.roles import DUAL_ROLES

    context = selectors.group_context(group)
    facilitators = list(group.facilitator_links.select_related("user"))
    names = [f.user.display_name for f in facilitators]
    today = timezone.localdate()
    members = Enrollment.objects.filter(group=group).current().values("member_id")
    dual = [
        (r.practitioner.display_name, "", r.get_kind_display())
        for r in RoleRelationship.objects.on(today)
        .filter(
            practitioner__in=[f.user for f in facilitators],
            member_id__in=members,
            kind__in=DUAL_ROLES,
        )
        .select_related("practitioner")
    ]
    return StatementDraft(
        group=group,
        policy="no_secrets",
        clause_ids=[c.id for c in clauses.applicable(context)],
        role_statement=render.default_role_statement(names, dual),
    )


@transaction.atomic
def save_draft(
    group: Group, *, policy: str, clause_ids: list[str], role_statement: str, acting_user: User
) -> StatementDraft:
    if policy not in clauses.POLICIES:
        raise ValidationError({"policy": f"Choose one of {', '.join(clauses.POLICIES)}."})
    if not role_statement.strip():
        raise ValidationError(
            {"role_statement": "Say what your role is with the group and its members."}
        )
    context = selectors.group_context(group)
    problems = clauses.validate_selection(
        context, clause_ids, selectors.extra_clauses(group.practice)
    )
    if problems:
        raise ValidationError({"clause_ids": problems})
    draft = draft_for(group)
    draft.policy = policy
    draft.clause_ids = list(clause_ids)
    draft.role_statement = role_statement.strip()
    draft.updated_by = acting_user
    draft.save()
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user),
        action="statement.draft_save",
        obj=draft,
        fields=["policy", "clause_ids", "role_statement"],
        detail={"group": str(group.id)},
    )
    return draft


def preview(group: Group) -> str:
    draft = draft_for(group)
    try:
        return str(render.render_statement(_statement_input(group, draft, None)))
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


@transaction.atomic
def publish(
    group: Group, *, acting_user: User, effective_on: datetime.date | None = None
) -> StatementVersion:
    """Freeze the draft as the next version. Members who signed an older one need to re-consent."""
    Group.objects.select_for_update().filter(pk=group.pk).first()  # one publisher at a time
    draft = draft_for(group)
    effective_on = effective_on or timezone.localdate()
    try:
        text = render.render_statement(_statement_input(group, draft, effective_on))
    except ValueError as exc:
        raise ValidationError({"clause_ids": [str(exc)]}) from None
    previous = selectors.current_version(group)
    if previous is not None and previous.text == text:
        raise ValidationError("Nothing changed since version %(n)s.", params={"n": previous.number})
    version = StatementVersion.objects.create(
        group=group,
        number=(previous.number + 1) if previous else 1,
        policy=draft.policy,
        clause_ids=list(draft.clause_ids),
        role_statement=draft.role_statement,
        text=text,
        sha256=render.statement_sha256(text),
        effective_on=effective_on,
        published_by=acting_user,
    )
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user),
        action="statement.publish",
        obj=version,
        detail={"group": str(group.id), "number": version.number, "sha256": version.sha256},
    )
    return version


@transaction.atomic
def add_custom_clause(
    practice: Practice, *, title: str, text: str, rationale: str = "", acting_user: User
) -> PracticeClause:
    from django.utils.text import slugify

    slug = "custom-" + (slugify(title)[:50] or "clause")
    try:
        clauses.custom_clause(slug, title.strip(), text.strip(), rationale.strip())
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    if PracticeClause.objects.filter(practice=practice, clause_id=slug).exists():
        raise ValidationError({"title": "Your practice already has a clause with this title."})
    clause = PracticeClause.objects.create(
        practice=practice,
        clause_id=slug,
        title=title.strip(),
        text=text.strip(),
        rationale=rationale.strip(),
    )
    record(
        practice_id=practice.id,
        actor=Actor.user(acting_user),
        action="clause.create",
        obj=clause,
        fields=["title", "text", "rationale"],
    )
    return clause


# Signing links -------------------------------------------------------------------------------


def _current_member(group: Group, member: Member) -> None:
    if not Enrollment.objects.filter(group=group, member=member).current().exists():
        raise ValidationError({"member": "The member is not currently enrolled in this group."})


@transaction.atomic
def issue_signing_link(
    group: Group,
    member: Member,
    *,
    identity_check: str = IdentityCheck.DATE_OF_BIRTH,
    valid_days: int = LINK_DAYS,
    acting_user: User,
) -> tuple[SigningLink, str, str]:
    """A single-use link for the member to sign the group's current version.

    Returns the link, the token (shown once, never stored) and, for a code check, the code the
    facilitator gives the member in person (also shown once).
    """
    version = selectors.current_version(group)
    if version is None:
        raise ValidationError("Publish the group agreement before sending it for signature.")
    _current_member(group, member)
    if identity_check not in IdentityCheck.values:
        raise ValidationError(
            {"identity_check": f"Choose one of {', '.join(IdentityCheck.values)}."}
        )
    if identity_check == IdentityCheck.DATE_OF_BIRTH and member.date_of_birth is None:
        raise ValidationError(
            {"identity_check": "No date of birth is on record: use a code given in person instead."}
        )
    if not 1 <= valid_days <= 30:
        raise ValidationError({"valid_days": "A link is valid for 1 to 30 days."})
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**6):06d}" if identity_check == IdentityCheck.CODE else ""
    now = timezone.now()
    # The new link replaces the member's earlier ones for this group (working or stopped): one
    # link in circulation, the one the facilitator just handed over.
    replaced = list(
        SigningLink.objects.select_for_update(of=("self",))
        .outstanding()
        .filter(member=member, version__group=group)
        .order_by("created_at")
    )
    link = SigningLink.objects.create(
        member=member,
        version=version,
        token_hash=_hash(token),
        identity_check=identity_check,
        code_hash=_hash(code) if code else "",
        created_by=acting_user,
        expires_at=now + datetime.timedelta(days=valid_days),
    )
    for old in replaced:
        old.revoked_at = now
        old.save(update_fields=["revoked_at", "updated_at"])
        record(
            practice_id=group.practice_id,
            actor=Actor.user(acting_user),
            action="signing_link.revoke",
            obj=old,
            member_id=member.id,
            detail={"replaced_by": str(link.pk), "was_stopped": old.stopped_at is not None},
        )
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user),
        action="signing_link.create",
        obj=link,
        member_id=member.id,
        detail={"version": version.number, "identity_check": identity_check, "days": valid_days},
    )
    return link, token, code


@transaction.atomic
def revoke_signing_link(link: SigningLink, *, acting_user: User) -> SigningLink:
    if link.revoked_at is None and link.used_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at", "updated_at"])
        record(
            practice_id=link.member.practice_id,
            actor=Actor.user(acting_user),
            action="signing_link.revoke",
            obj=link,
            member_id=link.member_id,
        )
    return link


class LinkProblem(Exception):
    """A signing link cannot be used; the message is safe to show to the person holding it."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def link_for_token(token: str) -> SigningLink:
    """The usable link for a token, or LinkProblem saying plainly why not."""
    if not token or len(token) > 100:
        raise LinkProblem("This signing link is not valid.", 404)
    link = (
        SigningLink.objects.filter(token_hash=_hash(token))
        .select_related(
            "member", "member__practice", "version", "version__group", "version__group__practice"
        )
        .first()
    )
    if link is None:
        raise LinkProblem(
            "This signing link is not valid. Ask your facilitator for a new one.", 404
        )
    ensure_usable(link)
    return link


STOPPED = (
    "This link has stopped working: the answers given did not match our records too many "
    "times, so we stopped it to keep your information safe. Please ask your facilitator for "
    "a new link."
)


def ensure_usable(link: SigningLink) -> None:
    """Raise LinkProblem unless the link can still sign: checked when it is opened, and again
    on the locked row at each identity answer and at signing time (it may have been used,
    withdrawn or stopped in between).

    The messages are read before the identity check, by whoever holds the link: they say
    nothing about the group, the practice or the member."""
    if link.used_at is not None:
        raise LinkProblem("This link has already been used to sign. Each link works once.", 410)
    if link.revoked_at is not None:
        raise LinkProblem(
            "This link was replaced or withdrawn by your facilitator. Use the newest link they "
            "sent you, or ask them for a new one.",
            410,
        )
    if link.stopped_at is not None:
        raise LinkProblem(STOPPED, 410)
    if link.expires_at <= timezone.now():
        raise LinkProblem("This link has expired. Ask your facilitator for a new one.", 410)
    current = selectors.current_version(link.version.group)
    if current is None or current.id != link.version_id:
        raise LinkProblem(
            "The group agreement has changed since this link was sent. Ask your facilitator for a "
            "link to the new version.",
            410,
        )


def _signing_actor(link: SigningLink) -> Actor:
    return Actor("signing_token", str(link.pk))


@dataclass(frozen=True)
class IdentityAnswer:
    """What ``check_identity`` made of an answer.

    ``ok``: it matched. ``counted``: it was a wrong answer that counts towards the stop (an
    empty or malformed one does not: it cannot be right, so it tells a guesser nothing).
    ``tries_left``: wrong answers the link still takes; 0 means it has stopped.
    """

    ok: bool
    counted: bool
    tries_left: int


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CODE = re.compile(r"[0-9]{6}")


def _normal_answer(link: SigningLink, answer: str) -> str | None:
    """The answer in the form it is compared in, or None when it cannot be right: a date of
    birth as YYYY-MM-DD (what a phone's date picker sends), a code as its six digits (spaces
    and dashes, as in "123 456", are dropped)."""
    answer = answer.strip()
    if link.identity_check == IdentityCheck.CODE:
        answer = answer.replace(" ", "").replace("-", "")
        return answer if _CODE.fullmatch(answer) else None
    if not _DATE.fullmatch(answer):
        return None
    try:
        return datetime.date.fromisoformat(answer).isoformat()
    except ValueError:  # 1990-02-30
        return None


@transaction.atomic
def check_identity(link: SigningLink, answer: str) -> IdentityAnswer:
    """Compare the answer with the date of birth or code.

    Every wrong answer counts, for the link's whole life: at ``MAX_IDENTITY_FAILURES`` the link
    stops for good (audited, severity high) and takes no more answers, not even the right one.
    A right answer does not clear earlier wrong ones. Raises LinkProblem for a link that can no
    longer be used (stopped, used, withdrawn, expired)."""
    link = (
        SigningLink.objects.select_for_update(of=("self",))
        .select_related("member", "version__group")
        .get(pk=link.pk)
    )
    ensure_usable(link)  # on the locked row: another answer may have stopped it meanwhile
    tries_left = max(0, MAX_IDENTITY_FAILURES - link.failed_attempts)
    normal = _normal_answer(link, answer)
    if normal is None:
        return IdentityAnswer(ok=False, counted=False, tries_left=tries_left)
    if link.identity_check == IdentityCheck.CODE:
        ok = bool(link.code_hash) and hmac.compare_digest(_hash(normal), link.code_hash)
    else:
        dob = link.member.date_of_birth
        ok = dob is not None and hmac.compare_digest(normal, dob.isoformat())
    if ok:
        return IdentityAnswer(ok=True, counted=False, tries_left=tries_left)
    link.failed_attempts += 1
    fields = ["failed_attempts", "updated_at"]
    stopping = link.failed_attempts >= MAX_IDENTITY_FAILURES
    if stopping:
        link.stopped_at = timezone.now()
        fields.append("stopped_at")
    link.save(update_fields=fields)
    record(
        practice_id=link.member.practice_id,
        actor=_signing_actor(link),
        action="signing_link.identity_failed",
        obj=link,
        member_id=link.member_id,
        detail={"failures": link.failed_attempts},
    )
    if stopping:
        record(
            practice_id=link.member.practice_id,
            actor=_signing_actor(link),
            action="signing_link.stop",
            obj=link,
            member_id=link.member_id,
            severity="high",
            detail={"reason": "identity_failed", "failures": link.failed_attempts},
        )
    return IdentityAnswer(
        ok=False, counted=True, tries_left=max(0, MAX_IDENTITY_FAILURES - link.failed_attempts)
    )


def _check_names(member: Member, typed_name: str, guardian_name: str, minor_assent: bool) -> None:
    errors: dict[str, str] = {}
    if not typed_name.strip():
        errors["typed_name"] = "Type your full name to sign."
    elif len(typed_name) > 200:
        errors["typed_name"] = "That name is too long."
    if member.is_minor:
        if not guardian_name.strip():
            errors["guardian_name"] = (
                "A parent or guardian signs for a minor: type their full name."
            )
        if not minor_assent:
            errors["minor_assent"] = "The young person's own agreement (assent) is needed too."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def sign_with_link(
    link: SigningLink,
    *,
    typed_name: str,
    answers: dict[str, Any],
    guardian_name: str = "",
    minor_assent: bool = False,
    ip: str = "",
    user_agent: str = "",
) -> Signature:
    link = (
        SigningLink.objects.select_for_update().select_related("member", "version").get(pk=link.pk)
    )
    ensure_usable(link)
    member = link.member
    _check_names(member, typed_name, guardian_name, minor_assent)
    version = link.version
    if not version.text_matches_hash():
        raise ValidationError("The statement's text does not match its hash; it cannot be signed.")
    now = timezone.now()
    signature = Signature.objects.create(
        member=member,
        version=version,
        version_sha256=version.sha256,
        signed_at=now,
        method=SignatureMethod.LINK,
        typed_name=typed_name.strip(),
        guardian_name=guardian_name.strip(),
        minor_assent=minor_assent if member.is_minor else False,
        ip=ip[:45],
        user_agent=user_agent[:300],
        answers=answers,
        link=link,
    )
    link.used_at = now
    link.save(update_fields=["used_at", "updated_at"])
    record(
        practice_id=member.practice_id,
        actor=_signing_actor(link),
        action="signature.create",
        obj=signature,
        member_id=member.id,
        fields=["typed_name", "guardian_name"] if member.is_minor else ["typed_name"],
        detail={"version": version.number, "sha256": version.sha256, "method": "link"},
    )
    return signature


def detect_scan_type(data: bytes) -> str | None:
    for magic, content_type in SCAN_TYPES.items():
        if data.startswith(magic):
            return content_type
    return None


def check_scan(scan: bytes, declared_type: str = "") -> str:
    """The content type of an uploaded scan, read from its first bytes; a ValidationError on
    ``scan`` for an empty file, one over 5 MB, anything but a PDF, PNG or JPEG, or a file whose
    content is not the type it was sent as (an HTML page renamed ``.pdf``)."""
    if len(scan) == 0:
        raise ValidationError({"scan": "The uploaded file is empty."})
    if len(scan) > MAX_SCAN_BYTES:
        raise ValidationError(
            {"scan": f"The scan is larger than {MAX_SCAN_BYTES // (1024 * 1024)} MB."}
        )
    detected = detect_scan_type(scan)
    if detected is None:
        raise ValidationError({"scan": "Upload a PDF, PNG or JPEG file."})
    if declared_type and declared_type != detected:
        raise ValidationError(
            {"scan": "The file's content does not match its type (PDF, PNG or JPEG)."}
        )
    return detected


@transaction.atomic
def record_signature(
    group: Group,
    member: Member,
    *,
    typed_name: str,
    method: str,
    acting_user: User,
    scan: bytes | None = None,
    declared_type: str = "",
    guardian_name: str = "",
    minor_assent: bool = False,
    signed_at: datetime.datetime | None = None,
) -> Signature:
    """A signature given in person or on paper, recorded by the facilitator."""
    version = selectors.current_version(group)
    if version is None:
        raise ValidationError("Publish the group agreement before recording signatures.")
    _current_member(group, member)
    if method not in (SignatureMethod.IN_PERSON, SignatureMethod.PAPER):
        raise ValidationError({"method": "Choose in person or paper."})
    _check_names(member, typed_name, guardian_name, minor_assent)
    content_type = ""
    if scan is not None:
        content_type = check_scan(scan, declared_type)
    elif method == SignatureMethod.PAPER:
        raise ValidationError({"scan": "Upload the scan of the signed paper copy."})
    now = timezone.now()
    when = signed_at or now
    if when > now + datetime.timedelta(minutes=5):
        raise ValidationError({"signed_at": "A signature cannot be in the future."})
    signature = Signature.objects.create(
        member=member,
        version=version,
        version_sha256=version.sha256,
        signed_at=when,
        method=method,
        typed_name=typed_name.strip(),
        guardian_name=guardian_name.strip(),
        minor_assent=minor_assent if member.is_minor else False,
        recorded_by=acting_user,
        scan=scan,
        scan_content_type=content_type,
        scan_sha256=hashlib.sha256(scan).hexdigest() if scan else "",
    )
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user),
        action="signature.create",
        obj=signature,
        member_id=member.id,
        fields=["typed_name", *(["scan"] if scan else [])],
        detail={"version": version.number, "sha256": version.sha256, "method": method},
    )
    return signature


@transaction.atomic
def withdraw_consent(
    group: Group, member: Member, *, reason: str = "", acting_user: User
) -> ConsentWithdrawal:
    if selectors.consent_status(group, member) not in (selectors.SIGNED, selectors.RECONSENT):
        raise ValidationError("There is no signed consent to withdraw.")
    withdrawal = ConsentWithdrawal.objects.create(
        member=member,
        group=group,
        withdrawn_at=timezone.now(),
        reason=reason.strip(),
        recorded_by=acting_user,
    )
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user),
        action="consent.withdraw",
        obj=withdrawal,
        member_id=member.id,
        fields=["reason"] if reason.strip() else [],
        detail={"group": str(group.id)},
    )
    return withdrawal


@transaction.atomic
def record_revisit(
    group: Group, *, revisited_on: datetime.date, note: str = "", acting_user: User
) -> LimitsRevisit:
    if revisited_on > timezone.localdate():
        raise ValidationError({"revisited_on": "The date cannot be in the future."})
    revisit = LimitsRevisit.objects.create(
        group=group,
        revisited_on=revisited_on,
        covers_joins_until=revisited_on,
        note=note.strip(),
        recorded_by=acting_user,
    )
    record(
        practice_id=group.practice_id,
        actor=Actor.user(acting_user),
        action="agreement.revisit",
        obj=revisit,
        fields=["note"] if note.strip() else [],
        detail={"group": str(group.id)},
    )
    return revisit
