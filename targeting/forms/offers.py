"""The offer form: its fields as a partner fills them. The rules (a unique
name and (type, add-on), a Store product ID, an active segment of the app)
are the service's, shown on these fields by ``service_errors_attach``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from customers.choices import IdModelChoiceField
from customers.models import App
from engagement.models import Segment
from targeting.models import OfferType
from targeting.selectors.offers import offer_segment_choices


class OfferForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Offer name"), max_length=100)
    offer_type = forms.ChoiceField(
        label=gettext_lazy("Offer type"), choices=OfferType.choices
    )
    addon_product_id = forms.CharField(
        label=gettext_lazy("Add-on"),
        max_length=100,  # trimmed and checked by the service
        help_text=gettext_lazy(
            "The add-on's Store product ID: 12 letters and digits, "
            "such as 9NBLGGH4R315."
        ),
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    segment = IdModelChoiceField(
        label=gettext_lazy("Segment"),
        queryset=Segment.objects.none(),
        empty_label=gettext_lazy("Choose a segment"),
        help_text=gettext_lazy(
            "Only an active segment of this app can be chosen: computed, "
            "not Small and not failed."
        ),
    )

    def __init__(self, *args, app: App, current: Segment | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = offer_segment_choices(
            app=app, current=current
        )
