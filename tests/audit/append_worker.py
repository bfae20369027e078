"""Run as a separate process by test_concurrency: append entries to one practice's log."""

from __future__ import annotations

import os
import sys

import django


def main() -> None:
    practice_id, count, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from django.db import transaction

    from groupguard.audit.log import SYSTEM, record

    for i in range(count):
        with transaction.atomic():
            record(
                practice_id=practice_id,  # type: ignore[arg-type]
                actor=SYSTEM,
                action="test.concurrent",
                object_type="worker",
                object_id=f"{tag}-{i}",
            )


if __name__ == "__main__":
    main()
