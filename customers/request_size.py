"""POST bodies over Django's limits, answered by the page itself.

Django refuses a body with more fields than ``DATA_UPLOAD_MAX_NUMBER_FIELDS``,
more field data than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` or more files than
``DATA_UPLOAD_MAX_NUMBER_FILES`` the first time ``request.POST`` is read. For
a POST that happens in ``CsrfViewMiddleware`` (it looks for the form's token),
before any view runs, so the client got Django's bare "400 Bad Request".

``post_size_checked`` lets a view read its own body: the view is exempt from
the middleware's check, reads the body first, then gets the same CSRF check
from ``csrf_protect``. A body over the limits goes to the view's
``on_too_big``, which shows the page with the message (status 413) and must
write nothing: the body was never read, so neither was its CSRF token, and
nothing in the request may be trusted to change anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django import forms
from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from customers.errors import RequestError

logger = logging.getLogger(__name__)

REQUEST_TOO_BIG = (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)


def request_too_big_message(error: Exception) -> str:
    """Say which limit a refused body passed."""
    if isinstance(error, TooManyFieldsSent):
        limit = _("%(count)s fields") % {
            "count": f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,}"
        }
    elif isinstance(error, TooManyFilesSent):
        limit = _("%(count)s files") % {
            "count": f"{settings.DATA_UPLOAD_MAX_NUMBER_FILES:,}"
        }
    else:
        limit = _("%(size)s MB") % {
            "size": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024:.1f}"
        }
    return str(RequestError.TOO_BIG.message % {"limit": limit})


def post_size_checked(
    on_too_big: Callable[..., HttpResponse],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view: a POST body over the limits goes to ``on_too_big``.

    ``on_too_big(request, message, *args, **kwargs)`` renders the page as it
    was before the request, with ``message``, and writes nothing. Every other
    request gets the middleware's CSRF check, then the view.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        protected = csrf_protect(view)

        @csrf_exempt  # the check runs below, once the body has been read
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                try:
                    request.POST  # noqa: B018 - reads the body, within the limits
                    request.FILES  # noqa: B018
                except REQUEST_TOO_BIG as error:
                    # Never read what part of the body was parsed.
                    request._mark_post_parse_error()
                    logger.warning(
                        "request_too_big path=%s reason=%s",
                        request.path,
                        type(error).__name__,
                    )
                    message = request_too_big_message(error)
                    return on_too_big(request, message, *args, **kwargs)
            return protected(request, *args, **kwargs)

        return wrapper

    return decorator


def form_refuse(form: forms.Form, message: str) -> forms.Form:
    """Show ``message`` as the own error of a form whose data was never read."""
    form.cleaned_data = {}
    form._errors = ErrorDict(renderer=form.renderer)
    form.add_error(None, ValidationError(message, code=RequestError.TOO_BIG))
    return form
