"""Create a segment from a JSON definition file, for scripts and support."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from customers.models import App, Partner
from engagement import rules
from engagement.services.segments import segment_create


class Command(BaseCommand):
    help = "Create a segment of an app from a definition file; print its id."

    def add_arguments(self, parser):
        parser.add_argument("--partner", required=True, help="Partner name.")
        parser.add_argument("--app", required=True, help="Store product ID.")
        parser.add_argument("--name", required=True, help="Group name.")
        parser.add_argument(
            "--definition", required=True, type=Path, help="Definition JSON file."
        )

    def handle(self, *args, partner, app, name, definition, **options):
        try:
            partner_obj = Partner.objects.get(name=partner)
        except Partner.DoesNotExist:
            raise CommandError(f"No partner named {partner!r}.") from None
        try:
            app_obj = App.objects.get(store_product_id=app.strip().upper())
        except App.DoesNotExist:
            raise CommandError(f"No app with Store product ID {app!r}.") from None
        try:
            data = definition.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {definition}: {exc.strerror}.") from None
        try:
            segment = segment_create(
                partner=partner_obj,
                app=app_obj,
                name=name,
                definition=rules.definition_parse_json(data),
                user=None,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(str(segment.pk))
