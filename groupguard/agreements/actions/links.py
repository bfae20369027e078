"""Signing links: issued to a member, revoked, found by token, and the identity check before
signing.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from groupguard.accounts.models import User
from groupguard.agreements import selectors
from groupguard.agreements.actions.common import signing_actor
from groupguard.agreements.models import (
    IdentityCheck,
    SigningLink,
)
from groupguard.audit.log import Actor, record
from groupguard.practice.models import Enrollment, Group, Member

LINK_DAYS = 7


# Wrong identity answers a signing link takes in its whole life before it stops for good. Not a
# lock that lifts: a date of birth has few possible values (a guesser who knows the age to
# within three years has about 1,100), so any lock that lifts lets a patient guesser through.
# Five leaves a member room for slips and a guesser a chance of about 1 in 200 (a date of
# birth) or 1 in 200,000 (a code). Answers that cannot be right (not a date, not six digits)
# do not count.
MAX_IDENTITY_FAILURES = 5


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def require_current_member(group: Group, member: Member) -> None:
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
    require_current_member(group, member)
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
_US_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


_CODE = re.compile(r"[0-9]{6}")


def _normal_answer(link: SigningLink, answer: str) -> str | None:
    """The answer in the form it is compared in, or None when it cannot be right: a date of
    birth as YYYY-MM-DD (what a phone's date picker sends; month/day/year as typed is read
    too), a code as its six digits (spaces and dashes, as in "123 456", are dropped)."""
    answer = answer.strip()
    if link.identity_check == IdentityCheck.CODE:
        answer = answer.replace(" ", "").replace("-", "")
        return answer if _CODE.fullmatch(answer) else None
    return normal_date_answer(answer) or None


def normal_date_answer(answer: str) -> str:
    """A date-of-birth answer as the date field shows it (YYYY-MM-DD), or "" if it cannot be
    a date; month/day/year, as typed where no date picker is offered, is read too."""
    text = answer.strip()
    us = _US_DATE.fullmatch(text)
    if us is not None:
        text = f"{us[3]}-{int(us[1]):02d}-{int(us[2]):02d}"
    if not _DATE.fullmatch(text):
        return ""
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:  # 1990-02-30
        return ""


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
        actor=signing_actor(link),
        action="signing_link.identity_failed",
        obj=link,
        member_id=link.member_id,
        detail={"failures": link.failed_attempts},
    )
    if stopping:
        record(
            practice_id=link.member.practice_id,
            actor=signing_actor(link),
            action="signing_link.stop",
            obj=link,
            member_id=link.member_id,
            severity="high",
            detail={"reason": "identity_failed", "failures": link.failed_attempts},
        )
    return IdentityAnswer(
        ok=False, counted=True, tries_left=max(0, MAX_IDENTITY_FAILURES - link.failed_attempts)
    )
