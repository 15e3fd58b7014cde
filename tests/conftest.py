"""Shared fixtures: a partner with an app, its editor and viewer clients, and
a CPU-time bound for calls that must not run away."""

import os
import pickle
import resource
import signal
import traceback
from collections.abc import Callable
from typing import Any

import pytest

import tests.profiles  # noqa: F401  (loads the Hypothesis profile before any test)
from customers.models import PartnerMembership
from tests.factories import (
    AppFactory,
    PartnerFactory,
    PartnerMembershipFactory,
    UserFactory,
)


@pytest.fixture
def partner(db):
    return PartnerFactory(name="Contoso Games")


@pytest.fixture
def app(partner):
    return AppFactory(partner=partner, name="Contoso Racer")


@pytest.fixture
def editor(partner):
    return PartnerMembershipFactory(
        partner=partner, user=UserFactory(username="editor")
    ).user


@pytest.fixture
def viewer(partner):
    return PartnerMembershipFactory(
        partner=partner,
        user=UserFactory(username="viewer"),
        role=PartnerMembership.Role.VIEWER,
    ).user


@pytest.fixture
def other_partner(db):
    return PartnerFactory(name="Northwind Apps")


@pytest.fixture
def other_app(other_partner):
    return AppFactory(partner=other_partner, name="Northwind Notes")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def support_client(client):
    """A staff member of the Support group, signed in (the support admin)."""
    from customers.demo.accounts import support_group_upsert

    user = UserFactory(username="support", is_staff=True)
    user.groups.add(support_group_upsert())
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _clean_state():
    """Each test starts in English with an empty cache: a request in French
    leaves French active in the thread, and ids repeat across tests."""
    from django.core.cache import cache
    from django.utils import translation

    translation.activate("en")
    cache.clear()
    yield
    cache.clear()
    translation.activate("en")


@pytest.fixture(autouse=True)
def _migration_data(request):
    """Restore the rows data migrations create (segment templates, beat
    schedules): the flush after a transactional test deletes them for every
    test that runs later."""
    if request.node.get_closest_marker("django_db") is None and not (
        {"db", "transactional_db"} & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("_django_db_helper")
    from importlib import import_module

    from django.apps import apps

    for module, function in (
        ("engagement.migrations.0002_segment_templates", "create_templates"),
        ("engagement.migrations.0003_daily_recompute_schedule", "create_schedule"),
        (
            "engagement.migrations.0005_known_user_group_linker_schedule",
            "create_schedule",
        ),
        ("engagement.migrations.0007_segment_recompute_sweeper", "create_schedule"),
        ("targeting.migrations.0002_flights_audience", "create_schedule"),
    ):
        getattr(import_module(module), function)(apps, None)


# CPU seconds a bounded call may use. Every bounded call in the suite needs a
# few milliseconds; the defects it guards against burn a minute or never end.
CPU_LIMIT_SECONDS = 10


class CpuLimitExceeded(AssertionError):
    """A call ran past its CPU-time limit; the kernel killed its process."""


def _child_database() -> None:
    """Give a forked child a database connection of its own.

    SQLite's in-memory test database is a copy in the child's memory and is
    used as it is. A PostgreSQL socket is shared with the parent: the child
    keeps the inherited connection object alive (garbage-collecting it would
    send the server a Terminate message on the parent's session) and opens a
    new one, which sees what the test committed (use ``transactional_db``).
    """
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if connection.vendor == "sqlite":
            continue
        _INHERITED.append(connection.connection)
        connection.connection = None
        connection.in_atomic_block = False
        connection.savepoint_ids = []
        connection.needs_rollback = False


_INHERITED: list[Any] = []


def run_cpu_bounded(
    function: Callable[..., Any], *args: Any, seconds: int = CPU_LIMIT_SECONDS
) -> Any:
    """Run ``function(*args)`` in a forked child limited to ``seconds`` of CPU.

    Return what it returns, or raise what it raised (its traceback in the
    message when the exception does not pickle). When the call runs past the
    limit the kernel kills the child, even inside a C call that never checks
    for signals, and ``CpuLimitExceeded`` is raised: old code fails, it does
    not hang. CPU time, not wall time, so a busy machine changes nothing.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 0
        try:
            os.close(read_end)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
            _child_database()
            try:
                outcome = ("value", function(*args))
            except BaseException as exc:
                outcome = ("error", exc, traceback.format_exc())
            try:
                payload = pickle.dumps(outcome)
            except Exception:
                payload = pickle.dumps(
                    ("error", None, f"unpicklable outcome: {outcome!r:.2000}")
                )
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    _pid, wait_status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(wait_status):
        number = os.WTERMSIG(wait_status)
        if number in (signal.SIGXCPU, signal.SIGKILL):
            raise CpuLimitExceeded(
                f"{getattr(function, '__name__', function)}{args!r:.200} used more "
                f"than {seconds} s of CPU"
            )
        raise AssertionError(f"the child died of signal {number}")
    if not payload:
        raise AssertionError("the child exited without an outcome")
    outcome = pickle.loads(payload)
    if outcome[0] == "value":
        return outcome[1]
    _kind, exc, text = outcome
    if isinstance(exc, BaseException):
        exc.add_note(f"in the CPU-bounded child:\n{text}")
        raise exc
    raise AssertionError(text)


@pytest.fixture(scope="session")
def cpu_bounded() -> Callable[..., Any]:
    """``run_cpu_bounded``: call a function under a CPU-time limit (a fork)."""
    return run_cpu_bounded
