"""Import customer facts from a CSV or JSON lines file."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from customers.models import App
from customers.selectors import app_get_by_store_product_id
from customers.services import customer_import


class Command(BaseCommand):
    help = (
        "Import customers and their app facts from a CSV or JSON lines file. "
        "Valid rows are upserted; rejected rows are listed in a report CSV and "
        "make the command exit with status 1. See the README for the columns."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv or .jsonl file")
        parser.add_argument(
            "--app",
            metavar="STORE_PRODUCT_ID",
            help="the app of rows whose app column is empty or absent",
        )
        parser.add_argument(
            "--report",
            type=Path,
            metavar="PATH",
            help="where to write rejected rows (default: FILE.rejected.csv)",
        )

    def handle(
        self, *args, file: Path, app: str | None, report: Path | None, **options
    ):
        default_app = None
        if app:
            try:
                default_app = app_get_by_store_product_id(store_product_id=app)
            except App.DoesNotExist:
                raise CommandError(
                    f"unknown app {app!r}: no app has that Store product ID"
                ) from None
        report_path = report or file.with_name(f"{file.name}.rejected.csv")
        try:
            result = customer_import(
                path=file, default_app=default_app, report_path=report_path
            )
        except ValidationError as error:
            raise CommandError(f"{file}: {error.messages[0]}") from None
        summary = (
            f"read {result.read}, loaded {result.loaded}, rejected {result.rejected}"
        )
        if result.report_path is not None:
            summary += f"; rejected rows written to {result.report_path}"
        self.stdout.write(summary)
        for line in result.followed:
            self.stdout.write(line)
        if result.rejected:
            raise CommandError(
                f"{result.rejected} rows rejected: see {result.report_path}",
                returncode=1,
            )
