"""Load and delete many rows at once: COPY, keys and indexes, set-based
inserts and deletes.

Rows travel as tuples of COPY text (``NULL`` for none): PostgreSQL (psycopg 3)
receives them by COPY, other backends by ``bulk_create`` with the model's
fields parsing the text. Nothing here knows what the rows are: the demo seed
(``customers.demo``) is the caller today.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from django.core.management.color import no_style
from django.db import connections, models
from django.db.models import Max
from django.db.models.expressions import RawSQL

# COPY's text-format NULL. Rows are tuples of COPY text so the PostgreSQL path
# joins them as they are; the other backends map this back to None.
NULL = r"\N"
Rows = list[tuple[str, ...]]
T = TypeVar("T")

# Below this many rows loaded, keys and indexes are kept up to date during the
# load: it costs a few seconds at most, and leaves the tables readable by other
# sessions meanwhile (dropping keys locks them until commit).
BULK_LOAD_MIN_ROWS = 100_000
# SQLite: 20,000 customers and their ~36,000 app customers take ~10 s, nearly
# all of it bulk_create's work per value; batches of 250 to 2,000 measure alike.
BULK_CREATE_BATCH_SIZE = 1_000


def copy_supported(*, using: str) -> bool:
    """Return whether the database takes COPY through psycopg 3."""
    if connections[using].vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3


def keys_drop_pays(*, loading: int, keeping: int, using: str) -> bool:
    """Return whether to drop keys and indexes to load ``loading`` rows into a
    table that keeps ``keeping`` rows besides.

    Rebuilding costs by the rows a table ends with (~10 µs a row), keeping
    them up to date by the rows written (~21 µs a row, measured at 1M): it
    pays once the load writes at least as many rows as the table keeps.
    """
    return (
        connections[using].vendor == "postgresql"
        and loading >= BULK_LOAD_MIN_ROWS
        and loading >= keeping
    )


@contextmanager
def keys_and_indexes_dropped(
    *,
    on_models: Sequence[type[models.Model]],
    using: str,
    log: Callable[[str], None],
    keep_unique: bool = False,
) -> Iterator[None]:
    """Drop the keys and indexes of these models' tables; re-create them on exit.

    ``keep_unique`` keeps the unique indexes and constraints, for loads that
    upsert (``INSERT … ON CONFLICT`` needs them).

    On PostgreSQL, drops the foreign keys from and to the tables and every
    index but the primary keys, as its advice for bulk loads goes. At 1M
    customers and 1.7M app customers, COPY takes ~20 s instead of ~60 s, the
    re-created indexes ~25 s, and checking each key in one pass ~3 s instead
    of ~26 s of row-by-row checks at commit (~13 s more for deleting 1M
    customers). Call inside a transaction: on error its rollback restores
    them, and other sessions wait for the tables instead of seeing them bare.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    tables = [model._meta.db_table for model in on_models]
    # Run the checks pending on these tables (rows written earlier in this
    # transaction): PostgreSQL refuses to alter a table that has some.
    connection.check_constraints()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE contype = 'f'
              AND (conrelid = ANY(%s::text[]::regclass[])
                   OR confrelid = ANY(%s::text[]::regclass[]))
            ORDER BY oid
            """,
            [tables, tables],
        )
        foreign_keys = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        cursor.execute(
            """
            SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text,
                   c.conname, pg_get_indexdef(i.indexrelid),
                   pg_get_constraintdef(c.oid)
            FROM pg_index i
            LEFT JOIN pg_constraint c
              ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                 AND c.contype IN ('u', 'x')
            WHERE i.indrelid = ANY(%s::text[]::regclass[]) AND NOT i.indisprimary
              AND NOT (i.indisunique AND %s)
            ORDER BY i.indexrelid
            """,
            [tables, keep_unique],
        )
        indexes = cursor.fetchall()
        for table, index, constraint, _, _ in indexes:
            if constraint:
                cursor.execute(
                    f"ALTER TABLE {table} DROP CONSTRAINT {quote(constraint)}"
                )
            else:
                cursor.execute(f"DROP INDEX {index}")
    log(f"Dropped {len(foreign_keys)} foreign keys and {len(indexes)} indexes")
    yield
    # The load's own writes may have left checks pending too (an UPDATE of a
    # row inserted earlier in the transaction queues one for its other keys).
    connection.check_constraints()
    with connection.cursor() as cursor:
        for table, _, constraint, index_definition, definition in indexes:
            if constraint:
                cursor.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT {quote(constraint)} "
                    f"{definition}"
                )
            else:
                cursor.execute(index_definition)
        log(f"Re-created {len(indexes)} indexes")
        for table, name, definition in foreign_keys:
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"
            )
        log(f"Re-created and checked {len(foreign_keys)} foreign keys")


def rows_delete(
    *,
    model: type[models.Model],
    where: str,
    params: Sequence[object] = (),
    using: str,
) -> int:
    """Delete the rows of ``model`` that the SQL condition ``where`` selects.

    A raw ``DELETE … WHERE`` rather than ``QuerySet.delete()``: Django's
    collector loads every row into Python to find what references it, then
    deletes 100 ids a statement. Measured on PostgreSQL, deleting 1M demo
    customers (with 1.1M app customers and 0.45M memberships) took 97 s and
    1.7 GB through the collector, 3.5 s and no memory here (100,000: 8.0 s
    against 1.4 s).

    Rows of other models that reference the deleted ones are handled first,
    each relation as its ``on_delete`` says, with the selection as a subquery
    (one statement each, nothing loaded): CASCADE by this same function, so
    their own dependants first, SET_NULL by ``QuerySet.update()``;
    DO_NOTHING is the database's business. Any other ``on_delete`` (PROTECT,
    RESTRICT, SET_DEFAULT, SET()) raises ``RuntimeError`` if rows reference
    the deleted ones, before any row of that level is deleted (call it in a
    transaction: deeper levels may have been): no relation needs it today.
    No signal is sent. Return how many rows of ``model`` were deleted.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    selected = RawSQL(
        f"SELECT {quote(model._meta.pk.column)} FROM {table} WHERE {where}", params
    )
    referencing = [
        (
            relation.on_delete,
            relation.field,
            relation.related_model._base_manager.using(using).filter(
                **{f"{relation.field.name}__in": selected}
            ),
        )
        for relation in _relations_to(model)
    ]
    handled = (models.CASCADE, models.SET_NULL, models.DO_NOTHING)
    for on_delete, field, rows in referencing:
        if on_delete not in handled and rows.exists():
            raise RuntimeError(
                f"{rows.model._meta.label}.{field.name} ({on_delete.__name__}) "
                f"refers to {model._meta.label} rows that must be deleted."
            )
    for on_delete, field, rows in referencing:
        if on_delete is models.CASCADE and _relations_to(rows.model):
            # The same way down: rows with dependants of their own (channels
            # with their deliveries) went through the collector, every row
            # loaded (2.4M channels of a 4M-customer demo: 2.5 GB).
            rows_delete(
                model=rows.model,
                where=f"{quote(field.column)} IN ({selected.sql})",
                params=selected.params,
                using=using,
            )
        elif on_delete is models.CASCADE:
            rows.delete()  # one DELETE: nothing refers to these rows
        elif on_delete is models.SET_NULL:
            rows.update(**{field.name: None})
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {where}", params)
        return cursor.rowcount


