"""Settings for ``make bench``: the product's settings, plus the floor page, in a throwaway place.

``bench/run.py`` sets the environment (data directory, keys, database) before Django starts;
the defaults below only keep an accidental import away from ``./var``.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path

if not os.environ.get("GROUPGUARD_DATA_DIR"):
    os.environ["GROUPGUARD_DATA_DIR"] = tempfile.mkdtemp(prefix="groupguard-bench-")
os.environ.setdefault(
    "GROUPGUARD_ENCRYPTION_KEYS",
    json.dumps({"active": "kbench1", "keys": {"kbench1": base64.b64encode(b"b" * 32).decode()}}),
)
os.environ.setdefault("GROUPGUARD_SECRET_KEY", "bench-secret-key-" + "x" * 50)

from groupguard.settings import *  # noqa: E402, F403
from groupguard.settings import ALLOWED_HOSTS, TEMPLATES  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
TEMPLATES = [{**TEMPLATES[0], "DIRS": [BENCH_DIR / "templates"]}]
# Logins use force_login; a fast hasher keeps seeding the staff accounts quick.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S303
# The manifest storage needs collectstatic; {% static %} costs about the same either way.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
