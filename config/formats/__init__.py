"""The project's locale formats, read before Django's own (FORMAT_MODULE_PATH).

Only what differs from Django's locale data is here; everything else comes
from ``django.conf.locale``.
"""
