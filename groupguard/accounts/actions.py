"""Writes of the accounts domain: API tokens."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from groupguard.accounts.models import ApiToken, User, hash_token
from groupguard.audit.log import Actor, record


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
        ApiToken.objects.usable().filter(token_hash=hash_token(raw)).select_related("user").first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Touch at most once a minute so a busy script does not turn every read into a write.
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
