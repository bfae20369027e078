from __future__ import annotations

from django.db import transaction

from groupguard.audit.checkpoints import make_checkpoint
from groupguard.audit.log import SYSTEM, log_for, record
from groupguard.audit.models import AuditLog
from groupguard.practice.models import Practice


def grow_log(practice: Practice, count: int, *, checkpoint_at: tuple[int, ...] = ()) -> AuditLog:
    """Append ``count`` system entries, making checkpoints when the log reaches given sizes."""
    log = log_for(practice.id)
    with transaction.atomic():
        for i in range(count):
            record(
                practice_id=practice.id,
                actor=SYSTEM,
                action="test.entry",
                object_type="thing",
                object_id=str(i),
                detail={"n": i, "text": 'quote " newline \n nul \x00 end'},
            )
            log.refresh_from_db(fields=["size"])
            if log.size in checkpoint_at:
                make_checkpoint(log)
    log.refresh_from_db()
    return log
