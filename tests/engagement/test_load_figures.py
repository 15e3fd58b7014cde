"""What ``make load`` reads from gunicorn's logs (engagement.management.load)."""

from django.urls import reverse

from engagement.management.load import gunicorn_events_count, server_figures_read


def test_server_figures_are_requests_per_second_one_worker_serves(tmp_path, settings):
    settings.WEB_STATEMENT_TIMEOUT = 5
    groups, home, login = (
        reverse("engagement:customer_groups"),
        reverse("home"),
        reverse("login"),
    )
    log = tmp_path / "access.log"
    log.write_text(
        f"GET {groups} 200 0.5\nGET {groups} 200 0.5\n"
        f"GET {home} 200 0.1\nGET {home} 200 0.1\n"
        f"POST {login} 302 9.0\nGET /x/ 200 6.0\n"
    )
    figures = server_figures_read(access_log=log)
    assert figures == {
        "trivial_rps": 10.0,
        "groups_vs_trivial": 0.2,
        "groups_rps": 2.0,
        "server_max_ms": 6000,  # signing in left out
        "statement_timeout_s": 5,
        "over_statement_timeout": 1,
    }


def test_gunicorn_events_count_worker_and_statement_timeouts(tmp_path):
    log = tmp_path / "gunicorn.log"
    log.write_bytes(
        b"[CRITICAL] WORKER TIMEOUT (pid:1)\n"
        b"statement_timeout method=GET path=/groups/\n"
        b"statement_timeout method=GET path=/segments/1/\n"
    )
    assert gunicorn_events_count(log=log) == {
        "worker_timeouts": 1,
        "page_statement_timeouts": 2,
    }
