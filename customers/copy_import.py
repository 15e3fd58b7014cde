"""The customer import on PostgreSQL: the file streamed by COPY into a
staging table, then one upsert per table.

``customers.services.customer_import`` calls ``rows_copy_load`` when the
database takes COPY (``customers.bulk.copy_supported``); other databases keep
the batched ``bulk_create`` path. Both apply the same rules, write the same
report and return the same counts.

1. One streaming pass in Python reads the file line by line (as the readers
   do: binary data, header, line numbers) and sends each valid row by COPY
   to a temporary table, as text, with its line number and app id.

   - A CSV line whose every cell has the plain shape of a valid value
     (``customers.copy_cells``: one compiled regular expression per header,
     ~2 us a line) is sent as the file wrote it, commas turned into tabs.
     Nearly every line of a file written by a program is such a line.
   - Any other line (quoted cells, white space around a cell, a value out of
     its plain shape, every JSON line) goes through ``csv_record`` or
     ``json_record`` and ``parse_row``, as on the other path: a rejected
     row is reported with the very reason ``parse_row`` gives, a valid one
     is sent as the text of its parsed values (``copy_cell``).

   So every rejected row is rejected, and reported, by the code that
   rejects it on the other path, in file order; SQL never says why a row is
   bad. Memory stays flat: lines are read one at a time and sent in chunks.
2. ``INSERT … SELECT DISTINCT ON (email) … ORDER BY email, line DESC … ON
   CONFLICT (email) DO UPDATE`` writes the customers (the last row of each
   e-mail wins, as it does batch after batch on the other path), stamping
   ``created_at`` (new rows) and ``updated_at`` with one time taken after
   the import started, and returns their ids.
3. The same for app customers, keyed by ``(app, customer)``; new ones get a
   ``sample_key`` drawn by ``random()``, uniform in [0, 2**31), and every
   other field its model default.

A load of at least ``customers.bulk.BULK_LOAD_MIN_ROWS`` rows into tables
that keep fewer rows (``bulk.keys_drop_pays``) runs steps 2 and 3 with the
foreign keys and the indexes dropped, as the demo seed does, but for the
unique ones that ``ON CONFLICT`` needs; they are re-created and checked in
one pass each at the end (other sessions wait for the tables meanwhile).

Why this shape, measured on PostgreSQL 15 (2 cores shared with other work;
``manage.py bench_import``, 1M demo-like CSV rows with an app column, 558,657
customers, into empty tables): the import takes 20.6 s (48,600 rows/s, 112
MB peak RSS) where the batched path took ~6 minutes and a bare COPY of the
file takes 1.6 s. Reading and sending the file takes 4.0 s, Python-bound
(~2 us a line of it the shape check); checking the values in SQL instead
was slower (regular expressions over 1M staged rows: 16 s for the e-mail
addresses alone). The upserts take 5.5 s and 8.1 s, nearly all of it
PostgreSQL writing rows, their unique indexes and WAL (``ON CONFLICT``'s
speculative insertion costs ~40% more than a plain insert); re-creating the
other indexes and checking the foreign keys 2.7 s, where keeping them took
~7 s more for the keys checked row by row at commit alone.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext

from django.db import connection, models
from django.utils import timezone

from customers import bulk
from customers.columns import (
    APP_COLUMNS,
    APP_FACT_FIELDS,
    CUSTOMER_COLUMNS,
    CUSTOMER_FACT_FIELDS,
    IMPORT_COLUMNS,
)
from customers.copy_cells import NULL, RowShapes, copy_cell, value_sql
from customers.models import SAMPLE_KEY_RANGE, AppCustomer, Customer, sample_key_draw
from customers.readers import (
    FileLines,
    ParsedRow,
    Record,
    RowError,
    csv_record,
    json_record,
    parse_row,
)

logger = logging.getLogger(__name__)

# Temporary tables, named in their schema: never a table of the database.
STAGING_TABLE = "pg_temp.customers_import_rows"
IDS_TABLE = "pg_temp.customers_import_ids"
# Each step, with the seconds since the COPY began (``bench_import`` reads
# them from the records' arguments).
STEP_LOG = "customer_import.copy %s at=%.2fs"
# Rows joined into one COPY write: ~200 KB of text.
COPY_CHUNK_ROWS = 1_000
# For the sorts of the two upserts (1M rows sort in ~170 MB) and of the
# indexes re-created after a bulk load; the settings last until the import's
# transaction ends.
UPSERT_SETTINGS = {"work_mem": "256MB", "maintenance_work_mem": "256MB"}


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _staged_line(number: int, row: ParsedRow, columns: list[str]) -> str:
    """A row ``parse_row`` read, as COPY text of its parsed values."""
    values = {"email": row.email, **row.customer_facts, **(row.app_facts or {})}
    cells = "\t".join([copy_cell(values.get(name)) for name in columns])
    return f"{number}\t{copy_cell(row.app_id)}\t{cells}\n"


def _staged_chunks(
    file: FileLines,
    *,
    app_ids: dict[str, int],
    default_app_id: int | None,
    reject: Callable[[Record, str], None],
    counts: list[int],
) -> Iterator[str]:
    """Yield COPY text of the valid rows, a chunk of rows at a time; report
    the others through ``reject``.

    ``counts`` becomes ``[read, loaded]`` once every line was read.
    """
    columns = file.header or list(IMPORT_COLUMNS)

    def parsed(record: Record) -> str | None:
        if record.error is not None:
            reject(record, record.error)
            return None
        try:
            row = parse_row(
                record.cells, app_ids=app_ids, default_app_id=default_app_id
            )
        except RowError as error:
            reject(record, error.reason)
            return None
        return _staged_line(record.line, row, columns)

    read = loaded = 0
    out: list[str] = []
    if file.format == "jsonl":
        for number, text in file.lines:
            if not text or text.isspace():
                continue
            read += 1
            line = parsed(json_record(number, text))
            if line is not None:
                loaded += 1
                out.append(line)
                if len(out) >= COPY_CHUNK_ROWS:
                    yield "".join(out)
                    out.clear()
    else:
        shapes = RowShapes(
            file.header,
            app_ids=app_ids,
            default_app_id=default_app_id,
            today=timezone.now().date(),
        )
        # The loop below runs once a line, a million times a file: names bound
        # locally, one COPY row appended per plain line.
        app_id_of, other, header = shapes.app_id, RowShapes.OTHER, file.header
        add, tab = out.append, "\t"
        app_text = {app_id: str(app_id) for app_id in app_ids.values()}
        app_text[None] = NULL
        for number, text in file.lines:
            if not text or text.isspace():
                continue
            read += 1
            app_id = app_id_of(text)
            if app_id is not other:
                add(f"{number}\t{app_text[app_id]}\t{text.replace(',', tab)}\n")
            else:
                line = parsed(csv_record(number, text, header))
                if line is None:
                    continue
                add(line)
            loaded += 1
            if len(out) >= COPY_CHUNK_ROWS:
                yield "".join(out)
                out.clear()
    if out:
        yield "".join(out)
    counts[:] = read, loaded


def _staging_create(cursor) -> None:
    cells = ", ".join(f"{_quote(name)} text" for name in IMPORT_COLUMNS)
    cursor.execute(f"DROP TABLE IF EXISTS {STAGING_TABLE}")
    cursor.execute(
        f"CREATE TEMP TABLE {STAGING_TABLE} "
        f"(line integer NOT NULL, app_id bigint, {cells}) ON COMMIT DROP"
    )


def _copy(chunks: Iterator[str], columns: list[str]) -> None:
    """Stream the chunks of COPY text into the staging table."""
    names = ", ".join(["line", "app_id", *(_quote(name) for name in columns)])
    sql = f"COPY {STAGING_TABLE} ({names}) FROM STDIN"
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for chunk in chunks:
            copy.write(chunk)


def _values(
    model: type[models.Model], facts: dict[str, tuple[str, list]], now: dt.datetime
) -> tuple[list[str], list[str], list[object]]:
    """The columns to insert into ``model``, their SQL and parameters.

    ``facts`` gives the SQL of the fields read from the file (and the keys);
    timestamps take ``now``, the sample key a draw, any other field its model
    default, so a field added later cannot be left out unnoticed.
    """
    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(_quote(field.column))
        if field.name in facts:
            sql, field_params = facts[field.name]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            sql, field_params = "%s", [now]
        elif field.default is sample_key_draw:
            sql, field_params = "floor(random() * %s)::integer", [SAMPLE_KEY_RANGE]
        elif field.has_default() and not callable(field.default):
            sql, field_params = "%s", [field.get_default()]
        else:
            raise RuntimeError(
                f"{model._meta.label}.{field.name}: the COPY import has no value "
                "for it (customers.copy_import)."
            )
        values.append(sql)
        params += field_params
    return columns, values, params


def _facts(names: list[str], prefix: str) -> dict[str, tuple[str, list]]:
    return {name: value_sql(name, f"{prefix}{_quote(name)}") for name in names}


def _customers_upsert(cursor, *, now: dt.datetime) -> None:
    """Upsert one customer per e-mail, from its last row; keep their ids."""
    facts = _facts([c.name for c in CUSTOMER_COLUMNS], "s.")
    columns, values, params = _values(Customer, facts, now)
    named = ", ".join(f"{v} AS {c}" for c, v in zip(columns, values, strict=True))
    updates = ", ".join(
        f"{_quote(name)} = EXCLUDED.{_quote(name)}"
        for name in [*CUSTOMER_FACT_FIELDS, "updated_at"]
    )
    # The e-mail's SQL reads it in the "C" collation: bytes compare, as
    # equality does, and the sort is fast.
    cursor.execute(f"DROP TABLE IF EXISTS {IDS_TABLE}")
    cursor.execute(
        f"""
        CREATE TEMP TABLE {IDS_TABLE} ON COMMIT DROP AS
        WITH written AS (
            INSERT INTO {_quote(Customer._meta.db_table)} ({", ".join(columns)})
            SELECT DISTINCT ON (rows.email) {", ".join(f"rows.{c}" for c in columns)}
            FROM (
                SELECT s.line, {named}
                FROM {STAGING_TABLE} s
            ) rows
            ORDER BY rows.email, rows.line DESC
            ON CONFLICT ({_quote("email")}) DO UPDATE SET {updates}
            RETURNING id, email
        )
        SELECT id, email::text COLLATE "C" AS email FROM written
        """,
        params,
    )
    # Its statistics make the join of the app customers a hash join.
    cursor.execute(f"ANALYZE {IDS_TABLE}")


def _app_customers_upsert(cursor, *, now: dt.datetime) -> None:
    """Upsert one app customer per (app, e-mail), from its last row."""
    facts = _facts([c.name for c in APP_COLUMNS], "s.")
    email, email_params = value_sql("email", "s.email")
    facts["app"] = ("s.app_id", [])
    facts["customer"] = ("ids.id", [])
    columns, values, params = _values(AppCustomer, facts, now)
    updates = ", ".join(
        f"{_quote(name)} = EXCLUDED.{_quote(name)}" for name in APP_FACT_FIELDS
    )
    cursor.execute(
        f"""
        INSERT INTO {_quote(AppCustomer._meta.db_table)} ({", ".join(columns)})
        SELECT DISTINCT ON (s.app_id, ids.id) {", ".join(values)}
        FROM {STAGING_TABLE} s JOIN {IDS_TABLE} ids ON ids.email = {email}
        WHERE s.app_id IS NOT NULL
        ORDER BY s.app_id, ids.id, s.line DESC
        ON CONFLICT ({_quote("app_id")}, {_quote("customer_id")})
        DO UPDATE SET {updates}
        """,
        [*params, *email_params],
    )


def _rows_kept(model: type[models.Model], cursor) -> int:
    """The rows of ``model``'s table: its statistics' rows per page times its
    pages now (as the planner estimates), or a count if it has none."""
    cursor.execute(
        "SELECT reltuples, relpages,"
        " pg_relation_size(oid) / current_setting('block_size')::integer"
        " FROM pg_class WHERE oid = %s::regclass",
        [model._meta.db_table],
    )
    tuples, pages, pages_now = cursor.fetchone()
    if tuples >= 0 and pages > 0:
        return round(tuples / pages * pages_now)
    cursor.execute(f"SELECT count(*) FROM {_quote(model._meta.db_table)}")
    return cursor.fetchone()[0]


def rows_copy_load(
    *,
    file: FileLines,
    app_ids: dict[str, int],
    default_app_id: int | None,
    reject: Callable[[Record, str], None],
) -> tuple[int, int]:
    """Load the valid rows of an opened file; return ``(read, loaded)``.

    Call inside a transaction. Rejected rows go to ``reject`` in file order.
    """
    counts = [0, 0]
    start = time.perf_counter()

    def log(step: str) -> None:
        logger.info(STEP_LOG, step, time.perf_counter() - start)

    with connection.cursor() as cursor:
        _staging_create(cursor)
        _copy(
            _staged_chunks(
                file,
                app_ids=app_ids,
                default_app_id=default_app_id,
                reject=reject,
                counts=counts,
            ),
            file.header or list(IMPORT_COLUMNS),
        )
        read, loaded = counts
        log(f"staged={loaded}")
        if loaded:
            for name, value in UPSERT_SETTINGS.items():
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
            using = connection.alias
            dropped = (
                bulk.keys_and_indexes_dropped(
                    on_models=[Customer, AppCustomer],
                    using=using,
                    log=log,
                    keep_unique=True,
                )
                if bulk.keys_drop_pays(
                    loading=loaded,
                    keeping=_rows_kept(AppCustomer, cursor),
                    using=using,
                )
                else nullcontext()
            )
            now = timezone.now()
            with dropped:
                _customers_upsert(cursor, now=now)
                log("customers_upserted")
                _app_customers_upsert(cursor, now=now)
                log("app_customers_upserted")
            log("done")
            cursor.execute(f"DROP TABLE {IDS_TABLE}")
        cursor.execute(f"DROP TABLE {STAGING_TABLE}")
    return read, loaded
