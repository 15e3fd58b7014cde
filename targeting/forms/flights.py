"""The flight form: its fields as a partner fills them. The rules (a name
unique in the app, a four-part version, groups of the partner) are the
service's, shown on these fields by ``service_errors_attach``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from customers.models import Partner
from engagement.models import KnownUserGroup
from engagement.selectors.known_user_groups import known_user_group_list
from targeting.forms.groups import KnownUserGroupsField
from targeting.models import FlightMove


class FlightForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Flight name"), max_length=100)
    groups = KnownUserGroupsField(
        label=gettext_lazy("Known user groups"),
        queryset=KnownUserGroup.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Members of these groups get this flight: their addresses that "
            "match a signed-in customer account."
        ),
    )
    version = forms.CharField(
        label=gettext_lazy("Package version"),
        max_length=23,
        help_text=gettext_lazy("Four numbers separated by dots, such as 1.4.2.0."),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    rollout_percentage = forms.IntegerField(
        label=gettext_lazy("Gradual rollout (%)"),
        min_value=1,
        max_value=100,
        initial=100,
        help_text=gettext_lazy(
            "The share of the groups' members who get this flight; raising it "
            "only adds people."
        ),
    )

    def __init__(self, *args, partner: Partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = known_user_group_list(partner=partner)


class FlightMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=FlightMove.choices)
