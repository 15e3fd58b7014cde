"""Entry points shared by every section.

Home, partner switch, the sign-in lock-out page, password reset, the
health check and the favicon.
"""

from math import ceil

from axes.helpers import get_cool_off
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from customers.errors import AccountError
from customers.forms import EmailNotSentError, PasswordResetForm
from customers.health import health_check
from customers.http import id_or_404, redirect_target
from customers.scope import SESSION_KEY, partner_view
from customers.selectors import partner_membership_list


@partner_view()
def home(request: HttpRequest) -> HttpResponse:
    return redirect("engagement:customer_groups")


@require_POST
def partner_switch(request: HttpRequest) -> HttpResponse:
    """Make another of the user's partners the current one (404 if not theirs)."""
    membership = get_object_or_404(
        partner_membership_list(user=request.user),
        partner_id=id_or_404(request.POST.get("partner")),
    )
    request.session[SESSION_KEY] = membership.partner_id
    # Pages of the previous partner's objects would 404: go to the section home.
    return redirect(
        redirect_target(request, url=request.POST.get("next"), fallback="home")
    )


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database and the broker answer, else 503.

    The JSON body names what is down. For load balancers: no sign-in, no
    session, never cached.
    """
    checks = health_check()
    healthy = all(checks.values())
    body = {name: "ok" if up else "down" for name, up in checks.items()}
    return JsonResponse(
        {"status": "ok" if healthy else "down", **body},
        status=200 if healthy else 503,
    )


@login_not_required
@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """The dashboard's icon, for browsers that ask /favicon.ico (the pages
    name static/favicon.svg; the admin and downloads name none)."""
    return redirect(static("favicon.svg"), permanent=True)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset page; says so when the e-mail could not be sent."""

    form_class = PasswordResetForm

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        try:
            return super().form_valid(form)
        except EmailNotSentError:
            form.add_error(None, AccountError.EMAIL_NOT_SENT.error())
            return self.render_to_response(self.get_context_data(form=form), status=503)


def sign_in_locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """Render the sign-in page saying when to try again (429).

    django-axes calls it (``AXES_LOCKOUT_CALLABLE``) instead of answering with
    its bare text, on /accounts/login/ and /admin/login/ alike.
    """
    cool_off = get_cool_off(request)
    context = {
        "form": AuthenticationForm(request),
        "locked_out_minutes": ceil(cool_off.total_seconds() / 60),
        "next": request.POST.get("next", ""),
    }
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
