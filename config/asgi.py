"""ASGI entry point."""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

from config.statement_timeout import statement_timeout_use

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_asgi_application()
statement_timeout_use(seconds=settings.WEB_STATEMENT_TIMEOUT)
