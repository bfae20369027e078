"""What the agreement actions share."""

from __future__ import annotations

from groupguard.agreements.models import (
    SigningLink,
)
from groupguard.audit.log import Actor


def signing_actor(link: SigningLink) -> Actor:
    return Actor("signing_token", str(link.pk))
