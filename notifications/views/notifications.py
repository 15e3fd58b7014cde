"""Push notification pages (product.md §6.5): the apps, an app's
notifications by section, writing a draft, sending it (with the 30-minute
confirmation), cancelling it, and its page with the delivery's progress."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import App
from customers.scope import partner_view
from engagement.forms import service_errors_attach
from notifications.forms import (
    NotificationForm,
    notification_initial,
    template_fill,
)
from notifications.models import Notification, NotificationStatus, TemplateType
from notifications.selectors import (
    group_url,
    notification_app_list,
    notification_list,
    notification_sections,
)
from notifications.services import notifications as services
from notifications.services.notifications import ConfirmationNeeded

VIEWER_REFUSAL = gettext_lazy("Viewers cannot change notifications.")
# What the detail page's live part shows while it polls.
LIVE_TARGET = "notification-live"
TOAST_FIELDS_TARGET = "toast-fields"
POLLED = (NotificationStatus.SCHEDULED, NotificationStatus.SENDING)


def get_app(request: HttpRequest, app_pk: int) -> App:
    """The partner's app ``app_pk`` (with ``has_credentials``), else 404."""
    return get_object_or_404(notification_app_list(partner=request.partner), pk=app_pk)


def _get_notification(request: HttpRequest, pk: int) -> Notification:
    return get_object_or_404(notification_list(partner=request.partner), pk=pk)


@partner_view()
def notification_apps(request: HttpRequest) -> HttpResponse:
    """The partner's apps, each with its notifications and whether its WNS
    credentials are set."""
    apps = notification_app_list(partner=request.partner)
    return render(request, "notifications/apps.html", {"apps": apps})


@partner_view()
def app_notification_list(request: HttpRequest, app_pk: int) -> HttpResponse:
    """An app's notifications: drafts, scheduled, in progress, completed."""
    app = get_app(request, app_pk)
    return render(
        request,
        "notifications/list.html",
        {"app": app, "sections": notification_sections(app=app)},
    )


def _errors_attach(form: NotificationForm, error: ValidationError) -> None:
    """Show a service's error on the form: one about the group goes to the
    field where the chosen audience's group is picked."""
    if hasattr(error, "error_dict") and "group" in error.error_dict:
        target = form.group_field or "group"
        error = ValidationError(
            {
                (target if name == "group" else name): errors
                for name, errors in error.error_dict.items()
            }
        )
    service_errors_attach(form=form, error=error)


def _sent_message(notification: Notification) -> str:
    if notification.send_at is None:
        return _("Notification “%(name)s” is being sent.") % {"name": notification.name}
    return _("Notification “%(name)s” is scheduled for %(time)s UTC.") % {
        "name": notification.name,
        "time": notification.send_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M"),
    }


def _template_asked(request: HttpRequest) -> str:
    template_type = request.GET.get("template_type", "")
    return template_type if template_type in TemplateType.values else ""


def _form_page(
    request: HttpRequest, *, app: App, notification: Notification | None
) -> HttpResponse:
    """Show the form; save the draft, or save and send it (on confirmation
    when another notification is near), then go to its page."""
    current = notification.group if notification else None
    form_kwargs = {
        "app": app,
        "partner": request.partner,
        "current": current,
        "fill_url": request.path,
        "fill_target": TOAST_FIELDS_TARGET,
    }
    confirmation = None
    if request.method == "POST":
        form = NotificationForm(request.POST, **form_kwargs)
        confirmed = request.POST.get("confirmed") == "1"
        send = confirmed or request.POST.get("action") == "send"
        if form.is_valid():
            try:
                # Saved and sent together, or not at all: a refused send
                # leaves nothing behind, so the form can be submitted again.
                with transaction.atomic():
                    saved = services.notification_save_draft(
                        app=app,
                        values=form.values(),
                        user=request.user,
                        notification=notification,
                    )
                    if send:
                        saved = services.notification_schedule(
                            notification=saved, confirmed=confirmed
                        )
            except ConfirmationNeeded as needed:
                confirmation = needed.recent
            except ValidationError as exc:
                _errors_attach(form, exc)
            else:
                if send:
                    messages.success(request, _sent_message(saved))
                else:
                    messages.success(
                        request,
                        _("Draft “%(name)s” saved.") % {"name": saved.name},
                    )
                return redirect("notifications:notification_detail", pk=saved.pk)
        status = 200 if confirmation is not None else 400
    else:
        if notification is not None:
            initial = notification_initial(notification)
        else:
            initial = {"template_type": TemplateType.BLANK}
        asked = _template_asked(request)
        if asked:
            title, text = template_fill(
                template_type=asked,
                app=app,
                title=request.GET.get("title", initial.get("title", "")),
                text=request.GET.get("text", initial.get("text", "")),
            )
            initial.update(template_type=asked, title=title, text=text)
        form = NotificationForm(initial=initial, **form_kwargs)
        status = 200
        if request.htmx and request.htmx.target == TOAST_FIELDS_TARGET:
            return render(request, "notifications/_toast_fields.html", {"form": form})
    return render(
        request,
        "notifications/form.html",
        {
            "app": app,
            "notification": notification,
            "form": form,
            "confirmation": confirmation,
            "toast_fields_target": TOAST_FIELDS_TARGET,
        },
        status=status,
    )


