"""Run the project in another process, with an environment the test chooses.

Settings are read once, at start-up, so production settings and broken
services are tried in a fresh process: the test's own environment is kept,
less the project's variables, which only the test sets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Variables the project reads that a developer's shell may have set.
PROJECT_VARIABLES = {"EMAIL_URL", "DEFAULT_FROM_EMAIL", "REDIS_URL", "CACHE_URL"}


def run_project(args: list[str], **env: str) -> subprocess.CompletedProcess:
    """Run ``args`` in the project folder with ``env`` over a clean environment."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "SIGN_IN_"))
        and name not in PROJECT_VARIABLES
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(
        args,
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def run_python(script: str, **env: str) -> subprocess.CompletedProcess:
    """Run a Python ``script`` after ``django.setup()``."""
    return run_project(
        [sys.executable, "-c", f"import django\ndjango.setup()\n{script}"], **env
    )


def settings_values(*names: str, **env: str) -> dict:
    """The values of settings ``names`` in a process started with ``env``."""
    result = run_python(
        "import json\n"
        "from django.conf import settings\n"
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}))",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
