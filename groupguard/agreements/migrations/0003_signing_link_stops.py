"""A signing link stops for good after five wrong identity answers in total.

Until now five misses locked a link for 15 minutes, then guessing could go on. The lock goes
(``locked_until``) and ``stopped_at`` comes. A link still in use that was ever locked has had
five wrong answers: it is stopped now, dated when the lock began, so its facilitator sees it
and sends a new link. Its lock was logged at the time (``signing_link.identity_failed``,
severity high).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import migrations, models
from django.utils import timezone

# Frozen copies of the values at the time: migrations do not import app code that may change.
LOCK_MINUTES = 15
MAX_IDENTITY_FAILURES = 5


def stop_locked_links(apps: Any, schema_editor: Any) -> None:
    SigningLink = apps.get_model("agreements", "SigningLink")
    locked = SigningLink.objects.filter(
        locked_until__isnull=False,
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )
    for link in locked:
        link.stopped_at = link.locked_until - datetime.timedelta(minutes=LOCK_MINUTES)
        link.failed_attempts = max(link.failed_attempts, MAX_IDENTITY_FAILURES)
        link.save(update_fields=["stopped_at", "failed_attempts"])


class Migration(migrations.Migration):
    dependencies = [("agreements", "0002_append_only")]

    operations = [
        migrations.AddField(
            model_name="signinglink",
            name="stopped_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When too many wrong identity answers stopped the link.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="signinglink",
            name="failed_attempts",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="Wrong identity answers over the link's whole life (never reset).",
            ),
        ),
        migrations.RunPython(stop_locked_links, migrations.RunPython.noop),
        migrations.RemoveField(model_name="signinglink", name="locked_until"),
    ]
