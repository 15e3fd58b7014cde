"""Measure the customer import on PostgreSQL against a bare COPY of the same
file (``manage.py bench_import``, ``make bench-import``).

The file is made like the demo data (``customers.demo.generator``, seed 7):
one CSV line per app customer of three apps and another partner's app, with
the ``app`` column, customer facts repeated on each line of a customer, until
``rows`` lines. Measured in one run, each from a checkpoint when the database
allows one:

- the import into empty customer tables (the headline figure);
- the same file imported again, every row an update (the upsert);
- a bare ``COPY … (FORMAT csv, HEADER)`` of the file into a table of the same
  columns as text, without index, before and after the imports: the faster
  of the two is the baseline.

``import_vs_copy`` is the COPY's time over the import's; the import's peak
RSS is read from the kernel's high-water mark, reset just before it. What the
run created (apps, customers, the COPY table, the file) is removed at the end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import resource
import tempfile
import time
from pathlib import Path
from typing import TextIO

from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from customers import bulk, copy_import
from customers.columns import EXPORT_COLUMNS
from customers.demo.accounts import demo_store_product_id
from customers.demo.distributions import DEMO_EMAIL_SUFFIX
from customers.demo.generator import (
    APP_CUSTOMER_FIELDS,
    CUSTOMER_FIELDS,
    DemoGenerator,
)
from customers.models import App, Customer, Partner
from customers.services import customer_import

TARGET_IMPORT_VS_COPY = 0.3
BENCH_SEED = 7
BENCH_PARTNER = "Import Benchmark"
BENCH_APP_NAMES = ("Bench One", "Bench Two", "Bench Three", "Bench Other")
# The demo addresses end with DEMO_EMAIL_SUFFIX; these end with this instead,
# so the run removes exactly its own customers.
BENCH_EMAIL_SUFFIX = ".bench-import.example"
COPY_TABLE = "customers_bench_import_copy"
_APP_FACTS = [name for name in EXPORT_COLUMNS if name in APP_CUSTOMER_FIELDS]


def postgresql_require(*, command: str, make_target: str) -> None:
    """Refuse to measure anything but PostgreSQL, the production database."""
    if connection.vendor != "postgresql":
        raise CommandError(
            f"{command} measures PostgreSQL, the production database; this is "
            f"{connection.vendor}. Set DATABASE_URL=postgres://… (a scratch "
            f"database) and run `{make_target}`."
        )


def _file_write(path: Path, *, rows: int, app_ids: dict[int, str]) -> int:
    """Write ``rows`` CSV lines of demo-like customers; return the lines."""
    ids = sorted(app_ids)
    generator = DemoGenerator(
        seed=BENCH_SEED,
        today=dt.date.today(),
        app_ids=ids[:-1],
        other_app_id=ids[-1],
    )
    customer_at = {name: i for i, name in enumerate(CUSTOMER_FIELDS)}
    app_at = {name: i for i, name in enumerate(APP_CUSTOMER_FIELDS)}
    null = bulk.NULL

    def cell(value: str) -> str:
        return "" if value == null else value

    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(",".join([*EXPORT_COLUMNS, "app"]) + "\n")
        for chunk_customers, chunk_app_customers in generator.chunks(
            count=rows, first_customer_id=1, first_app_customer_id=1, stamp=""
        ):
            by_id = {row[0]: row for row in chunk_customers}
            lines = []
            for app_row in chunk_app_customers:
                customer = by_id[app_row[app_at["customer_id"]]]
                email = customer[customer_at["email"]].replace(
                    DEMO_EMAIL_SUFFIX, BENCH_EMAIL_SUFFIX
                )
                values = [
                    email,
                    "true"
                    if customer[customer_at["authenticated"]] == "t"
                    else "false",
                    cell(customer[customer_at["birth_date"]]),
                    customer[customer_at["gender"]],
                    customer[customer_at["market"]],
                    customer[customer_at["store_purchase_count"]],
                    customer[customer_at["store_acquisition_count"]],
                    customer[customer_at["store_spend"]],
                    *(cell(app_row[app_at[name]]) for name in _APP_FACTS),
                    app_ids[int(app_row[app_at["app_id"]])],
                ]
                lines.append(",".join(values) + "\n")
                written += 1
                if written == rows:
                    break
            out.writelines(lines)
            if written == rows:
                break
    return written


def _checkpoint() -> None:
    """Start from a checkpoint when the database allows one (a superuser)."""
    with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def _copy_seconds(path: Path) -> float:
    """Time a bare COPY of the file into an unindexed table of text columns."""
    columns = path.open(encoding="utf-8").readline().strip().split(",")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")
        cursor.execute(
            f"CREATE TABLE {COPY_TABLE} "
            f"({', '.join(f'{quote(name)} text' for name in columns)})"
        )
    _checkpoint()
    start = time.perf_counter()
    with transaction.atomic():
        connection.ensure_connection()
        with (
            connection.connection.cursor() as cursor,
            cursor.copy(
                f"COPY {COPY_TABLE} FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy,
            path.open("rb") as data,
        ):
            while block := data.read(1 << 20):
                copy.write(block)
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {COPY_TABLE}")
    return seconds


def _peak_rss_reset() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _CopySteps(logging.Handler):
    """Collect the COPY import's steps (``copy_import.STEP_LOG``): each
    step's seconds since its COPY began."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.at: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == copy_import.STEP_LOG:
            step, seconds = record.args
            self.at[step.split("=")[0]] = seconds


