"""Run the local WNS stand-in in the foreground until Ctrl-C or SIGTERM.

``manage.py wns_standin --port 8600``: point the delivery at its token URL
and register channel URIs under ``/channels/`` (``notifications.standin``
says how a channel id chooses its answer). Loopback only, unless
``--allow-remote``: the stand-in has no TLS and no authentication of its own,
hands a token to any caller and shows every toast it received at ``/_posts``.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import threading

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifications.standin import GRAMMAR_HELP, WnsStandin

DEFAULT_PORT = 8600


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` names is a loopback address."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return False
    return bool(infos) and all(
        ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos
    )


class Command(BaseCommand):
    help = (
        "Run a local stand-in for WNS (token endpoint and notification channels) "
        "in the foreground, on 127.0.0.1, until Ctrl-C or SIGTERM."
    )
    requires_system_checks: list[str] = []  # no database, no models

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=DEFAULT_PORT)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--allow-remote",
            action="store_true",
            help="listen on a host other than loopback (no TLS, tokens for anyone)",
        )

    def handle(self, *args, port: int, host: str, allow_remote: bool, **options):
        if not 0 <= port <= 65535:
            raise CommandError(f"--port must be from 0 to 65535, not {port}")
        if not allow_remote and not is_loopback(host):
            raise CommandError(
                f"refusing to listen on {host}: not a loopback address. The "
                "stand-in has no TLS and no authentication; it gives a token to "
                "anyone who asks and shows every toast it received at /_posts. "
                "Pass --allow-remote to listen there anyway."
            )
        try:
            standin = WnsStandin(host, port, log=options["verbosity"] >= 2)
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc}") from exc

        stop = threading.Event()
        previous = {
            number: signal.signal(number, lambda *_: stop.set())
            for number in (signal.SIGINT, signal.SIGTERM)
        }
        standin.start()
        try:
            self.stdout.write(f"WNS stand-in listening on {standin.url}")
            self.stdout.write(f"token URL: {standin.token_url}")
            self.stdout.write(f"channels: {standin.url}/channels/<id>")
            self.stdout.write(GRAMMAR_HELP)
            self.stdout.write(
                f"records: GET {standin.url}/_stats, GET /_posts?channel=<id>, "
                "POST /_reset. Ctrl-C to stop."
            )
            self.stdout.flush()
            stop.wait()
        finally:
            standin.stop()
            for number, handler in previous.items():
                signal.signal(number, handler)
        self.stdout.write(f"stopped; {standin.stats()}")
