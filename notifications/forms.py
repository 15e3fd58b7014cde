"""The forms of the notification pages: a notification as a partner writes
it, and an app's WNS credentials.

The rules a form cannot see (the group is the partner's and of the app, an
active segment to send, the expiry after the send time, a toast WNS can
carry) are the services', shown on these fields by the views. Times are
typed and shown in UTC, whatever the partner's time zone (product.md §6.5).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext, gettext_lazy

from customers.choices import IdModelChoiceField
from customers.models import App, Partner
from engagement.models import CustomerGroup, KnownUserGroup, Segment
from notifications import wns
from notifications.models import AudienceKind, Notification, TemplateType
from notifications.selectors import (
    notification_known_user_group_choices,
    notification_segment_choices,
)

NOW, LATER = "now", "later"
# What a datetime-local input sends (with seconds when its step asks).
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class UtcDateTimeField(forms.DateTimeField):
    """A date and time typed and shown in UTC, whatever time zone is active
    (the dashboard activates the partner's)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", DATETIME_INPUT_FORMATS)
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        with timezone.override(dt.UTC):
            return super().prepare_value(value)

    def to_python(self, value: Any) -> dt.datetime | None:
        with timezone.override(dt.UTC):
            return super().to_python(value)


class SegmentChoiceField(IdModelChoiceField):
    """Segments by name; one that is not active says so (a draft keeps it,
    but it cannot be sent)."""

    def label_from_instance(self, obj: Segment) -> str:
        if obj.is_active:
            return obj.name
        return gettext("%(name)s (not active)") % {"name": obj.name}


def template_defaults(*, template_type: str, app: App) -> tuple[str, str]:
    """The title and text a template type starts with, for ``app``."""
    name = app.name
    defaults = {
        TemplateType.BLANK: ("", ""),
        TemplateType.ASK_RATING: (
            gettext("Enjoying %(app)s?") % {"app": name},
            gettext("Rate it in the Store: it helps us a lot."),
        ),
        TemplateType.ASK_FEEDBACK: (
            gettext("How is %(app)s working for you?") % {"app": name},
            gettext("Tell us what you think: your feedback shapes the next update."),
        ),
        TemplateType.CROSS_PROMOTE: (
            gettext("Try our other apps"),
            gettext("If you like %(app)s, have a look at our other apps in the Store.")
            % {"app": name},
        ),
        TemplateType.PROMOTE_SALE: (
            gettext("Sale on %(app)s") % {"app": name},
            gettext(
                "Add-ons are on sale for a limited time. Open %(app)s to see "
                "the offers."
            )
            % {"app": name},
        ),
    }
    title, text = defaults.get(template_type, ("", ""))
    return (
        Truncator(title).chars(wns.TITLE_MAX_LENGTH),
        Truncator(text).chars(wns.TEXT_MAX_LENGTH),
    )


def template_fill(
    *, template_type: str, app: App, title: str, text: str
) -> tuple[str, str]:
    """The title and text after choosing ``template_type``: its defaults,
    but only where the partner has typed nothing of their own (empty, or
    another template's default)."""
    untouched = {""}
    for other in TemplateType.values:
        untouched.update(template_defaults(template_type=other, app=app))
    new_title, new_text = template_defaults(template_type=template_type, app=app)
    return (
        new_title if title.strip() in untouched else title,
        new_text if text.strip() in untouched else text,
    )


class NotificationForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Notification name"),
        max_length=100,
        help_text=gettext_lazy("For you: customers never see it."),
    )
    template_type = forms.ChoiceField(
        label=gettext_lazy("Template"),
        choices=TemplateType.choices,
        help_text=gettext_lazy(
            "Choosing one fills in a title and a text you can change; what you "
            "typed is kept."
        ),
    )
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=wns.TITLE_MAX_LENGTH,
    )
    text = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=wns.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    launch = forms.CharField(
        label=gettext_lazy("Launch arguments"),
        max_length=wns.LAUNCH_MAX_LENGTH,
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        help_text=gettext_lazy(
            "Optional. What your app receives when the customer clicks the "
            "toast, such as action=rate&source=toast."
        ),
    )
    audience = forms.ChoiceField(
        label=gettext_lazy("Send it to"),
        choices=AudienceKind.choices,
        widget=forms.RadioSelect,
        initial=AudienceKind.ALL,
    )
    segment = SegmentChoiceField(
        label=gettext_lazy("Segment"),
        queryset=Segment.objects.none(),
        required=False,
        empty_label=gettext_lazy("Choose a segment"),
        help_text=gettext_lazy(
            "For “A segment”: only an active segment of this app can be sent to."
        ),
    )
    known_user_group = IdModelChoiceField(
        label=gettext_lazy("Known user group"),
        queryset=KnownUserGroup.objects.none(),
        required=False,
        empty_label=gettext_lazy("Choose a known user group"),
        help_text=gettext_lazy(
            "For “A known user group”: its members who are customers of this app."
        ),
    )
    schedule = forms.ChoiceField(
        label=gettext_lazy("When"),
        choices=[
            (NOW, gettext_lazy("Send immediately")),
            (LATER, gettext_lazy("At a date and time (UTC)")),
        ],
        widget=forms.RadioSelect,
        initial=NOW,
    )
    send_at = UtcDateTimeField(
        label=gettext_lazy("Send on (UTC)"),
        required=False,
        help_text=gettext_lazy("For “At a date and time”: in UTC."),
    )
    expires_at = UtcDateTimeField(
        label=gettext_lazy("Expires on (UTC)"),
        required=False,
        help_text=gettext_lazy(
            "Optional: a toast not delivered by then is dropped. In UTC."
        ),
    )

    def __init__(
        self,
        *args: Any,
        app: App,
        partner: Partner,
        current: CustomerGroup | None = None,
        fill_url: str = "",
        fill_target: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if fill_url:
            # Choosing a template fills the title and text in place (htmx),
            # sending what they hold so that nothing typed is lost.
            self.fields["template_type"].widget.attrs.update(
                {
                    "hx-get": fill_url,
                    "hx-trigger": "change",
                    "hx-target": f"#{fill_target}",
                    "hx-swap": "innerHTML",
                    "hx-include": "#id_title, #id_text",
                    "aria-controls": fill_target,
                }
            )
        for name in ("title", "text"):
            self.fields[name].help_text = gettext("At most %(limit)s characters.") % {
                "limit": self.fields[name].max_length
            }
        self.fields["segment"].queryset = notification_segment_choices(
            app=app, current=current
        )
        self.fields[
            "known_user_group"
        ].queryset = notification_known_user_group_choices(partner=partner)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        audience = data.get("audience")
        missing = []
        group_field = self._group_field(audience)
        if group_field == "segment" and not data.get("segment"):
            missing.append(("segment", gettext("Choose a segment.")))
        if group_field == "known_user_group" and not data.get("known_user_group"):
            missing.append(("known_user_group", gettext("Choose a known user group.")))
        if data.get("schedule") == LATER and not data.get("send_at"):
            missing.append(
                ("send_at", gettext("Enter the date and time to send it (UTC)."))
            )
        for name, message in missing:
            if name not in self.errors:  # an invalid choice says so already
                self.add_error(name, message)
        return data

    @staticmethod
    def _group_field(audience: str | None) -> str | None:
        return {
            AudienceKind.SEGMENT: "segment",
            AudienceKind.KNOWN_USER_GROUP: "known_user_group",
        }.get(audience)

    @property
    def group_field(self) -> str | None:
        """The field where the chosen audience's group is picked."""
        return self._group_field(self.cleaned_data.get("audience"))

    def values(self) -> dict[str, Any]:
        """The values ``notification_save_draft`` takes."""
        data = self.cleaned_data
        group_field = self.group_field
        return {
            "name": data["name"],
            "template_type": data["template_type"],
            "title": data["title"],
            "text": data["text"],
            "launch": data["launch"],
            "audience": data["audience"],
            "group": data[group_field] if group_field else None,
            "send_at": data["send_at"] if data["schedule"] == LATER else None,
            "expires_at": data["expires_at"],
        }


def notification_initial(notification: Notification) -> dict[str, Any]:
    """The form's values for a saved draft."""
    group_id = notification.group_id
    return {
        "name": notification.name,
        "template_type": notification.template_type,
        "title": notification.title,
        "text": notification.text,
        "launch": notification.launch,
        "audience": notification.audience,
        "segment": group_id if notification.audience == AudienceKind.SEGMENT else None,
        "known_user_group": group_id
        if notification.audience == AudienceKind.KNOWN_USER_GROUP
        else None,
        "schedule": LATER if notification.send_at else NOW,
        "send_at": notification.send_at,
        "expires_at": notification.expires_at,
    }


class WnsCredentialsForm(forms.Form):
    package_sid = forms.CharField(
        label=gettext_lazy("Package SID"),
        max_length=256,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
        help_text=gettext_lazy(
            "As the Store shows it for your app, such as ms-app://s-1-15-2-…"
        ),
    )
    client_secret = forms.CharField(
        label=gettext_lazy("Client secret"),
        max_length=1024,
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password", "spellcheck": "false"},
            render_value=False,
        ),
        help_text=gettext_lazy(
            "Enter it every time you save: it is stored encrypted and never "
            "shown again."
        ),
    )
