"""Segment membership: asking for recomputes, and the engine that applies them.

- ``requests``: ask for a recompute (a save, Refresh, an import, the daily
  run) and the sweeper that asks again for lost requests;
- ``engine``: apply the newest requested version in one transaction;
- ``changes``: the SQL that finds and applies a segment's joins and leaves;
- ``shared``: the daily run of an app, its due segments from one scan;
- ``lock``: the segment's recompute lock, which both respect.

Callers use the names re-exported here.
"""

from engagement.services.membership.changes import POSTGRESQL_SETTINGS
from engagement.services.membership.engine import (
    TRANSIENT_ERRORS,
    segment_recompute,
)
from engagement.services.membership.lock import (
    RECOMPUTE_LOCK_SQL,
    segment_recompute_lock_try,
)
from engagement.services.membership.requests import (
    segment_refresh,
    segment_request_recompute,
    segments_request_due,
    segments_request_recompute,
    segments_request_recompute_for_apps,
    segments_request_stalled,
)
from engagement.services.membership.shared import segments_recompute_shared

__all__ = [
    "POSTGRESQL_SETTINGS",
    "RECOMPUTE_LOCK_SQL",
    "TRANSIENT_ERRORS",
    "segment_recompute",
    "segment_recompute_lock_try",
    "segment_refresh",
    "segment_request_recompute",
    "segments_recompute_shared",
    "segments_request_due",
    "segments_request_recompute",
    "segments_request_recompute_for_apps",
    "segments_request_stalled",
]
