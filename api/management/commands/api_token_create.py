"""Create an API token, for scripts and support; print the token alone.

    python manage.py api_token_create --kind store --name "Store delivery"
    python manage.py api_token_create --kind partner --partner "Demo Studio" \\
        --name "CRM sync" --read-only

Standard output gets the token and nothing else, one line, so that a script
can read it (``TOKEN=$(python manage.py api_token_create …)``); it cannot be
shown again. A note for the person at the terminal goes to standard error.
Any refusal is a ``CommandError`` (exit status 1) and creates nothing.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import BaseCommand, CommandError

from api.models import TokenKind
from api.services import api_token_create
from customers.models import Partner


def _messages(error: ValidationError) -> list[str]:
    """The error's messages, each naming the option it is about."""
    if not hasattr(error, "error_dict"):
        return error.messages
    return [
        message if field == NON_FIELD_ERRORS else f"--{field}: {message}"
        for field, messages in error.message_dict.items()
        for message in messages
    ]


class Command(BaseCommand):
    help = (
        "Create a store-services or partner API token and print it (only it, "
        "one line): it is not stored and cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind", required=True, choices=TokenKind.values, help="Token kind."
        )
        parser.add_argument(
            "--partner", help="Partner name (partner tokens only, required there)."
        )
        parser.add_argument(
            "--name", required=True, help="What uses the token, to tell it apart."
        )
        parser.add_argument(
            "--read-only",
            action="store_true",
            help="A partner token that can read groups but not change them.",
        )

    def handle(self, *args, kind, partner, name, read_only, **options):
        if kind == TokenKind.STORE and read_only:
            raise CommandError("--read-only is for partner tokens only.")
        partner_obj = None
        if partner is not None:
            try:
                partner_obj = Partner.objects.get(name=partner)
            except Partner.DoesNotExist:
                raise CommandError(f"No partner named {partner!r}.") from None
        try:
            token, secret = api_token_create(
                kind=kind,
                name=name,
                partner=partner_obj,
                can_write=not read_only,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(_messages(exc))) from None
        self.stdout.write(secret)
        self.stderr.write(
            f"Created {token.get_kind_display()} token {token.name!r} "
            f"({token.prefix}…, id {token.pk}). Keep it now: it cannot be "
            "shown again.",
            style_func=str,
        )
