"""API tokens (product.md §6.6): who may call the API, and as whom.

A token is shown once, when it is created; only its SHA-256 digest is kept
(``key_hash``), with its first characters (``prefix``) so that people can
recognise it in a list. The token is 256 random bits, so a fast digest is
as safe as a slow password hash here, and it lets one indexed look-up find
the row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Partner


class TokenKind(models.TextChoices):
    """Store services (the platform's own) or one partner's automation."""

    STORE = "store", _("Store services")
    PARTNER = "partner", _("Partner")


class ApiToken(models.Model):
    """A bearer token of one kind: a partner token acts for its partner only."""

    Kind = TokenKind

    kind = models.CharField(_("kind"), max_length=10, choices=TokenKind.choices)
    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="api_tokens",
        verbose_name=_("partner"),
    )
    name = models.CharField(_("name"), max_length=100)
    # A read-only partner token reads groups; it cannot create or change them.
    can_write = models.BooleanField(_("can change groups"), default=True)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    key_hash = models.CharField(
        _("key digest"), max_length=64, unique=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TokenKind.values), name="apitoken_kind_valid"
            ),
            # A partner token has its partner; a store-services token has none.
            models.CheckConstraint(
                condition=Q(kind=TokenKind.PARTNER, partner__isnull=False)
                | Q(kind=TokenKind.STORE, partner__isnull=True),
                name="apitoken_partner_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class StoreServiceToken(ApiToken):
    """The store-services tokens, as support staff manage them in the admin."""

    class Meta:
        proxy = True
        verbose_name = _("store-services token")
        verbose_name_plural = _("store-services tokens")
