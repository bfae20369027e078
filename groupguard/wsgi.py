"""WSGI entry point (gunicorn serves ``groupguard.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "groupguard.settings")
application = get_wsgi_application()
