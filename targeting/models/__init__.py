"""The uses of customer groups, a module per use; callers import the package."""

from targeting.models.audience import AppAudience
from targeting.models.flights import NON_FLIGHTED_RANK, Flight, FlightMove

__all__ = ["NON_FLIGHTED_RANK", "AppAudience", "Flight", "FlightMove"]
