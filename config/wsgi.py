"""WSGI entry point (gunicorn config.wsgi; runserver loads it too)."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from config.statement_timeout import statement_timeout_use

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
statement_timeout_use(seconds=settings.WEB_STATEMENT_TIMEOUT)
