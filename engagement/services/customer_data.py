"""What follows a change of customer data, in one place.

``customers`` writes customer data (``import_customers``) and calls this
through its hook (``settings.CUSTOMER_DATA_CHANGED``, see
``customers/hooks.py``): customers never imports engagement, engagement
decides what its groups need.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from engagement.models import SegmentRun
from engagement.services.app_statistics import app_statistics_forget
from engagement.services.known_user_group_linking import (
    known_user_groups_link_customers_written_since,
)
from engagement.services.membership import segments_request_recompute_for_apps

logger = logging.getLogger(__name__)


def customer_data_changed(*, app_ids: Iterable[int], since: dt.datetime) -> list[str]:
    """Bring customer groups up to date after customer data was written.

    ``app_ids`` are the apps whose customers' facts changed, ``since`` is a
    moment before the first write. Clear the apps' stored available-customer
    counts (every process counts them again), ask for a recompute of every
    segment of those apps (sent when the transaction commits) that may
    re-evaluate only the customers written since ``since``, and link the
    known user groups' addresses of every customer written since ``since``
    now rather than at the linker's next pass. Return what was done, one line
    each, for the command that wrote the data to print.
    """
    app_ids = sorted(set(app_ids))
    lines = []
    app_statistics_forget(app_ids=app_ids)
    requested = 0
    if app_ids:
        requested = segments_request_recompute_for_apps(
            app_ids=app_ids, trigger=SegmentRun.Trigger.IMPORT, changed_since=since
        )
    if requested:
        lines.append(f"asked {requested} segment(s) to recompute")
    groups = known_user_groups_link_customers_written_since(since=since)
    logger.info(
        "customer_data_changed apps=%d segments_requested=%d groups_linked=%d",
        len(app_ids),
        requested,
        groups,
    )
    return lines
