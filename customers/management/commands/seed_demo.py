"""Fill the database with deterministic demo data (see ``customers.demo``)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from customers.demo import DEMO_PASSWORD, MAX_APPS, demo_data_present, demo_data_seed


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(
            f"--today must be a date as YYYY-MM-DD: {value!r}"
        ) from error


class Command(BaseCommand):
    help = (
        "Replace the demo partners' customers with generated ones, and create the "
        "demo partners, apps and logins. Deterministic for a given seed and day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers",
            type=int,
            default=20_000,
            help="Number of demo customers (default: 20000).",
        )
        parser.add_argument(
            "--apps",
            type=int,
            default=3,
            help=f"Number of Demo Studio apps, 1 to {MAX_APPS} (default: 3).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (default: 1)."
        )
        parser.add_argument(
            "--today",
            type=_date,
            default=None,
            help="Day the data is relative to, YYYY-MM-DD (default: today, UTC).",
        )
        parser.add_argument("--database", default="default", help="Database alias.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when Demo Studio already has customers (make run).",
        )

    def handle(self, *args, **options) -> None:
        if options["if_empty"] and demo_data_present(using=options["database"]):
            self.stdout.write(
                "Demo data already loaded (seed_demo without --if-empty replaces it)."
            )
            return
        try:
            summary = demo_data_seed(
                customers=options["customers"],
                apps=options["apps"],
                seed=options["seed"],
                today=options["today"],
                using=options["database"],
                log=self.stdout.write,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error

        # What the apps built on customers added: the demo groups.
        for line in summary.followed:
            self.stdout.write(f"Demo {line}")
        apps = ", ".join(f"{app.name} ({app.store_product_id})" for app in summary.apps)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {summary.customers:,} customers and "
                f"{summary.app_customers:,} app customers in {summary.seconds:.1f} s "
                f"(replaced {summary.deleted_customers:,} customers and "
                f"{summary.deleted_app_customers:,} app customers)."
            )
        )
        self.stdout.write(f"Demo Studio apps: {apps}")
        other = summary.other_app
        self.stdout.write(
            f"Northwind Games app: {other.name} ({other.store_product_id})"
        )
        width = max(len("username"), *(len(user.username) for user in summary.users))
        self.stdout.write("")
        self.stdout.write(f"{'username':<{width}}  {'password':<13}  role")
        for user in summary.users:
            self.stdout.write(
                f"{user.username:<{width}}  {DEMO_PASSWORD:<13}  {user.role}"
            )
