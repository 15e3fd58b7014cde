"""Child processes that a command starts and must never leave behind.

Each child runs in its own process group and is told by the kernel to stop
when the command dies (``PR_SET_PDEATHSIG``), so a server outlives neither a
failure, nor Ctrl-C, nor a ``kill -9`` of the command.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

LOOPBACK = "127.0.0.1"
# Starting a server takes seconds; a minute means it is broken.
START_DEADLINE_S = 60
# How long a process may take to stop after SIGTERM before SIGKILL: a Celery
# worker first finishes the recompute it runs (seconds at 1M customers).
STOP_GRACE_S = 60
PR_SET_PDEATHSIG = 1
_prctl = getattr(ctypes.CDLL(None), "prctl", None) if sys.platform == "linux" else None


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM when the parent dies."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """Return a TCP port of the loopback address that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def log_tail(path: Path, *, lines: int = 30) -> str:
    """Return the last ``lines`` lines of a log, or nothing if it is missing."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class Processes:
    """Start children that log to ``run_dir/<name>.log``; stop all on exit.

    A child is stopped by SIGTERM to it (gunicorn's master and Celery's main
    process then stop their own children gracefully), then SIGKILL to
    whatever is left of its process group after ``STOP_GRACE_S``. Start
    every child before starting threads: ``preexec_fn`` is not thread-safe.
    """

    def __init__(self, *, run_dir: Path, log: Callable[[str], None]) -> None:
        self.run_dir = run_dir
        self.log = log
        self.started: list[tuple[str, subprocess.Popen]] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop_all()

    def log_path(self, name: str) -> Path:
        return self.run_dir / f"{name}.log"

    def start(self, name: str, args: list[str], *, env: dict) -> subprocess.Popen:
        with self.log_path(name).open("ab") as log_file:
            process = subprocess.Popen(
                args,
                cwd=settings.BASE_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self.started.append((name, process))
        self.log(f"started {name} (pid {process.pid}), log {self.log_path(name)}")
        return process

    def wait_until(
        self,
        condition: Callable[[], bool],
        *,
        name: str,
        process: subprocess.Popen,
        seconds: float = START_DEADLINE_S,
    ) -> None:
        """Poll ``condition`` until it holds; fail if ``process`` exits first
        or ``seconds`` pass."""
        deadline = time.monotonic() + seconds
        while not condition():
            if process.poll() is not None:
                raise CommandError(
                    f"{name} exited with status {process.returncode}:\n"
                    + log_tail(self.log_path(name))
                )
            if time.monotonic() > deadline:
                raise CommandError(
                    f"{name} was not ready within {seconds} s:\n"
                    + log_tail(self.log_path(name))
                )
            time.sleep(0.2)

    def stop(self, name: str) -> None:
        """Stop the child ``name`` now (the others stay)."""
        for index, (started_name, process) in enumerate(self.started):
            if started_name == name:
                del self.started[index]
                self._stop(name, process)
                return

    def stop_all(self) -> None:
        """Stop every child still running, the last started first."""
        while self.started:
            name, process = self.started.pop()
            self._stop(name, process)

    def _stop(self, name: str, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                self.log(f"{name} did not stop within {STOP_GRACE_S} s: killed")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever of the group is left
        process.wait()
        self.log(f"stopped {name} (pid {process.pid})")
