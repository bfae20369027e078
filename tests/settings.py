"""Settings for the test suite: the product's settings with a throwaway data directory."""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("GROUPGUARD_DATA_DIR", tempfile.mkdtemp(prefix="groupguard-test-"))
os.environ.setdefault(
    "GROUPGUARD_ENCRYPTION_KEYS",
    json.dumps({"active": "ktest1", "keys": {"ktest1": base64.b64encode(b"t" * 32).decode()}}),
)
os.environ.setdefault("GROUPGUARD_SECRET_KEY", "test-secret-key-" + "x" * 50)

from groupguard.settings import *  # noqa: E402, F403
from groupguard.settings import DATABASES, STATIC_ROOT  # noqa: E402

# Argon2 is the product's hasher; tests that check it set it back. Elsewhere speed matters.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S303
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
GROUPGUARD_CHECKPOINT_EVERY = 0
if os.environ.get("GROUPGUARD_TEST_SQLITE_NAME"):
    # A worker process of a test: use the test database the test runner created.
    DATABASES["default"]["NAME"] = os.environ["GROUPGUARD_TEST_SQLITE_NAME"]
if str(DATABASES["default"]["ENGINE"]).endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# WhiteNoise warns when the collected-static directory is missing; tests serve no static files.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
