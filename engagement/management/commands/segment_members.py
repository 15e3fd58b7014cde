"""Print a segment's member e-mail addresses, one per line, sorted."""

from django.core.management.base import BaseCommand, CommandError

from engagement.models import Segment
from engagement.selectors.segments import segment_member_emails


class Command(BaseCommand):
    help = (
        "Print the e-mail addresses of a segment's members (its materialised "
        "membership as of the last computation), one per line, sorted."
    )

    def add_arguments(self, parser):
        parser.add_argument("segment_id", type=int)

    def handle(self, *args, segment_id, **options):
        segment = Segment.objects.filter(pk=segment_id).first()
        if segment is None:
            raise CommandError(f"No segment with id {segment_id}.")
        if segment.computed_at is None:
            self.stderr.write(
                f"Segment {segment_id} has not been computed yet; it has no members "
                "until its first computation (see recompute_segments)."
            )
        for email in segment_member_emails(segment=segment).iterator(chunk_size=5000):
            self.stdout.write(email)
