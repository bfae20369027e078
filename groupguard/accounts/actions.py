"""Writes of the accounts domain: API tokens, two-step sign-in, passwords."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from groupguard.accounts import mfa
from groupguard.accounts.backends import PracticeBackend
from groupguard.accounts.models import ApiToken, Authenticator, User, hash_token
from groupguard.accounts.sessions import end_sessions
from groupguard.audit.log import Actor, record
from groupguard.audit.models import Severity
from groupguard.lockout.models import LoginFailure
from groupguard.lockout.selectors import account_key


@transaction.atomic
def issue_api_token(
    user: User, *, name: str, expires_in_days: int | None = 90, acting_user: User
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is shown once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, such as the script that uses it."})
    if expires_in_days is not None and not (1 <= expires_in_days <= 366):
        raise ValidationError({"expires_in_days": "Choose between 1 and 366 days."})
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        token_hash=hash_token(raw),
        prefix=raw[:10],
        expires_at=(
            timezone.now() + datetime.timedelta(days=expires_in_days) if expires_in_days else None
        ),
    )
    record(
        practice_id=user.practice_id,
        actor=Actor.user(acting_user),
        action="api_token.create",
        obj=token,
    )
    return token, raw


@transaction.atomic
def revoke_api_token(token: ApiToken, *, acting_user: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(
            practice_id=token.user.practice_id,
            actor=Actor.user(acting_user),
            action="api_token.revoke",
            obj=token,
        )
    return token


def authenticate_token(raw: str) -> User | None:
    if not raw.startswith("gg_") or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.usable()
        .filter(token_hash=hash_token(raw))
        .select_related("user__practice")
        .first()
    )
    # The same rule as a password sign-in: active, and no demo account outside demo mode.
    if token is None or not PracticeBackend().user_can_authenticate(token.user):
        return None
    now = timezone.now()
    # Touch at most once a minute so a busy script does not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- Two-step sign-in and passwords ------------------------------------------------------
# Every change to how a user signs in ends the user's other sessions: a session opened with
# the old password or the old authenticator must not outlive it (and accounts.mfa relies on
# it, see there).


def check_code(user: User, code: str) -> mfa.Verification:
    """The second step of sign-in: check a code (or a recovery code) and record the attempt."""
    with transaction.atomic():
        result = mfa.verify(user, code)
        detail: dict[str, object] = {"method": result.method}
        if result.ok and result.method == "recovery_code":
            detail["recovery_codes_left"] = mfa.recovery_codes_left(user)
        if result.wait_seconds:
            detail["throttled"] = True
        record(
            practice_id=user.practice_id,
            actor=Actor.user(user),
            action="auth.mfa" if result.ok else "auth.mfa_failed",
            obj=user,
            # A spent recovery code usually means a lost phone: worth a look.
            severity=(Severity.INFO if result.ok and result.method == "totp" else Severity.HIGH),
            detail=detail,
        )
    return result


def confirm_authenticator(
    device: Authenticator, code: str, *, acting_user: User, keep_session: str | None
) -> list[str]:
    """Confirm a new authenticator app with its first code and make it the user's only one.

    Returns ten new recovery codes, to be shown once (only their keyed hashes are kept), and
    ends the user's other sessions.
    """
    # Checked before the transaction below so that a wrong code's throttling is kept.
    checked = mfa.confirm_pending(device, code)
    if checked.wait_seconds:
        raise ValidationError(
            {
                "code": f"After a wrong code, wait {checked.wait_seconds} s before the next "
                "one, then type the code your app shows then."
            }
        )
    if not checked.ok:
        raise ValidationError(
            {"code": "That code does not match. Type the code your app shows now."}
        )
    user = device.user
    with transaction.atomic():
        replaced = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk)
        had_one = replaced.filter(confirmed=True).exists()
        replaced.delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _replace_recovery_codes(user)
        ended = end_sessions(user.pk, keep=keep_session)
        record(
            practice_id=user.practice_id,
            actor=Actor.user(acting_user),
            action="mfa.replace" if had_one else "mfa.enrol",
            obj=user,
            detail={"sessions_ended": ended},
        )
    return codes


@transaction.atomic
def renew_recovery_codes(user: User, *, acting_user: User, keep_session: str | None) -> list[str]:
    """Replace the user's recovery codes with ten new ones (returned, shown once)."""
    if not mfa.has_authenticator(user):
        raise ValidationError("Set up an authenticator app first.")
    codes = _replace_recovery_codes(user)
    ended = end_sessions(user.pk, keep=keep_session)
    record(
        practice_id=user.practice_id,
        actor=Actor.user(acting_user),
        action="mfa.recovery_codes",
        obj=user,
        detail={"sessions_ended": ended},
    )
    return codes


