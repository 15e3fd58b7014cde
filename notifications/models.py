"""Push notifications (product.md §6.5): channels, credentials, notifications
and their deliveries.

A **channel** is a Windows notification channel URI an app registered for
one of its customers (through the API), valid 30 days. A **notification** is
a toast for one app's audience (all its customers, an active segment or a
known user group), sent now or at a time. When it starts, its audience is
frozen into one **delivery** row per active channel, and workers post the
toast to each; a delivery's state is claimed before the post and settled
after it, so a channel is posted to at most once per notification, whatever
worker dies or task runs twice (``notifications.services.delivery``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import App, AppCustomer
from engagement.models import CustomerGroup

# WNS keeps a channel URI for 30 days; the app registers it again before.
CHANNEL_LIFETIME = dt.timedelta(days=30)


class Channel(models.Model):
    """A notification channel of one app customer."""

    app_customer = models.ForeignKey(
        AppCustomer,
        on_delete=models.CASCADE,
        related_name="notification_channels",
        verbose_name=_("app customer"),
        db_index=False,  # the (app customer, URI) unique index leads with it
    )
    uri = models.URLField(_("channel URI"), max_length=2048)
    registered_at = models.DateTimeField(_("registered at"))
    expires_at = models.DateTimeField(_("expires at"))
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("WNS said the channel no longer exists (404 or 410)."),
    )
    last_result = models.CharField(_("last result"), max_length=20, blank=True)
    last_result_at = models.DateTimeField(_("last result at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        constraints = [
            models.UniqueConstraint(
                fields=["app_customer", "uri"], name="channel_app_customer_uri_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.uri


class WnsCredentials(models.Model):
    """An app's WNS identity: its package SID and client secret.

    The secret is stored encrypted (``notifications.secrets``) and never
    shown again: the settings page only says whether it is set.
    """

    app = models.OneToOneField(
        App,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="wns_credentials",
        verbose_name=_("app"),
    )
    package_sid = models.CharField(_("package SID"), max_length=256)
    client_secret_encrypted = models.TextField(_("client secret (encrypted)"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    token_obtained_at = models.DateTimeField(
        _("last access token obtained at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("WNS credentials")
        verbose_name_plural = _("WNS credentials")

    def __str__(self) -> str:
        return self.package_sid


class TemplateType(models.TextChoices):
    BLANK = "blank", _("Blank toast")
    ASK_RATING = "ask_rating", _("Ask for ratings")
    ASK_FEEDBACK = "ask_feedback", _("Ask for feedback")
    CROSS_PROMOTE = "cross_promote", _("Cross-promote")
    PROMOTE_SALE = "promote_sale", _("Promote a sale")


class AudienceKind(models.TextChoices):
    ALL = "all", _("All customers of the app")
    SEGMENT = "segment", _("A segment")
    KNOWN_USER_GROUP = "known_user_group", _("A known user group")


class NotificationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """A toast for an app's audience, as a draft or sent now or at a time."""

    Template = TemplateType
    Audience = AudienceKind
    Status = NotificationStatus

    app = models.ForeignKey(
        App,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("app"),
    )
    name = models.CharField(_("name"), max_length=100)
    template_type = models.CharField(
        _("template"), max_length=16, choices=TemplateType.choices
    )
    title = models.CharField(_("title"), max_length=64)
    text = models.CharField(_("text"), max_length=200)
    launch = models.CharField(
        _("launch arguments"),
        max_length=1024,
        blank=True,
        help_text=_("What the app receives when the customer clicks the toast."),
    )
    audience = models.CharField(
        _("audience"), max_length=16, choices=AudienceKind.choices
    )
    group = models.ForeignKey(
        CustomerGroup,
        on_delete=models.PROTECT,  # a group in use cannot be deleted (§6.1)
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("customer group"),
    )
    send_at = models.DateTimeField(
        _("send at"), null=True, blank=True, help_text=_("Empty: immediately.")
    )
    expires_at = models.DateTimeField(
        _("expires at"),
        null=True,
        blank=True,
        help_text=_("Not delivered after this time."),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=NotificationStatus.choices,
        default=NotificationStatus.DRAFT,
    )
    status_reason = models.TextField(_("why"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Counted as the deliveries settle, never recounted from their rows.
    targeted = models.PositiveIntegerField(_("targeted customers"), default=0)
    channels = models.PositiveIntegerField(_("channels"), default=0)
    sent = models.PositiveIntegerField(_("sent"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    expired = models.PositiveIntegerField(_("channel expired"), default=0)
    retried = models.PositiveIntegerField(_("retried"), default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.CheckConstraint(
                condition=Q(audience=AudienceKind.ALL, group__isnull=True)
                | (~Q(audience=AudienceKind.ALL) & Q(group__isnull=False)),
                name="notification_audience_group",
            ),
        ]
        indexes = [
            # The lists of an app, and the sweeper's scheduled and sending ones.
            models.Index(fields=["app", "status"], name="notification_app_status_idx"),
            models.Index(
                fields=["send_at"],
                condition=Q(status=NotificationStatus.SCHEDULED),
                name="notification_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.app.name})"

    @property
    def settled(self) -> int:
        return self.sent + self.failed + self.expired

    @property
    def progress_percent(self) -> int:
        return round(100 * self.settled / self.channels) if self.channels else 100


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    CLAIMED = "claimed", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Channel expired")


class Delivery(models.Model):
    """One channel of a notification's frozen audience, and what WNS said."""

    State = DeliveryState

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,  # the (notification, channel) unique index leads with it
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="deliveries"
    )
    state = models.CharField(
        max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    # The claim that moved it from pending (one per claiming statement): a
    # worker posts only the rows its own claim took.
    claim = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.PositiveSmallIntegerField(_("WNS status"), null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_notification_uniq"
            ),
        ]
        indexes = [
            # What is left to post, and what a dead worker left claimed.
            models.Index(
                fields=["notification", "id"],
                condition=Q(state__in=["pending", "claimed"]),
                name="delivery_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} → {self.channel_id}: {self.state}"
