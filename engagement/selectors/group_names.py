"""Names a customer group may take."""

from __future__ import annotations

from customers.models import Partner
from engagement.models import CustomerGroup


def customer_group_name_free(*, partner: Partner, name: str) -> str:
    """``name``, or the first of "name (2)", "name (3)"… that none of the
    partner's groups uses: what the editor proposes for a copied template or
    a duplicate, so that it saves as proposed.

    Names are unique per partner whatever their case (the ``lower(name)``
    constraint of ``CustomerGroup``), and at most ``max_length`` long: a long
    name is shortened before its number.
    """
    limit = CustomerGroup._meta.get_field("name").max_length
    name = name[:limit]
    taken = {
        used.lower()
        for used in CustomerGroup.objects.filter(
            partner=partner, name__istartswith=name[: limit - 8]
        ).values_list("name", flat=True)
    }
    candidate, number = name, 1
    while candidate.lower() in taken:
        number += 1
        suffix = f" ({number})"
        candidate = name[: limit - len(suffix)].rstrip() + suffix
    return candidate
