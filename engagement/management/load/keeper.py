"""Keep the Celery worker recomputing for the whole of a load run."""

from __future__ import annotations

import threading

from django.db import connection

from engagement.models import Segment, SegmentRun
from engagement.services import membership

KEEPER_POLL_S = 0.5


class RecomputeKeeper:
    """Keep the worker recomputing: ask again for each segment as soon as its
    last requested recompute is done (applied, or failed)."""

    def __init__(self, *, segment_ids: list[int]) -> None:
        self.segment_ids = segment_ids
        self.requested: dict[int, int] = {}
        self.requests = 0
        self.error: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="recompute-keeper")

    def request_idle(self) -> None:
        """Ask for a recompute of every segment whose last request is done."""
        segments = Segment.objects.filter(pk__in=self.segment_ids).only(
            "pk", "version", "pending_version"
        )
        for segment in segments:
            asked = self.requested.get(segment.pk)
            if asked is not None and not self._done(segment=segment, version=asked):
                continue
            self.requested[segment.pk] = membership.segment_request_recompute(
                segment=segment, trigger=SegmentRun.Trigger.SUPPORT
            )
            self.requests += 1

    @staticmethod
    def _done(*, segment: Segment, version: int) -> bool:
        return (
            segment.version >= version
            or SegmentRun.objects.filter(
                segment_id=segment.pk, version__gte=version, finished_at__isnull=False
            ).exists()
        )

    def start(self) -> None:
        """Ask again every ``KEEPER_POLL_S`` seconds, in a thread, until stopped."""
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        try:
            while not self._stop.wait(KEEPER_POLL_S):
                self.request_idle()
        except Exception as error:  # reported by the command once the run ends
            self.error = error
        finally:
            connection.close()
