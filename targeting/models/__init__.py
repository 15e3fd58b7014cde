"""The targeting models, a module per use of groups; callers import from here."""

from targeting.models.offers import Offer, OfferConversion, OfferTracking, OfferType

__all__ = ["Offer", "OfferConversion", "OfferTracking", "OfferType"]