def _relations_to(model: type[models.Model]) -> list:
    """The reverse side of every foreign key and one-to-one pointing at
    ``model``, the hidden ones of many-to-many tables included."""
    return [
        relation
        for relation in model._meta.get_fields(include_hidden=True)
        if relation.auto_created
        and not relation.concrete
        and (relation.one_to_one or relation.one_to_many)
    ]


def next_id(*, model: type[models.Model], using: str) -> int:
    """Return an id above every existing row of ``model``."""
    return (model._base_manager.using(using).aggregate(top=Max("pk"))["top"] or 0) + 1


def copy_text(rows: Rows) -> str:
    """Join rows of COPY text into what ``text_copy`` streams."""
    return "".join(["\t".join(row) + "\n" for row in rows])


def text_copy(
    *, model: type[models.Model], fields: Sequence[str], text: str, using: str
) -> None:
    """Stream COPY text (tab-separated, ``\\N`` for NULL) into ``model``'s table."""
    connection = connections[using]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(text)


def rows_bulk_create(
    *, model: type[models.Model], fields: Sequence[str], rows: Rows, using: str
) -> None:
    """Insert rows of COPY text with ``bulk_create``; the fields parse the text."""
    model._base_manager.using(using).bulk_create(
        (
            model(
                **{
                    name: None if value == NULL else value
                    for name, value in zip(fields, row, strict=True)
                }
            )
            for row in rows
        ),
        batch_size=BULK_CREATE_BATCH_SIZE,
    )


def tables_loaded(*, on_models: Sequence[type[models.Model]], using: str) -> None:
    """Finish a load that chose its own ids: move the id sequences past them,
    and on PostgreSQL refresh the tables' statistics.

    Fresh statistics make the next queries plan for the rows just loaded:
    ~1.5 s for customers and app customers at 1M customers.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), on_models):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            for model in on_models:
                cursor.execute(
                    f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}"
                )


def prefetched(items: Iterator[T]) -> Iterator[T]:
    """Yield from ``items``, drawing the next item in a thread meanwhile.

    Worth it when drawing is Python work and consuming waits on I/O (which
    releases the GIL). One item is drawn ahead, never more. An exception
    raised while drawing is raised here; if the consumer stops early, the
    item being drawn is finished and the thread ends.
    """
    done = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch") as pool:
        upcoming = pool.submit(next, items, done)
        while (item := upcoming.result()) is not done:
            upcoming = pool.submit(next, items, done)
            yield item


def rows_insert_select(
    *, model: type[models.Model], fields: Sequence[str], rows: models.QuerySet
) -> int:
    """Insert into ``model``'s ``fields`` what ``rows`` (a ``values_list``
    with one value per field, in order) selects, in one ``INSERT … SELECT``
    on the database: no row travels through Python. Return the rows
    inserted."""
    connection = connections[rows.db]
    select_sql, params = rows.query.sql_with_params()
    columns = ", ".join(
        connection.ops.quote_name(model._meta.get_field(name).column) for name in fields
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({columns}) {select_sql}", params
        )
        return cursor.rowcount
