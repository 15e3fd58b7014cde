"""Write use cases over customers and their app facts."""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from customers import bulk, hooks
from customers.columns import APP_FACT_FIELDS, CUSTOMER_FACT_FIELDS
from customers.copy_import import rows_copy_load
from customers.errors import CustomerFileError
from customers.models import App, AppCustomer, Customer
from customers.readers import (
    ParsedRow,
    Record,
    RowError,
    customer_file_lines,
    file_records,
    parse_row,
)

logger = logging.getLogger(__name__)

# Databases without COPY (SQLite): valid rows loaded per round of three
# statements (customer upsert, id fetch, app customer upsert). PostgreSQL
# loads them all at once instead (``customers.copy_import``). Measured on
# PostgreSQL before that path existed, 100,000 new rows: ~38 s wall, ~30 s of
# it Python (bulk_create prepares ~70 us a row, parsing ~50 us), with a flat
# 87 MB peak RSS at 20,000 and 100,000 rows alike. Larger batches save few
# round trips and hold more in memory.
IMPORT_BATCH_SIZE = 5_000


@dataclass(frozen=True)
class ImportResult:
    """What an import did: line counts, the report, the apps whose data changed.

    ``read`` counts non-blank data lines, ``read == loaded + rejected``.
    ``app_ids`` are the apps whose segments may have changed: the apps of the
    imported app rows and every app of a customer whose facts were written.
    ``followed`` is what the ``customer_data_changed`` hook reported doing.
    """

    read: int
    loaded: int
    rejected: int
    report_path: Path | None
    app_ids: frozenset[int]
    followed: tuple[str, ...] = ()


@dataclass
class _Batch:
    """Valid rows awaiting load, deduplicated so that later rows win.

    PostgreSQL's ``ON CONFLICT DO UPDATE`` cannot touch one row twice in a
    statement, so each key appears once per batch; across batches the later
    upsert simply overwrites the earlier one.
    """

    rows: int = 0
    customers: dict[str, Customer] = field(default_factory=dict)
    app_customers: dict[tuple[int, str], dict] = field(default_factory=dict)

    def add(self, row: ParsedRow) -> None:
        self.rows += 1
        # Pop first so a repeated e-mail moves to the end: dict order then
        # follows the file, which keeps the upsert order deterministic.
        self.customers.pop(row.email, None)
        self.customers[row.email] = Customer(email=row.email, **row.customer_facts)
        if row.app_id is not None:
            key = (row.app_id, row.email)
            self.app_customers.pop(key, None)
            self.app_customers[key] = row.app_facts


