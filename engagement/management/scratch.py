"""What the measuring commands share: a scratch PostgreSQL database of N demo
customers of one app (``bench_segments``, ``load_dashboard``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

from django.conf import settings

from customers.demo import APP_NAMES, demo_store_product_id
from customers.management.bench_import import postgresql_require
from customers.models import App, AppCustomer

# The seed both measurements use, so one scratch database serves both.
SCRATCH_SEED = 7


# One refusal for every benchmark, the import's included (customers' own).
scratch_postgresql_require = postgresql_require


def scratch_demo_app(*, customers: int, seed: int, log: Callable[[str], None]) -> App:
    """Return the first demo app with exactly ``customers`` app customers.

    Reuse the database when it already holds that many; otherwise replace the
    demo data with ``seed_demo --customers N --apps 1`` (every customer then
    acquired that app), which also computes the demo segments.
    """
    store_product_id = demo_store_product_id(name=APP_NAMES[0])
    app = App.objects.filter(store_product_id=store_product_id).first()
    have = AppCustomer.objects.filter(app=app).count() if app else 0
    if have == customers:
        log(f"reusing {have:,} customers of {app}")
        return app
    log(f"seeding {customers:,} customers of one app (seed_demo)…")
    start = time.perf_counter()
    # A child process: its memory does not count against this one's peak.
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "seed_demo",
            f"--customers={customers}",
            "--apps=1",
            f"--seed={seed}",
        ],
        check=True,
        cwd=settings.BASE_DIR,
        env=os.environ.copy(),
    )
    log(f"seeded in {time.perf_counter() - start:.1f} s")
    return App.objects.get(store_product_id=store_product_id)
