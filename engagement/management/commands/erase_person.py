"""Erase a person on request: customer accounts and every listed address."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from engagement.services.person_erasure import person_erase


class Command(BaseCommand):
    help = (
        "Remove a person, by e-mail address, from customers and from every known "
        "user group, and record who asked and when in the erasure log (admin)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument(
            "--requested-by",
            required=True,
            help="Who asked for the erasure (name, ticket number…).",
        )

    def handle(self, *args, email, requested_by, **options):
        try:
            erasure = person_erase(email=email, requested_by=requested_by)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            f"Erased {erasure.customers_deleted} customer account(s) and "
            f"{erasure.addresses_deleted} known user group address(es); "
            f"logged as erasure #{erasure.pk}."
        )
