"""Audience: who can see an app, everyone (public) or known user groups."""

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import App
from engagement.models import KnownUserGroup


class AppAudience(models.Model):
    """Whether an app is public or private to the members of known user groups.

    An app without a row is public: the default audience, not yet chosen.
    As in Partner Center, a private audience can be chosen only before the
    app is *published*: choosing Public (``services.audience``), or reaching
    a private app's ``make_public_at``, publishes it and sets
    ``published_at``, and a published app can never be private again (the
    service refuses, and ``appaudience_published_not_private`` makes the
    database refuse too). ``make_public_at`` (UTC) schedules the publication
    of a private app; the beat task ``audience_publish_due`` applies it, and
    visibility counts it from that moment even before the task runs.
    """

    app = models.OneToOneField(
        App, on_delete=models.CASCADE, related_name="audience", verbose_name=_("app")
    )
    private = models.BooleanField(_("private"), default=False)
    groups = models.ManyToManyField(
        KnownUserGroup,
        related_name="audiences",
        blank=True,
        verbose_name=_("known user groups"),
    )
    make_public_at = models.DateTimeField(_("make public on"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("app audience")
        verbose_name_plural = _("app audiences")
        constraints = [
            models.CheckConstraint(
                condition=~Q(private=True, published_at__isnull=False),
                name="appaudience_published_not_private",
            ),
            models.CheckConstraint(
                condition=Q(private=True) | Q(make_public_at__isnull=True),
                name="appaudience_schedule_only_private",
            ),
        ]
        indexes = [
            # The publication task finds the private audiences that are due.
            models.Index(
                fields=["make_public_at"],
                condition=Q(private=True),
                name="appaudience_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.app.name}: {'private' if self.private else 'public'}"

    def is_published(self, now: dt.datetime) -> bool:
        """Whether the app has been public: published, or its date has come
        (before the beat task has run)."""
        return self.published_at is not None or (
            self.make_public_at is not None and self.make_public_at <= now
        )
