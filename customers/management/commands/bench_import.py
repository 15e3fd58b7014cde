"""Measure the customer import against a bare COPY of the same file.

``manage.py bench_import --rows 1000000`` (``make bench-import``) on a
scratch PostgreSQL database without customers: see
``customers.management.bench_import`` for what is measured. Prints the
figures, then one JSON line; exits with status 1 when the import is slower
than the target share of the COPY's speed.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from customers.management.bench_import import (
    TARGET_IMPORT_VS_COPY,
    bench_import,
    postgresql_require,
)


class Command(BaseCommand):
    help = (
        "Benchmark import_customers on PostgreSQL against a bare COPY of the "
        "same generated file (a scratch database without customers)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)

    def handle(self, *args, rows, **options):
        postgresql_require(command="bench_import", make_target="make bench-import")
        if rows < 1:
            raise CommandError("--rows must be at least 1")
        figures = bench_import(rows=rows, stdout=self.stdout)
        met = figures["import_vs_copy"] >= TARGET_IMPORT_VS_COPY
        self.stdout.write(
            f"import: {figures['import_rows_per_s']:,} rows/s, "
            f"{figures['import_vs_copy']:.3f} of the bare COPY's speed (target "
            f"{TARGET_IMPORT_VS_COPY}): " + ("met" if met else "MISSED")
        )
        self.stdout.write(json.dumps(figures))
        if not met:
            raise CommandError(
                f"import_vs_copy {figures['import_vs_copy']} is below the target "
                f"{TARGET_IMPORT_VS_COPY}",
                returncode=1,
            )
