"""Staff accounts of a practice: creating one, the practitioner's licence, deactivating."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from groupguard.accounts.models import Role, User
from groupguard.audit.log import Actor, record
from groupguard.core.usernames import normalize_username
from groupguard.practice.actions.common import apply_changes, validate
from groupguard.practice.models import (
    Practice,
    PractitionerProfile,
)


@transaction.atomic
def create_staff_user(
    *,
    practice: Practice,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    acting_user: User | None,
    validate_password: bool = True,
) -> User:
    from django.contrib.auth import password_validation

    user = User(
        practice=practice,
        username=normalize_username(username),
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
    )
    validate(user, exclude=["password"])
    if role not in Role.values:
        raise ValidationError({"role": f"Choose one of {', '.join(Role.values)}."})
    if validate_password:
        password_validation.validate_password(password, user)
    user.set_password(password)
    user.save()
    record(
        practice_id=practice.id,
        actor=Actor.user(acting_user) if acting_user else Actor("system"),
        action="user.create",
        obj=user,
        fields=["username", "role", "first_name", "last_name", "email"],
        detail={"role": role},
    )
    return user


@transaction.atomic
def set_practitioner_profile(
    *,
    user: User,
    license_type: str,
    ethics_code: str,
    license_number: str = "",
    license_jurisdiction: str = "",
    acting_user: User | None,
) -> PractitionerProfile:
    profile = PractitionerProfile.objects.filter(user=user).first() or PractitionerProfile(
        user=user
    )
    created = profile._state.adding
    changed = apply_changes(
        profile,
        {
            "license_type": license_type,
            "ethics_code": ethics_code,
            "license_number": license_number,
            "license_jurisdiction": license_jurisdiction,
        },
        {"license_type", "ethics_code", "license_number", "license_jurisdiction"},
    )
    validate(profile, exclude=["user"])
    profile.save()
    record(
        practice_id=user.practice_id,
        actor=Actor.user(acting_user) if acting_user else Actor("system"),
        action="practitioner.create" if created else "practitioner.update",
        obj=profile,
        fields=changed,
    )
    return profile


@transaction.atomic
def set_staff_active(user: User, *, active: bool, acting_user: User) -> User:
    """Deactivate (or reactivate) a staff account; a deactivated user cannot log in."""
    if user.pk == acting_user.pk and not active:
        raise ValidationError({"user": "You cannot deactivate your own account."})
    if (
        not active
        and user.facilitator_links.filter(group__status__in=["forming", "active"]).exists()
    ):
        raise ValidationError(
            {"user": "This person still facilitates an open group: hand the group over first."}
        )
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        # Sign them out everywhere and stop their API tokens.
        from django.utils import timezone as tz

        from groupguard.accounts.sessions import end_sessions

        user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=tz.now())
        end_sessions(user.pk)
    record(
        practice_id=user.practice_id,
        actor=Actor.user(acting_user),
        action="user.activate" if active else "user.deactivate",
        obj=user,
        fields=["is_active"],
    )
    return user


@transaction.atomic
def add_staff(
    *,
    practice: Practice,
    username: str,
    password: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    license_type: str = "",
    ethics_code: str = "",
    license_number: str = "",
    license_jurisdiction: str = "",
    acting_user: User,
) -> User:
    """A staff account and, when a licence type is given, the practitioner's licence, in one
    transaction: a licence refused leaves no account behind."""
    new = create_staff_user(
        practice=practice,
        username=username,
        password=password,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=email,
        acting_user=acting_user,
    )
    if license_type:
        set_practitioner_profile(
            user=new,
            license_type=license_type,
            ethics_code=ethics_code,
            license_number=license_number,
            license_jurisdiction=license_jurisdiction,
            acting_user=acting_user,
        )
    return new
