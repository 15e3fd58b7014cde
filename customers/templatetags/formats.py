"""Template filters that format values for the active language.

``{{ amount|money }}`` (US dollars, the Store's currency) or
``{{ amount|money:"EUR" }}``: ``$50.00`` in English, ``50,00 $US`` in French.
"""

from __future__ import annotations

from django import template

from customers.formats import money_format

register = template.Library()


@register.filter
def money(amount, currency: str = "") -> str:
    """An amount of money as the active language writes it."""
    return money_format(amount, currency)
