"""Abstract base for domain rows."""

from __future__ import annotations

from django.db import models

from groupguard.core.ids import uuid7


class DomainModel(models.Model):
    """A row with a client-generated UUIDv7 key (see ``groupguard.core.ids``) and timestamps."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