def _phases(at: dict[str, float], total: float) -> dict[str, float]:
    """Where the import's time went: reading the file and sending it by COPY,
    the two upserts, re-creating the indexes and keys dropped for a bulk
    load, and what came before and after (opening, the report, commit)."""
    staged, customers, app_customers, done = (
        at.get(step, float("nan"))
        for step in ("staged", "customers_upserted", "app_customers_upserted", "done")
    )
    return {
        name: round(seconds, 3)
        for name, seconds in {
            "read_and_copy": staged,
            "customers_upsert": customers - staged,
            "app_customers_upsert": app_customers - customers,
            "indexes_rebuilt": done - app_customers,
            "around": total - done,
        }.items()
    }


def _timed_import(path: Path, report: Path) -> tuple[float, float, int, dict]:
    """Import the file; return seconds, peak RSS (MB), rows loaded and the
    seconds of each phase (``_phases``)."""
    _checkpoint()
    _peak_rss_reset()
    steps = _CopySteps()
    copy_logger = logging.getLogger(copy_import.__name__)
    level = copy_logger.level
    copy_logger.addHandler(steps)
    copy_logger.setLevel(logging.INFO)
    try:
        start = time.perf_counter()
        result = customer_import(path=path, default_app=None, report_path=report)
        seconds = time.perf_counter() - start
    finally:
        copy_logger.removeHandler(steps)
        copy_logger.setLevel(level)
    if result.rejected:
        raise CommandError(f"the benchmark file had {result.rejected} rejected rows")
    return seconds, _peak_rss_mb(), result.loaded, _phases(steps.at, seconds)


def _apps_create() -> dict[int, str]:
    partner, _ = Partner.objects.get_or_create(name=BENCH_PARTNER)
    apps = [
        App.objects.update_or_create(
            store_product_id=demo_store_product_id(name=f"bench-import:{name}"),
            defaults={"partner": partner, "name": name},
        )[0]
        for name in BENCH_APP_NAMES
    ]
    return {app.pk: app.store_product_id for app in apps}


def _cleanup() -> None:
    bulk.rows_delete(
        model=Customer,
        where="email LIKE %s",
        params=[f"%{BENCH_EMAIL_SUFFIX}"],
        using=connection.alias,
    )
    partner = Partner.objects.filter(name=BENCH_PARTNER).first()
    if partner is not None:
        App.objects.filter(partner=partner).delete()
        partner.delete()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")


def bench_import(*, rows: int, stdout: TextIO, into_empty: bool = True) -> dict:
    """Measure the import of a ``rows``-line file; return the figures.

    With ``into_empty=False`` (``make bench``, on its million demo customers)
    the file's new customers are imported next to the ones there.
    """
    postgresql_require(command="bench_import", make_target="make bench-import")
    existing = Customer.objects.count()
    if into_empty and existing:
        raise CommandError(
            "bench_import measures an import into empty customer tables: use a "
            "scratch database without customers (createdb, then migrate)."
        )

    def say(message: str) -> None:
        stdout.write(message + "\n")
        stdout.flush()

    try:
        app_ids = _apps_create()
        with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
            path = Path(folder) / "customers.csv"
            start = time.perf_counter()
            _file_write(path, rows=rows, app_ids=app_ids)
            size_mb = path.stat().st_size / 2**20
            say(
                f"wrote {rows:,} rows ({size_mb:,.0f} MB) in "
                f"{time.perf_counter() - start:.1f} s"
            )
            copy_first = _copy_seconds(path)
            say(f"bare COPY: {copy_first:.2f} s")
            import_s, peak_mb, loaded, phases = _timed_import(
                path, Path(folder) / "r.csv"
            )
            customers = Customer.objects.count()
            where = (
                f"next to {existing:,} customers" if existing else "into empty tables"
            )
            say(
                f"import {where}: {import_s:.2f} s, "
                f"{loaded / import_s:,.0f} rows/s ({customers:,} customers), "
                f"peak RSS {peak_mb:.0f} MB"
            )
            say(
                "  of which "
                + ", ".join(f"{name} {value:.2f} s" for name, value in phases.items())
            )
            upsert_s, upsert_peak_mb, _, _ = _timed_import(path, Path(folder) / "r.csv")
            say(
                f"import again (every row an update): {upsert_s:.2f} s, "
                f"{loaded / upsert_s:,.0f} rows/s, peak RSS {upsert_peak_mb:.0f} MB"
            )
            copy_again = _copy_seconds(path)
            say(f"bare COPY again: {copy_again:.2f} s")
    finally:
        _cleanup()
        say("removed the benchmark's apps and customers")
    copy_s = min(copy_first, copy_again)
    return {
        "import_rows": rows,
        "import_seconds": round(import_s, 3),
        "copy_seconds": round(copy_s, 3),
        "import_rows_per_s": round(rows / import_s),
        "import_vs_copy": round(copy_s / import_s, 3),
        "import_phases_s": phases,
        # The ratio if reading, parsing and sending the file cost nothing:
        # the bare COPY against the import's writes alone.
        "writes_vs_copy": round(copy_s / (import_s - phases["read_and_copy"]), 3),
        "import_peak_rss_mb": round(peak_mb, 1),
        "customers": customers,
        "upsert_seconds": round(upsert_s, 3),
        "upsert_rows_per_s": round(rows / upsert_s),
        "upsert_vs_copy": round(copy_s / upsert_s, 3),
        "upsert_peak_rss_mb": round(upsert_peak_mb, 1),
        "target_import_vs_copy": TARGET_IMPORT_VS_COPY,
    }
