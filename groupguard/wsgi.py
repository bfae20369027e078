"""WSGI entry point (gunicorn serves ``groupguard.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "groupguard.settings")
application = get_wsgi_application()

# Refuse to serve on missing or replaced keys before the first request (ops.keys).
from groupguard.ops.keys import load_keys  # noqa: E402  (needs Django set up)

load_keys()

# The first start with row binding binds the rows stored before it (audit.records).
from groupguard.audit.baseline import ensure_baseline  # noqa: E402

ensure_baseline()