@partner_view(editor=True, refusal=VIEWER_REFUSAL)
def notification_create(request: HttpRequest, app_pk: int) -> HttpResponse:
    """A new notification of the app."""
    return _form_page(request, app=get_app(request, app_pk), notification=None)


@partner_view(editor=True, refusal=VIEWER_REFUSAL)
def notification_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft; any other is shown on its page, which says why."""
    notification = _get_notification(request, pk)
    request.nav_app_pk = notification.app_id
    if notification.status != NotificationStatus.DRAFT:
        messages.info(
            request,
            _("Only a draft can be changed; “%(name)s” is %(status)s.")
            % {
                "name": notification.name,
                "status": notification.get_status_display().lower(),
            },
        )
        return redirect("notifications:notification_detail", pk=notification.pk)
    return _form_page(request, app=notification.app, notification=notification)


def live_state(notification: Notification) -> str:
    """What the live part of the page shows: a poll that would show the same
    answers 204 and swaps nothing."""
    return "-".join(
        str(value)
        for value in (
            notification.status,
            notification.targeted,
            notification.channels,
            notification.sent,
            notification.failed,
            notification.expired,
            notification.retried,
        )
    )


def _detail(
    request: HttpRequest,
    notification: Notification,
    *,
    confirmation: Notification | None = None,
) -> HttpResponse:
    state = live_state(notification)
    context = {
        "notification": notification,
        "app": notification.app,
        "group_url": group_url(notification.group) if notification.group else "",
        "polling": notification.status in POLLED,
        "live_state": state,
        "live_target": LIVE_TARGET,
        "confirmation": confirmation,
    }
    poll = request.htmx and request.htmx.target == LIVE_TARGET
    if poll:
        if request.GET.get("state") == state:
            return HttpResponse(status=204)  # nothing changed: nothing to swap
        return render(request, "notifications/_results.html", context)
    return render(request, "notifications/detail.html", context)


@partner_view()
def notification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A notification: its toast, audience and schedule, its status and
    results; the results poll while it is scheduled or sending."""
    return _detail(request, _get_notification(request, pk))


@partner_view(editor=True, refusal=VIEWER_REFUSAL)
def notification_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a draft from its page; asks to confirm when another notification
    is near, as the form does."""
    notification = _get_notification(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        notification = services.notification_schedule(
            notification=notification,
            confirmed=request.POST.get("confirmed") == "1",
        )
    except ConfirmationNeeded as needed:
        return _detail(request, notification, confirmation=needed.recent)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _sent_message(notification))
    return redirect("notifications:notification_detail", pk=notification.pk)


@partner_view(editor=True, refusal=VIEWER_REFUSAL)
def notification_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a scheduled notification that has not started."""
    notification = _get_notification(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if services.notification_cancel(notification=notification):
        messages.success(
            request,
            _("Notification “%(name)s” cancelled: it will not be sent.")
            % {"name": notification.name},
        )
    else:
        messages.warning(
            request,
            _(
                "“%(name)s” can no longer be cancelled: only a scheduled "
                "notification that has not started can be."
            )
            % {"name": notification.name},
        )
    return redirect("notifications:notification_detail", pk=notification.pk)
