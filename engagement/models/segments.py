"""Segments: definitions, their materialised membership and computations."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.models import MONEY, App, Customer
from engagement.models.groups import CustomerGroup


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
    # The day of computation (UTC) the last full recompute evaluated the
    # definition for: an incremental update re-evaluates only the changed
    # customers, so it is exact only on that same day (age groups, windows
    # and "in the last N days" move with the calendar alone).
    computed_for = models.DateField(_("computed for"), null=True, blank=True)
    # The members' digest (``membership.digest``), kept by every recompute:
    # the daily run skips reading the members of a segment whose definition
    # selects a set with the same digest. Empty: unknown.
    member_digest = models.CharField(
        _("member digest"), max_length=100, blank=True, default="0:0:0"
    )
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

    @property
    def is_active(self) -> bool:
        """Usable for targeting (product.md §6.1): computed, not failed, and
        not Small under the current minimum size."""
        return self.status == SegmentStatus.ACTIVE and not self.is_small

    @staticmethod
    def active_q(prefix: str = "") -> Q:
        """Match the active segments (``is_active``) in a query, through
        ``prefix`` (a relation path such as ``"segment__"``) if given."""
        return Q(
            **{
                f"{prefix}status": SegmentStatus.ACTIVE,
                f"{prefix}member_count__gte": settings.SEGMENT_MIN_SIZE,
            }
        )


class AppStatistics(models.Model):
    """Counts of one app's customers that every process shares.

    ``eligible_count`` (the available app customers on ``computed_on``) is
    counted once for the segments and estimates of the app, not once each.
    ``customers_version`` goes up with every announced change of the app's
    customer data, which clears the count; a count is stored only under the
    version it was read with, so one taken before a change never outlives it
    (engagement.services.app_statistics).
    """

    app = models.OneToOneField(
        App, on_delete=models.CASCADE, related_name="statistics", verbose_name=_("app")
    )
    eligible_count = models.PositiveIntegerField(
        _("available app customers"), null=True, blank=True
    )
    computed_on = models.DateField(_("computed for"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    customers_version = models.PositiveIntegerField(
        _("customer data version"), default=0
    )
    # The live estimate's sample (engagement.services.estimate_sample): its
    # ``EstimateSample`` rows are the app's available customers on
    # ``sample_built_on`` whose sample key is below ``sample_cutoff`` (none:
    # the app is counted exactly), current while ``sample_version`` is
    # ``customers_version``.
    sample_cutoff = models.PositiveBigIntegerField(
        _("estimate sample cutoff"), null=True, blank=True
    )
    sample_version = models.PositiveIntegerField(
        _("estimate sample's customer data version"), null=True, blank=True
    )
    sample_built_on = models.DateField(
        _("estimate sample built for"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("app statistics")
        verbose_name_plural = _("app statistics")

    def __str__(self) -> str:
        return f"{self.app_id}: {self.eligible_count} on {self.computed_on}"


class EstimateSample(models.Model):
    """One sampled available customer of an app, with the facts rules read.

    The live estimate's uniform sample, copied into a narrow table so that
    estimating reads about ``ESTIMATE_SAMPLE_SIZE`` adjacent rows (their
    keys are a range of the ``(app, sample_key)`` index, inserted in key
    order) rather than as many lookups scattered over the app's customers
    and their accounts (engagement.services.estimate_sample). The app's
    ``AppStatistics`` row says which keys it holds and whether it is
    current.

    Columns are named as the ``AppCustomer`` path they copy, with
    ``customer_`` for ``customer__`` (``SAMPLE_PATHS``), so that the one
    compiler serves both tables. The customer's erasure deletes its rows
    (the foreign key cascades, as for memberships).
    """

    pk = models.CompositePrimaryKey("app_id", "customer_id")
    app = models.ForeignKey(
        App, on_delete=models.CASCADE, db_constraint=False, db_index=False
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    acquired_on = models.DateField()
    acquisition_type = models.CharField(max_length=16)
    campaign_id = models.CharField(max_length=100)
    referrer_domain = models.CharField(max_length=253)
    store_page_viewed_on = models.DateField(null=True)
    last_active_on = models.DateField(null=True)
    sessions_30d = models.PositiveIntegerField()
    rating = models.PositiveSmallIntegerField(null=True)
    churn_score = models.FloatField(null=True)
    app_spend = models.DecimalField(**MONEY)
    customer_birth_date = models.DateField()
    customer_gender = models.CharField(max_length=7)
    customer_market = models.CharField(max_length=2)
    customer_store_purchase_count = models.PositiveIntegerField()
    customer_store_acquisition_count = models.PositiveIntegerField()
    customer_store_spend = models.DecimalField(**MONEY)
    sample_key = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["app", "sample_key"], name="estimatesample_key_idx")
        ]
        verbose_name = _("estimate sample row")
        verbose_name_plural = _("estimate sample rows")

    def __str__(self) -> str:
        return f"{self.app_id}: {self.customer_id}"


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
    # Re-evaluated only the customers whose data changed (after an import),
    # not every customer of the app.
    incremental = models.BooleanField(_("changed customers only"), default=False)
    # Computed with the app's other due segments in one scan (the daily run).
    shared_scan = models.BooleanField(_("with the app's other segments"), default=False)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("segment run")
        verbose_name_plural = _("segment runs")
        indexes = [
            models.Index(
                fields=["segment", "-started_at"], name="segmentrun_history_idx"
            ),
            # Whether a requested version is still awaited (the groups table,
            # the segment page and row): one probe for a finished run of it,
            # however many runs the segment has.
            models.Index(
                fields=["segment", "version"],
                condition=Q(finished_at__isnull=False),
                name="segmentrun_finished_idx",
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