class _RejectReport:
    """The rejected rows, written to a temporary file beside the report path.

    Streaming keeps memory flat however many rows are rejected; the file takes
    its final name only once the import has committed, so an import that
    fails leaves no report behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = None
        self._writer = None

    def add(self, *, line: int, reason: str, text: str) -> None:
        if self._file is None:
            self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115 closed in publish/discard
                "w",
                encoding="utf-8",
                newline="",
                dir=self.path.parent,
                prefix=f".{self.path.name}.",
                suffix=".tmp",
                delete=False,
            )
            self._writer = csv.writer(self._file)
            self._writer.writerow(["line", "reason", "row"])
        self._writer.writerow([line, reason, text])

    def publish(self) -> Path | None:
        """Move the report into place; return its path, or None if empty."""
        if self._file is None:
            return None
        self._file.close()
        os.replace(self._file.name, self.path)
        return self.path

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            Path(self._file.name).unlink(missing_ok=True)


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _customer_ids(emails: list[str]) -> dict[str, int]:
    # SQLite caps the parameters of one statement; PostgreSQL takes them all.
    size = connection.ops.bulk_batch_size(["email"], emails)
    ids: dict[str, int] = {}
    for chunk in _chunks(emails, size):
        ids.update(Customer.objects.filter(email__in=chunk).values_list("email", "id"))
    return ids


def _load(batch: _Batch) -> None:
    """Upsert a batch of customers, then their app facts.

    Three statements a batch (more on SQLite, which splits them), never one a
    row.
    """
    if not batch.customers:
        return
    Customer.objects.bulk_create(
        list(batch.customers.values()),
        update_conflicts=True,
        unique_fields=["email"],
        update_fields=[*CUSTOMER_FACT_FIELDS, "updated_at"],
    )
    ids = _customer_ids(list(batch.customers))
    if batch.app_customers:
        AppCustomer.objects.bulk_create(
            [
                AppCustomer(app_id=app_id, customer_id=ids[email], **facts)
                for (app_id, email), facts in batch.app_customers.items()
            ],
            update_conflicts=True,
            unique_fields=["app", "customer"],
            update_fields=APP_FACT_FIELDS,
        )


def _forget_logged_queries() -> None:
    """Drop the queries Django logs with DEBUG on, between batches.

    Each logged bulk statement carries its 5,000 rows of values (~1 MB), and
    Django keeps the last 9,000 queries: a 1M-row import under DEBUG would
    hold gigabytes. Query counters in tests (``force_debug_cursor``) keep
    theirs.
    """
    if not connection.force_debug_cursor:
        connection.queries_log.clear()


def _apps_of_customers_written_since(started: dt.datetime) -> set[int]:
    """The apps of every customer whose row was written since ``started``.

    Customer facts (age, gender, market, ...) feed the segments of every app
    the customer has, not only of the apps named in the file. The import
    stamps ``updated_at`` on each customer it writes, so one query at the end
    finds them (a concurrent writer's customers may join in, which only means
    a needless recompute). Measured on 100,000 rows: 0.15 s here, against
    ~2 s for a lookup after each batch.
    """
    return set(
        AppCustomer.objects.filter(customer__updated_at__gte=started)
        .values_list("app_id", flat=True)
        .distinct()
    )


def _rows_batched_load(
    records: Iterator[Record],
    *,
    app_ids: dict[str, int],
    default_app_id: int | None,
    report: _RejectReport,
) -> tuple[int, int]:
    """Parse each record and upsert the valid rows in batches (any database);
    return ``(read, loaded)``."""
    read = loaded = 0
    batch = _Batch()
    for record in records:
        read += 1
        if record.error is not None:
            report.add(line=record.line, reason=record.error, text=record.text)
            continue
        try:
            row = parse_row(
                record.cells, app_ids=app_ids, default_app_id=default_app_id
            )
        except RowError as error:
            report.add(line=record.line, reason=error.reason, text=record.text)
            continue
        batch.add(row)
        if batch.rows >= IMPORT_BATCH_SIZE:
            _load(batch)
            _forget_logged_queries()
            loaded += batch.rows
            batch = _Batch()
    _load(batch)
    loaded += batch.rows
    return read, loaded


def customer_import(
    *, path: Path, default_app: App | None, report_path: Path
) -> ImportResult:
    """Load a CSV or JSON lines file of customer facts, rejecting bad rows.

    Each valid row replaces the stored facts of its customer and, when the row
    has an app (its ``app`` cell, else ``default_app``), of that app
    customer. Valid rows are upserted in batches inside one transaction: a
    crash loads nothing. Rejected rows go to a CSV at ``report_path``
    (``line,reason,row``), written only if some row was rejected.

    Once committed, if any row loaded, call the ``customer_data_changed``
    hook (``customers.hooks``): what builds on customer data (segments, known
    user groups) catches up with the apps and customers written.

    Raise ``ValidationError`` (nothing changed, no report) when the file
    cannot be read as a whole: missing, empty, binary, no header, unknown
    columns.
    """
    if report_path.resolve() == path.resolve():
        raise CustomerFileError.REPORT_IS_INPUT.error()
    if not report_path.parent.is_dir():
        raise CustomerFileError.REPORT_FOLDER_MISSING.error(report=report_path)
    # Apps are few: one query here spares a lookup per row.
    app_ids = dict(App.objects.values_list("store_product_id", "id"))
    default_app_id = default_app.pk if default_app is not None else None
    affected: set[int] = set()
    report = _RejectReport(report_path)
    started = timezone.now()
    try:
        with (
            customer_file_lines(
                path, every_row_has_app=default_app is not None
            ) as file,
            transaction.atomic(),
        ):
            if bulk.copy_supported(using=connection.alias):
                read, loaded = rows_copy_load(
                    file=file,
                    app_ids=app_ids,
                    default_app_id=default_app_id,
                    reject=lambda record, reason: report.add(
                        line=record.line, reason=reason, text=record.text
                    ),
                )
            else:
                read, loaded = _rows_batched_load(
                    file_records(file),
                    app_ids=app_ids,
                    default_app_id=default_app_id,
                    report=report,
                )
            if loaded:
                affected = _apps_of_customers_written_since(started)
    except BaseException:
        report.discard()
        raise
    published = report.publish()
    followed = []
    if loaded:
        followed = hooks.customer_data_changed(app_ids=affected, since=started)
    result = ImportResult(
        read=read,
        loaded=loaded,
        rejected=read - loaded,
        report_path=published,
        app_ids=frozenset(affected),
        followed=tuple(followed),
    )
    logger.info(
        "customer_import.done path=%s read=%d loaded=%d rejected=%d apps=%d",
        path,
        result.read,
        result.loaded,
        result.rejected,
        len(result.app_ids),
    )
    return result
