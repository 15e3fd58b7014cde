"""Recompute segments now, through the workers or in this process."""

from django.core.management.base import BaseCommand, CommandError

from customers.models import App
from engagement.models import Segment, SegmentRun
from engagement.services import membership


class Command(BaseCommand):
    help = (
        "Ask for a recompute of one segment, an app's segments or all segments. "
        "By default the Celery workers do it; --sync computes here and prints "
        "each result."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--segment", type=int, help="Segment id.")
        which.add_argument("--app", help="Store product ID: every segment of it.")
        which.add_argument("--all", action="store_true", help="Every segment.")
        parser.add_argument(
            "--sync", action="store_true", help="Compute in this process, now."
        )

    def handle(self, *args, segment, app, all, sync, **options):
        segments = Segment.objects.order_by("pk")
        if segment is not None:
            segments = segments.filter(pk=segment)
            if not segments.exists():
                raise CommandError(f"No segment with id {segment}.")
        elif app:
            app_obj = App.objects.filter(store_product_id=app.strip().upper()).first()
            if app_obj is None:
                raise CommandError(f"No app with Store product ID {app!r}.")
            segments = segments.filter(app=app_obj)
        if not sync:
            # One batch: with the broker down, one failed publish instead of
            # one wait per segment; the sweeper sends them all later.
            items = list(segments.only("pk", "name", "pending_version"))
            membership.segments_request_recompute(
                segments=items, trigger=SegmentRun.Trigger.SUPPORT
            )
            for item in items:
                self.stdout.write(
                    f"{item.pk}\t{item.name}\tqueued (version {item.pending_version})"
                )
            return
        failures = 0
        for item in segments.iterator():
            version = membership.segment_request_recompute(
                segment=item, trigger=SegmentRun.Trigger.SUPPORT, enqueue=False
            )
            run = membership.segment_recompute(
                segment_id=item.pk, version=version, trigger=SegmentRun.Trigger.SUPPORT
            )
            if run is None:
                self.stdout.write(f"{item.pk}\t{item.name}\tup to date")
            elif run.error:
                failures += 1
                self.stdout.write(f"{item.pk}\t{item.name}\tFAILED\t{run.error}")
            else:
                seconds = (run.finished_at - run.started_at).total_seconds()
                self.stdout.write(
                    f"{item.pk}\t{item.name}\t{run.member_count} members"
                    f"\t+{run.joined} -{run.left}\t{seconds:.2f}s"
                )
        if failures:
            raise CommandError(f"{failures} segment(s) failed.", returncode=1)
