"""Export the customers of one app with their raw stored facts, as CSV."""

import csv
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from customers.columns import EXPORT_COLUMNS, format_export_row
from customers.models import App
from customers.selectors import app_customer_export_rows, app_get_by_store_product_id

# Rows fetched per round trip; on PostgreSQL a server-side cursor, so memory
# stays flat for a 1M-customer app.
EXPORT_CHUNK_SIZE = 5_000


class Command(BaseCommand):
    help = (
        "Write one CSV row per customer of an app, with the raw stored facts, "
        "in the columns import_customers reads back (import it with --app)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--app", required=True, metavar="STORE_PRODUCT_ID", help="the app"
        )
        parser.add_argument(
            "--out", type=Path, metavar="FILE", help="write here instead of stdout"
        )

    def handle(self, *args, app: str, out: Path | None, **options):
        try:
            app_obj = app_get_by_store_product_id(store_product_id=app)
        except App.DoesNotExist:
            raise CommandError(
                f"unknown app {app!r}: no app has that Store product ID"
            ) from None
        rows = app_customer_export_rows(app=app_obj).iterator(
            chunk_size=EXPORT_CHUNK_SIZE
        )
        if out is None:
            try:
                self._write(self.stdout, rows)
            except BrokenPipeError:
                # The reader has gone (``| head``): stop quietly, as Unix tools
                # do, and keep Python from failing again on flushing stdout.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        try:
            with out.open("w", encoding="utf-8", newline="") as stream:
                count = self._write(stream, rows)
        except OSError as error:
            raise CommandError(f"cannot write {out}: {error.strerror}") from None
        self.stderr.write(f"exported {count} customers of {app_obj} to {out}")

    def _write(self, stream, rows) -> int:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        count = 0
        for values in rows:
            writer.writerow(format_export_row(values))
            count += 1
        return count
