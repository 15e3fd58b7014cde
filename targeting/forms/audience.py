"""The audience form: public, or private to known user groups until an
optional date (UTC). The rules (once public, never private; a future date;
one or more groups of the partner for a private audience) are the
service's, shown by ``service_errors_attach``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from customers.models import Partner
from engagement.models import KnownUserGroup
from engagement.selectors.known_user_groups import known_user_group_list
from targeting.forms.groups import KnownUserGroupsField

PUBLIC, PRIVATE = "public", "private"


class AudienceForm(forms.Form):
    audience = forms.ChoiceField(
        label=gettext_lazy("Audience"),
        choices=[
            (PUBLIC, gettext_lazy("Public audience: anyone can see the app")),
            (
                PRIVATE,
                gettext_lazy(
                    "Private audience: only members of known user groups can "
                    "see the app"
                ),
            ),
        ],
        widget=forms.RadioSelect,
    )
    groups = KnownUserGroupsField(
        label=gettext_lazy("Known user groups"),
        queryset=KnownUserGroup.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("For a private audience: one or more groups."),
    )
    make_public_at = forms.DateTimeField(
        label=gettext_lazy("Make public on (UTC)"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
        help_text=gettext_lazy(
            "Optional, for a private audience: from then on the app is public for good."
        ),
    )

    def __init__(self, *args, partner: Partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = known_user_group_list(partner=partner)
