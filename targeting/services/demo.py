"""Demo targeting for ``seed_demo``: flights, a private app and offers.

Called after engagement's demo groups (``DEMO_DATA_SEEDED`` names both, in
order), so the segments are computed and the known user group linked. Found
again by name on every run: a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import App
from engagement.models import KnownUserGroup, Segment
from engagement.services.demo import BETA_TESTERS
from targeting.models import AppAudience, Flight, Offer, OfferType
from targeting.services.audience import audience_set_private
from targeting.services.flights import flight_create
from targeting.services.offers import offer_create

# (name, version, rollout percentage), created lowest rank first.
DEMO_FLIGHTS = [
    ("Early access", "1.5.0.0", 50),
    ("Beta ring", "1.6.0.0", 100),
]
# (name, offer type, add-on Store product ID, segment name)
DEMO_OFFERS = [
    ("Spring discount", OfferType.DISCOUNT, "9NBLGGH4R315", "Big spenders"),
    ("Come back reward", OfferType.REWARD, "9NBLGGH4R316", "At risk of churning"),
    ("Try Pro free", OfferType.FREE_TRIAL, "9NBLGGH4R317", "Young adults"),
]
PRIVATE_FOR = dt.timedelta(days=30)


def demo_targeting_seed(*, app: App, email_suffix: str) -> list[str]:
    """Add the demo flights and offers of ``app`` and make the partner's
    second app private to the beta testers until a month from now.

    Return one line per use for the seed's summary.
    """
    beta = KnownUserGroup.objects.get(partner=app.partner, name=BETA_TESTERS)
    lines = [_flight_seed(app=app, group=beta, spec=spec) for spec in DEMO_FLIGHTS]
    lines += [_offer_seed(app=app, spec=spec) for spec in DEMO_OFFERS]
    lines.append(_private_app_seed(app=app, group=beta))
    return lines


def _flight_seed(*, app: App, group: KnownUserGroup, spec: tuple) -> str:
    name, version, rollout = spec
    if not Flight.objects.filter(app=app, name=name).exists():
        flight_create(
            app=app,
            name=name,
            groups=[group],
            version=version,
            rollout_percentage=rollout,
        )
    return f"flight {name} of {app.name}: {group.name}, {rollout}% rollout"


def _offer_seed(*, app: App, spec: tuple) -> str:
    name, offer_type, addon, segment_name = spec
    if Offer.objects.filter(app=app, name=name).exists():
        return f"offer {name} of {app.name}"
    segment = Segment.objects.get(app=app, name=segment_name)
    try:
        offer_create(
            app=app,
            name=name,
            offer_type=offer_type,
            addon_product_id=addon,
            segment=segment,
        )
    except ValidationError as exc:
        # A small demo (few customers) leaves the segment Small: say so.
        return f"offer {name} of {app.name} not added: {'; '.join(exc.messages)}"
    return f"offer {name} of {app.name}: segment {segment_name}"


def _private_app_seed(*, app: App, group: KnownUserGroup) -> str:
    other = App.objects.filter(partner=app.partner).exclude(pk=app.pk).order_by("pk")
    private = other.first()
    if private is None:
        return "no second app to make private (seed with --apps 2 or more)"
    if not AppAudience.objects.filter(app=private).exists():
        audience_set_private(
            app=private,
            groups=[group],
            make_public_at=(timezone.now() + PRIVATE_FOR).replace(
                minute=0, second=0, microsecond=0
            ),
        )
    return f"app {private.name}: private to {group.name} until its public date"
