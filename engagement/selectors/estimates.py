"""Live estimates from a uniform random sample, and how partners see a count.

Every app customer has a random ``sample_key``, uniform in [0, 2**31) and
drawn once at creation, independent of its facts: the app customers whose key
is below a cutoff ``c`` are a uniform random sample (each one in it with
chance ``c / 2**31``), and stay one however their facts change; those below a
lower cutoff are a smaller uniform sample within it. The app's sample table
(``EstimateSample``) holds the available customers below the cutoff for
``ESTIMATE_SAMPLE_MAX_SIZE`` of them; an estimate first reads those below the
cutoff for ``ESTIMATE_SAMPLE_SIZE``, and reads further keys only when its
count might be above ``PRECISE_ABOVE`` of the app and its margin is wider
than ``RELATIVE_MARGIN`` of it (``sample_size_wanted``).

In the sample, one statement counts the available customers ``n`` and those
the definition selects ``m`` (filtered aggregates). Given ``n``, they are a
simple random sample of the ``E`` available customers, so the estimate is
``E·m/n`` and its 95% margin ``1.96·E·√(p(1−p)/n)·√((E−n)/(E−1))`` (finite
population correction), with ``p = m/n`` kept at least ``1.96²/n`` away from 0
and 1: a sample with no match (or only matches) still states a margin, about
what four sampled customers weigh, instead of a certainty it does not have.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings

from customers.models import SAMPLE_KEY_RANGE

Z_95 = 1.96


# An estimate whose count might be above this share of the app reads a
# larger sample until its margin is at most this share of the count.
PRECISE_ABOVE = 0.01
RELATIVE_MARGIN = 0.05


def sample_table_cutoff(*, eligible: int | None) -> int | None:
    """The key cutoff of the sample table of an app with ``eligible``
    available customers, or None when its estimate is counted exactly (count
    unknown, or at most ``ESTIMATE_EXACT_MAX_ROWS``)."""
    if eligible is None or eligible <= settings.ESTIMATE_EXACT_MAX_ROWS:
        return None
    return sample_cutoff(eligible=eligible, size=settings.ESTIMATE_SAMPLE_MAX_SIZE)


def sample_cutoff(*, eligible: int, size: int) -> int:
    """The key cutoff for a sample of about ``size`` of ``eligible`` customers
    (``SAMPLE_KEY_RANGE``: all of them)."""
    return min(math.ceil(SAMPLE_KEY_RANGE * size / eligible), SAMPLE_KEY_RANGE)


@dataclass(frozen=True)
class Scaled:
    """A count scaled up from the sample, and its 95% margin (both rounded
    to whole customers)."""

    value: int
    margin: int


def scaled(*, matches: int, sample: int, population: int) -> Scaled:
    """Scale ``matches`` among ``sample`` sampled customers to ``population``."""
    if sample <= 0:
        return Scaled(value=0, margin=population)
    share = matches / sample
    floor = min(Z_95**2 / sample, 0.5)
    spread = min(max(share, floor), 1 - floor)
    correction = (
        (population - sample) / (population - 1) if population > sample else 0.0
    )
    margin = Z_95 * population * math.sqrt(spread * (1 - spread) / sample * correction)
    return Scaled(value=round(population * share), margin=math.ceil(margin))


def sample_size_wanted(*, estimate: Scaled, sample: int, population: int) -> int:
    """How large a sample would bring ``estimate``'s margin within
    ``RELATIVE_MARGIN`` of it: ``sample`` when it already is, or when even
    the top of the interval is under ``PRECISE_ABOVE`` of the population.

    Sized for the bottom of the interval (at least ``PRECISE_ABOVE``), so a
    share the first sample overstates still gets enough: the relative margin
    at share s of a sample of n is 1.96·√((1−s)/(n·s)), before the finite
    population correction, which only narrows it.
    """
    value, margin = estimate.value, estimate.margin
    if margin <= RELATIVE_MARGIN * value or value + margin < PRECISE_ABOVE * population:
        return sample
    share = max((value - margin) / population, PRECISE_ABOVE)
    return math.ceil(Z_95**2 * (1 - share) / (RELATIVE_MARGIN**2 * share))


def significant_up(number: float, digits: int = 2) -> int:
    """``number`` rounded up to ``digits`` significant digits (a bound)."""
    if number <= 0:
        return 0
    unit = 10 ** max(math.floor(math.log10(number)) - digits + 1, 0)
    return math.ceil(number / unit) * unit


@dataclass(frozen=True)
class Shown:
    """A count as partners may see it.

    ``kind``:

    - ``exact``: ``value`` exactly (a count, not from a sample);
    - ``about``: "about ``value`` ± ``margin``" (sampled, rounded: the margin
      up to two significant digits, the value to the margin's leading digit);
    - ``fewer``: "fewer than (about) ``value``": the true count may be under
      the minimum size, so only a bound is shown;
    - ``small``: "Small": below the minimum size (sampled: even the top of
      the interval is).
    """

    kind: str
    value: int = 0
    margin: int = 0

    @property
    def sampled(self) -> bool:
        return self.kind == "about" or (self.kind == "fewer" and self.margin > 0)


def shown_size(*, value: int, margin: int | None, zero_is_small: bool) -> Shown:
    """How a live count is shown under the Small rule.

    Exact (``margin`` None, or 0: a sample of the whole population): under
    the minimum size, "Small" for a segment's size (``zero_is_small``),
    "fewer than minimum" for a change count other than 0, else the count.

    Sampled, with ``low, high = value ∓ margin`` (the 95% interval):

    - ``high`` under the minimum: "Small" for a size, "fewer than minimum"
      for a change: even the top of the interval is below it;
    - ``low`` under the minimum (``high`` not): "fewer than about N", N being
      ``high`` rounded up: the true count might be under the minimum, so no
      sampled number is shown as the size;
    - else "about value ± margin".
    """
    minimum = settings.SEGMENT_MIN_SIZE
    if not margin:
        if value < minimum and (zero_is_small or value > 0):
            return Shown("small") if zero_is_small else Shown("fewer", minimum)
        return Shown("exact", value)
    high, low = value + margin, value - margin
    if high < minimum:
        return Shown("small") if zero_is_small else Shown("fewer", minimum)
    if low < minimum:
        return Shown("fewer", significant_up(high), margin)
    rounded_margin = significant_up(margin)
    unit = 10 ** max(math.floor(math.log10(rounded_margin)), 0)
    return Shown("about", round(value / unit) * unit, rounded_margin)
