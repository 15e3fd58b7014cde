"""The partner's API tokens (product.md §6.6): every member sees the list;
editors create a token, shown once, and revoke one.

The token itself is rendered in the response to the POST that created it and
nowhere else: not in the session, a message or a URL (messages are kept in a
cookie or the session, and a URL lands in logs and history), and that page
is never cached. Only its digest is stored, so it cannot be shown again.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from api.errors import TokenError
from api.forms import ApiTokenForm
from api.models import ApiToken, TokenKind
from api.selectors import api_token_list
from api.services import api_token_create, api_token_revoke
from customers.scope import partner_view
from engagement.forms import service_errors_attach

VIEWER_REFUSAL = gettext_lazy("Viewers cannot create or revoke API tokens.")


def _get_token(request: HttpRequest, pk: int) -> ApiToken:
    """The partner's token ``pk``; another partner's or a store-services
    token is 404."""
    return get_object_or_404(api_token_list(partner=request.partner), pk=pk)


@partner_view()
def token_list(request: HttpRequest) -> HttpResponse:
    """The partner's tokens, revoked ones included; read-only for viewers."""
    return render(
        request,
        "api/tokens/list.html",
        {
            "tokens": api_token_list(partner=request.partner),
            "readonly": not request.membership.can_edit,
        },
    )


@partner_view(editor=True, refusal=VIEWER_REFUSAL)
def token_create(request: HttpRequest) -> HttpResponse:
    """Create a partner token and show it, this once."""
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                token, secret = api_token_create(
                    kind=TokenKind.PARTNER,
                    partner=request.partner,
                    name=form.cleaned_data["name"],
                    can_write=form.cleaned_data["can_write"],
                    user=request.user,
                )
            except ValidationError as exc:
                service_errors_attach(form=form, error=exc)
            else:
                response = render(
                    request,
                    "api/tokens/created.html",
                    {
                        "token": token,
                        "secret": secret,
                        # The page's curl example: a partner token's first read.
                        "groups_url": request.build_absolute_uri(reverse("api:groups")),
                    },
                )
                # Neither the browser nor a proxy may keep the page.
                add_never_cache_headers(response)
                return response
        status = 400
    else:
        form = ApiTokenForm()
        status = 200
    return render(request, "api/tokens/form.html", {"form": form}, status=status)


@partner_view(editor=True, refusal=VIEWER_REFUSAL)
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask to confirm (GET), then revoke the token for good (POST)."""
    token = _get_token(request, pk)
    if request.method != "POST":
        return render(
            request,
            "api/tokens/revoke.html",
            {"token": token, "already_revoked": TokenError.ALREADY_REVOKED.message},
        )
    try:
        api_token_revoke(token=token, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Token “%(name)s” is revoked: requests with it are refused from now on.")
            % {"name": token.name},
        )
    return redirect("api_settings:token_list")
