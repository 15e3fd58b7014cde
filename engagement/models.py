"""Customer groups: segments (dynamic, per app) and their computed membership.

Every kind of customer group shares one ``CustomerGroup`` row (multi-table
inheritance): the name is unique per partner across kinds in the database,
and the customer groups page lists all kinds with one query.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Lower, Trim
from django.db.models.lookups import GreaterThan
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.models import App, Customer, Partner
from engagement.errors import GroupError


class GroupKind(models.TextChoices):
    SEGMENT = "segment", _("Segment")
    KNOWN_USER_GROUP = "known_user_group", _("Known user group")


class CustomerGroup(models.Model):
    """What every customer group has: a partner, a kind and a unique name."""

    Kind = GroupKind

    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="customer_groups",
        verbose_name=_("partner"),
        db_index=False,  # the (partner, lower(name)) unique index leads with it
    )
    kind = models.CharField(_("kind"), max_length=20, choices=GroupKind.choices)
    name = models.CharField(_("group name"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")
        constraints = [
            models.UniqueConstraint(
                F("partner"),
                Lower("name"),
                name="customergroup_partner_name_uniq",
                violation_error_code=GroupError.NAME_TAKEN,
                violation_error_message=GroupError.NAME_TAKEN.message,
            ),
            models.CheckConstraint(
                condition=Q(kind__in=GroupKind.values), name="customergroup_kind_valid"
            ),
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("name")), 0),
                name="customergroup_name_not_blank",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SegmentStatus(models.TextChoices):
    """Whether a segment can be used, as product.md §3 shows it.

    ``new``: never computed; its first computation is queued or running, so
    partners see "Computing". Whether a *later* recompute is on its way is a
    separate question, answered by ``Segment.recompute_pending``.
    """

    NEW = "new", _("Computing")
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    FAILED = "failed", _("Failed")


class Segment(CustomerGroup):
    """A dynamic group of one app's customers, defined by conditions.

    The row holds what pages poll: status, counts and the version pair of
    the recompute protocol (design.md §5). ``pending_version`` is bumped for
    every recompute request; a worker applies a version only when it is newer
    than ``version``, so reruns and stale tasks change nothing.
    """

    Status = SegmentStatus

    app = models.ForeignKey(
        App, on_delete=models.PROTECT, related_name="segments", verbose_name=_("app")
    )
    definition = models.JSONField(_("definition"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=SegmentStatus.choices,
        default=SegmentStatus.NEW,
        db_index=True,
    )
    member_count = models.PositiveIntegerField(_("members"), null=True, blank=True)
    eligible_count = models.PositiveIntegerField(
        _("available app customers"), null=True, blank=True
    )
    computed_at = models.DateTimeField(_("last computed"), null=True, blank=True)
    version = models.PositiveIntegerField(_("applied version"), default=0)
    pending_version = models.PositiveIntegerField(_("requested version"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    refresh_requested_at = models.DateTimeField(
        _("refresh requested at"), null=True, blank=True
    )
    # When ``pending_version`` was last bumped: the sweeper asks again for a
    # version still not applied a grace period later (a lost task).
    recompute_requested_at = models.DateTimeField(
        _("recompute requested at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SegmentStatus.values),
                name="segment_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(version__lte=F("pending_version")),
                name="segment_version_lte_pending",
            ),
        ]
        indexes = [
            models.Index(fields=["computed_at"], name="segment_computed_at_idx"),
            # The sweeper's every-minute look-up: only segments with a
            # request not yet applied (or none ever made) are in it, so it
            # stays tiny.
            models.Index(
                fields=["recompute_requested_at"],
                condition=Q(pending_version__gt=F("version")) | Q(pending_version=0),
                name="segment_recompute_pending_idx",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("engagement:segment_detail", args=[self.pk])

    @property
    def recompute_pending(self) -> bool:
        """A requested recompute has not been applied yet (queued or running)."""
        return self.pending_version > self.version

    @property
    def is_small(self) -> bool:
        """Below the privacy floor: partners see "Small", never the number."""
        return (
            self.member_count is not None
            and self.member_count < settings.SEGMENT_MIN_SIZE
        )


class SegmentMembership(models.Model):
    """One customer in one segment, as of the segment's applied version.

    The primary key is (segment, customer): one index to maintain instead of
    a surrogate id plus a unique pair, which matters when a first computation
    inserts a million rows.
    """

    pk = models.CompositePrimaryKey("segment_id", "customer_id")
    # No database foreign keys and no index but the primary key: the table is
    # derived data rewritten in bulk by the recompute (engagement.services.
    # membership), and deleting a segment or a customer still deletes its
    # rows through Django's CASCADE. Measured on a 1M-row app, inserting 600k
    # memberships: the customer index cost ~3.5 µs a row, and the deferred
    # key checks ~5 µs a row at commit (commit: 3.9 s with them, 1.0 s
    # without).
    segment = models.ForeignKey(
        Segment,
        on_delete=models.CASCADE,
        related_name="memberships",
        db_constraint=False,
        db_index=False,  # the primary key leads with it
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="segment_memberships",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        verbose_name = _("segment membership")
        verbose_name_plural = _("segment memberships")

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.segment_id}"


class SegmentRun(models.Model):
    """One computation of a segment: when, what it found, what changed."""

    class Trigger(models.TextChoices):
        SAVE = "save", _("Saved")
        SCHEDULE = "schedule", _("Daily schedule")
        IMPORT = "import", _("Customer data import")
        REFRESH = "refresh", _("Refresh")
        SUPPORT = "support", _("Support")
        # Asked again by the sweeper: the request's task was lost.
        RETRY = "retry", _("Retry")

    segment = models.ForeignKey(
        Segment, on_delete=models.CASCADE, related_name="runs", db_index=False
    )
    version = models.PositiveIntegerField(_("version"))
    trigger = models.CharField(
        _("trigger"), max_length=10, choices=Trigger.choices, default=Trigger.SAVE
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    eligible_count = models.PositiveIntegerField(
        _("available app customers"), null=True, blank=True
    )
    member_count = models.PositiveIntegerField(_("members"), null=True, blank=True)
    joined = models.PositiveIntegerField(_("joined"), null=True, blank=True)
    left = models.PositiveIntegerField(_("left"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("segment run")
        verbose_name_plural = _("segment runs")
        indexes = [
            models.Index(
                fields=["segment", "-started_at"], name="segmentrun_history_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.segment_id} v{self.version} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self):
        if self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class SegmentTemplate(models.Model):
    """A ready definition partners copy into a new segment."""

    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300)
    definition = models.JSONField(_("definition"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("segment template")
        verbose_name_plural = _("segment templates")

    def __str__(self) -> str:
        return self.name


class KnownUserGroup(CustomerGroup):
    """A partner-wide list of customers known by their Store e-mail address.

    The name never changes and the group is never deleted (product.md §4).
    ``address_count`` and ``member_count`` are kept current by the services
    that change addresses or links, so the groups table needs no count.
    """

    address_count = models.PositiveIntegerField(_("addresses"), default=0)
    member_count = models.PositiveIntegerField(_("members"), default=0)

    class Meta:
        verbose_name = _("known user group")
        verbose_name_plural = _("known user groups")
        constraints = [
            models.CheckConstraint(
                condition=Q(member_count__lte=F("address_count")),
                name="knownusergroup_members_lte_addresses",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("engagement:known_user_group_detail", args=[self.pk])


class KnownUserGroupAddress(models.Model):
    """One listed address; ``customer`` is the authenticated account it matches.

    An address is a member exactly when it is linked: the linker links
    authenticated customers only and unlinks those who no longer are.
    """

    group = models.ForeignKey(
        KnownUserGroup,
        on_delete=models.CASCADE,
        related_name="addresses",
        db_index=False,  # the (group, email) unique index leads with it
    )
    email = models.EmailField(_("e-mail"), max_length=254)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="known_user_group_addresses",
    )

    class Meta:
        ordering = ["email"]
        verbose_name = _("known user group address")
        verbose_name_plural = _("known user group addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "email"], name="knownusergroupaddress_uniq"
            ),
            models.CheckConstraint(
                condition=Q(email=Lower("email")),
                name="knownusergroupaddress_email_lowercase",
            ),
        ]
        indexes = [
            # The linker joins addresses to customers by e-mail.
            models.Index(fields=["email"], name="kugaddress_email_idx"),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_member(self) -> bool:
        return self.customer_id is not None


class KnownUserGroupLinkState(models.Model):
    """Where the periodic linker stopped: customers changed after this point.

    A (timestamp, id) pair, so customers written in the same microsecond are
    neither skipped nor taken twice.
    """

    key = models.CharField(max_length=20, unique=True, default="customers")
    updated_at = models.DateTimeField(null=True, blank=True)
    customer_id = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("known user group linker state")
        verbose_name_plural = _("known user group linker state")

    def __str__(self) -> str:
        return f"{self.key} up to {self.updated_at} #{self.customer_id}"


class PersonErasure(models.Model):
    """A record that a person's data was erased on request, and by whom.

    The address itself is not kept (that would defeat the erasure): its
    SHA-256 lets support answer "was this address erased, and when?" when the
    person asks again.
    """

    email_sha256 = models.CharField(_("SHA-256 of the e-mail address"), max_length=64)
    requested_by = models.CharField(_("requested by"), max_length=200)
    erased_at = models.DateTimeField(_("erased at"), auto_now_add=True)
    customers_deleted = models.PositiveIntegerField(_("customer accounts deleted"))
    addresses_deleted = models.PositiveIntegerField(
        _("known user group addresses deleted")
    )

    class Meta:
        ordering = ["-erased_at"]
        verbose_name = _("person erasure")
        verbose_name_plural = _("person erasures")
        indexes = [
            models.Index(fields=["email_sha256"], name="personerasure_email_idx")
        ]

    def __str__(self) -> str:
        return f"{self.email_sha256[:12]}… erased {self.erased_at:%Y-%m-%d %H:%M}"