@transaction.atomic
def reset_mfa(user: User, *, acting_user: User) -> None:
    """Remove a user's authenticator and recovery codes (a lost phone) and sign them out
    everywhere: their next sign-in sets up a new authenticator."""
    if user.pk == acting_user.pk:
        raise ValidationError(
            "Replace your own authenticator from your account page, with a code from it."
        )
    _remove_second_step(user)
    ended = end_sessions(user.pk)
    record(
        practice_id=user.practice_id,
        actor=Actor.user(acting_user),
        action="mfa.reset",
        obj=user,
        severity=Severity.HIGH,
        detail={"sessions_ended": ended},
    )


@transaction.atomic
def change_password(
    user: User, new_password: str, *, acting_user: User, keep_session: str | None
) -> None:
    """Set a new password (validated against AUTH_PASSWORD_VALIDATORS) and end the user's
    other sessions. After a reset, this is the user choosing their own password: the
    temporary one is refused."""
    if user.must_change_password and check_password(new_password, user.password):
        raise ValidationError(
            "Choose a password of your own, not the temporary one you were given.",
            code="password_unchanged",
        )
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    ended = end_sessions(user.pk, keep=keep_session)
    record(
        practice_id=user.practice_id,
        actor=Actor.user(acting_user),
        action="auth.password_change",
        obj=user,
        fields=["password"],
        detail={"sessions_ended": ended},
    )


READABLE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
TEMPORARY_GROUPS = 5  # of 4 characters: about 99 random bits


def temporary_password() -> str:
    """A password to read out or type from a note: "k7pe-wm3q-…", lower case, no look-alikes."""
    groups = (
        "".join(secrets.choice(READABLE_ALPHABET) for _ in range(4))
        for _ in range(TEMPORARY_GROUPS)
    )
    return "-".join(groups)


@dataclass(frozen=True)
class PasswordReset:
    """What a reset did. ``password`` is the temporary password: show it only when
    ``generated`` (one the caller chose, they know)."""

    password: str
    generated: bool
    sessions_ended: int
    lockout_failures_cleared: int


@transaction.atomic
def reset_password(
    user: User,
    *,
    acting_user: User | None,
    password: str | None = None,
    reset_second_step: bool = False,
    via: str | None = None,
) -> PasswordReset:
    """Give a locked-out user a temporary password.

    ``password`` is the one a practice admin (or, with ``acting_user=None``, an operator at the
    command line) chose; without it one is generated, for the caller to show once. The user
    must choose a new password at their next sign-in (``User.must_change_password``). The
    reset also ends every session of the user, forgets the failed sign-ins counted against
    their name (the lockout) and the pause their authenticator imposes after wrong codes, and,
    with ``reset_second_step``, removes their authenticator and recovery codes too (a lost
    phone as well): their next sign-in then sets up a new one. Audited ``high``; the password
    itself is never recorded.
    """
    if acting_user is not None:
        if not acting_user.is_practice_admin or acting_user.practice_id != user.practice_id:
            raise PermissionDenied("Only a practice admin of the same practice can do this.")
        if acting_user.pk == user.pk:
            raise ValidationError(
                "Change your own password from your account page, with your current one."
            )
    generated = password is None
    if password is None:
        password = temporary_password()
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from None
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    if reset_second_step:
        _remove_second_step(user)
    else:
        for devices in (TOTPDevice.objects, StaticDevice.objects):
            devices.filter(user=user).update(
                throttling_failure_count=0, throttling_failure_timestamp=None
            )
    # The lockout counts failures by the stored stand-in of the name (lockout.selectors); the
    # lockout app only forgets them one address at a time, after a successful sign-in.
    cleared, _ = LoginFailure.objects.filter(account=account_key(user.get_username())).delete()
    ended = end_sessions(user.pk)
    detail: dict[str, object] = {
        "sessions_ended": ended,
        "generated": generated,
        "second_step_reset": reset_second_step,
        "lockout_failures_cleared": cleared,
    }
    if via:
        detail["via"] = via
    record(
        practice_id=user.practice_id,
        actor=Actor.user(acting_user) if acting_user is not None else Actor("system"),
        action="auth.password_reset",
        obj=user,
        fields=["password"],
        severity=Severity.HIGH,
        detail=detail,
    )
    return PasswordReset(password, generated, ended, cleared)


def _remove_second_step(user: User) -> None:
    """Delete the user's authenticator, recovery codes and passkeys: their next sign-in sets up
    new ones (a passkey on a lost phone must not come back with the new authenticator)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    user.passkeys.all().delete()


def _replace_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = mfa.new_recovery_codes()
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=mfa.recovery_digest(code)) for code in codes
    )
    return codes
