"""manage.py api_token_create: the token alone on standard output, and every
refusal a CommandError that creates nothing (issue 14)."""

from __future__ import annotations

import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from api.models import ApiToken, TokenKind
from api.services import api_token_use
from api.tokens import token_digest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api_token_create", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_store_token_is_printed_alone_and_authenticates():
    out, err = run("--kind", "store", "--name", "Store delivery")
    assert re.fullmatch(r"cgs_[A-Za-z0-9_-]{43}\n", out)
    secret = out.strip()
    token = api_token_use(key=secret)
    assert token is not None and token == ApiToken.objects.get()
    assert (token.kind, token.partner, token.name, token.can_write) == (
        TokenKind.STORE,
        None,
        "Store delivery",
        True,
    )
    assert token.created_by is None
    assert token.key_hash == token_digest(secret)
    assert secret not in err and token.prefix in err  # a note, not the token


def test_a_partner_token_belongs_to_the_named_partner(partner):
    out, _err = run("--kind", "partner", "--partner", "Contoso Games", "--name", "CRM")
    assert re.fullmatch(r"cgp_[A-Za-z0-9_-]{43}\n", out)
    token = api_token_use(key=out.strip())
    assert (token.kind, token.partner, token.can_write) == (
        TokenKind.PARTNER,
        partner,
        True,
    )


def test_read_only_makes_a_partner_token_that_cannot_change_groups(partner):
    out, _err = run(
        "--kind", "partner", "--partner", partner.name, "--name", "Reports",
        "--read-only",
    )  # fmt: skip
    assert api_token_use(key=out.strip()).can_write is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--kind", "partner", "--partner", "Nobody Inc", "--name", "CRM"],
            "No partner named 'Nobody Inc'.",
        ),
        (
            ["--kind", "partner", "--name", "CRM"],
            "--partner: A partner token needs its partner.",
        ),
        (
            ["--kind", "store", "--partner", "Contoso Games", "--name", "Store"],
            "--partner: A store-services token belongs to no partner.",
        ),
        (
            ["--kind", "store", "--name", "Store", "--read-only"],
            "--read-only is for partner tokens only.",
        ),
        (["--kind", "store", "--name", "   "], "--name: Enter a name."),
        (
            ["--kind", "store", "--name", "Tab\there"],
            "--name: The name holds a control character",
        ),
        (["--kind", "store", "--name", "x" * 101], "--name: Ensure this value"),
    ],
)
def test_a_refusal_says_why_and_creates_nothing(partner, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--kind", "bearer", "--name", "CRM"],  # no such kind
        ["--kind", "store"],  # no name
    ],
)
def test_bad_arguments_are_refused(args):
    with pytest.raises(CommandError):
        run(*args)
    assert not ApiToken.objects.exists()


def test_from_a_shell_the_output_is_the_token_and_a_refusal_exits_non_zero(
    tmp_path,
):
    """The command as a script runs it: its own process, its own database."""
    database = tmp_path / "tokens.sqlite3"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run(
        [*manage, "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    created = subprocess.run(
        [*manage, "api_token_create", "--kind", "store", "--name", "Delivery"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert created.returncode == 0, created.stderr
    assert re.fullmatch(r"cgs_[A-Za-z0-9_-]{43}\n", created.stdout)
    refused = subprocess.run(
        [*manage, "api_token_create", "--kind", "partner", "--name", "CRM"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0
    assert refused.stdout == ""
    assert "A partner token needs its partner." in refused.stderr
