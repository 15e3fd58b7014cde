"""The targeting models, a module per use of groups; callers import from here."""

from targeting.models.audience import AppAudience
from targeting.models.flights import NON_FLIGHTED_RANK, Flight, FlightMove
from targeting.models.offers import Offer, OfferConversion, OfferTracking, OfferType

__all__ = [
    "NON_FLIGHTED_RANK",
    "AppAudience",
    "Flight",
    "FlightMove",
    "Offer",
    "OfferConversion",
    "OfferTracking",
    "OfferType",
]
