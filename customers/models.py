"""Partners, their apps, store customers and the facts segments are built on.

The database holds every rule it can: choices, ranges and uniqueness are named
constraints, so imports, bulk loads and raw SQL obey them as forms do.
"""

import random
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Q
from django.db.models.functions import Length, Lower
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from customers.querysets import AppQuerySet

MONEY = {"max_digits": 12, "decimal_places": 2}
NON_NEGATIVE_MONEY = [MinValueValidator(Decimal("0"))]
# Limits of stored numbers, derived from the fields so that the importer, the
# segment rules and the forms refuse what the database would. Every amount is
# below MAX_MONEY (12 digits, 2 after the point: at most 9999999999.99) and a
# whole number of cents. Counts are PositiveIntegerFields: at most
# MAX_INTEGER, the column's range on PostgreSQL (Django's base range; SQLite
# would store 64 bits, the limit is the same on both).
MAX_MONEY = Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"])
CENT = Decimal(1).scaleb(-MONEY["decimal_places"])
MAX_INTEGER = BaseDatabaseOperations.integer_field_ranges["PositiveIntegerField"][1]


class Role(models.TextChoices):
    EDITOR = "editor", _("Editor")
    VIEWER = "viewer", _("Viewer")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    UNKNOWN = "unknown", _("Unknown")


class AcquisitionType(models.TextChoices):
    FREE = "free", _("Free")
    PAID = "paid", _("Paid")
    TRIAL = "trial", _("Trial")
    PROMOTIONAL_CODE = "promotional_code", _("Promotional code")


class Platform(models.TextChoices):
    WINDOWS10 = "windows10", _("Windows 10")
    WINDOWS11 = "windows11", _("Windows 11")
    XBOX = "xbox", _("Xbox")
    OTHER = "other", _("Other")


class LowercaseEmailField(models.EmailField):
    """An e-mail field that stores and looks up addresses in lower case.

    With every stored address lower-case, a plain unique index is a
    case-insensitive one and serves equality joins (known user groups match
    addresses to customers by e-mail).
    """

    def to_python(self, value):
        value = super().to_python(value)
        return value.strip().lower() if isinstance(value, str) else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value.strip().lower() if isinstance(value, str) else value


def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA time zone this system knows, by name (a callable, so the
    migration does not freeze one tzdata release's list)."""
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class Partner(models.Model):
    """An app publisher: owns apps and customer groups."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    # Dashboard pages show the partner's times in this zone, with its name.
    # The database default serves rows written without it (raw inserts, the
    # models of older migrations).
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        choices=time_zone_choices,
        default="UTC",
        db_default="UTC",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name


class PartnerMembership(models.Model):
    """A dashboard user's access to one partner, as an editor or a viewer."""

    Role = Role

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_index=False,  # the (user, partner) unique index leads with user
        related_name="partner_memberships",
        verbose_name=_("user"),
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("partner"),
    )
    role = models.CharField(
        _("role"), max_length=10, choices=Role.choices, default=Role.VIEWER
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["partner__name", "user__username"]
        verbose_name = _("partner membership")
        verbose_name_plural = _("partner memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "partner"], name="partnermembership_user_partner_uniq"
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="partnermembership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.partner} ({self.role})"

    @property
    def can_edit(self) -> bool:
        return self.role == self.Role.EDITOR


store_product_id_validator = RegexValidator(
    r"^[0-9A-Z]{12}$",
    _("A Store product ID is 12 characters, digits and capital letters."),
)


class App(models.Model):
    """A partner's app in the Store, known by its Store product ID."""

    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="apps",
        verbose_name=_("partner"),
    )
    name = models.CharField(_("name"), max_length=200)
    store_product_id = models.CharField(
        _("Store product ID"),
        max_length=12,
        unique=True,
        validators=[store_product_id_validator],
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = AppQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("app")
        verbose_name_plural = _("apps")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "name"], name="app_partner_name_uniq"
            ),
            models.CheckConstraint(
                condition=Exact(Length("store_product_id"), 12),
                name="app_store_product_id_len",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.store_product_id})"


class Customer(models.Model):
    """One Store account and its store-wide facts."""

    Gender = Gender

    email = LowercaseEmailField(_("e-mail"), max_length=254)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    gender = models.CharField(
        _("gender"), max_length=7, choices=Gender.choices, default=Gender.UNKNOWN
    )
    market = CountryField(_("market"))
    authenticated = models.BooleanField(
        _("authenticated"),
        default=False,
        help_text=_("The account is valid and signed in: only these can be members."),
    )
    store_purchase_count = models.PositiveIntegerField(_("Store purchases"), default=0)
    store_acquisition_count = models.PositiveIntegerField(
        _("Store acquisitions"), default=0
    )
    store_spend = models.DecimalField(
        _("total Store spend (USD)"),
        **MONEY,
        default=Decimal("0"),
        validators=NON_NEGATIVE_MONEY,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set by every write path (imports included): the known-user-group linker
    # picks up customers changed since its last pass by this column.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        ordering = ["email"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(fields=["email"], name="customer_email_uniq"),
            models.CheckConstraint(
                condition=Q(email=Lower("email")),
                name="customer_email_lowercase",
                violation_error_message=_("The e-mail address must be lower-case."),
            ),
            models.CheckConstraint(
                condition=Q(gender__in=Gender.values), name="customer_gender_valid"
            ),
            models.CheckConstraint(
                condition=Exact(Length("market"), 2), name="customer_market_alpha2"
            ),
            models.CheckConstraint(
                condition=Q(store_spend__gte=0), name="customer_store_spend_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(store_purchase_count__gte=0)
                & Q(store_acquisition_count__gte=0),
                name="customer_store_counts_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return self.email


# Sample keys: uniform in [0, SAMPLE_KEY_RANGE), drawn once per app customer.
SAMPLE_KEY_RANGE = 2**31
_sample_keys = random.SystemRandom()


def sample_key_draw() -> int:
    """A new app customer's sample key (see ``AppCustomer.sample_key``)."""
    return _sample_keys.randrange(SAMPLE_KEY_RANGE)


class AppCustomer(models.Model):
    """A customer who acquired one app, with that app's facts.

    Segment queries scan one app's rows joined to their customers. Indexes,
    chosen for a 1M-row app:

    - ``(app, customer)`` unique: the app filter every segment query starts
      with, the upsert key of imports, and the join to memberships.
    - ``customer`` (the foreign key's own index): joins from a customer to
      their apps, the erasure of a person, deletion of demo data.
    - ``(app, last_active_on)`` and ``(app, acquired_on)``: the selective date
      windows ("New customers" in the last 30 days, recently active users)
      become index range scans instead of a scan of the whole app.
    - ``(app, sample_key)``: the live estimate's uniform sample, the app
      customers whose random key is below a cutoff, is an index range scan.
    Broad predicates (gender, market, spend) match large fractions of an app,
    where PostgreSQL prefers a sequential scan anyway; more indexes would only
    slow the bulk loads.
    """

    AcquisitionType = AcquisitionType

    Platform = Platform

    ELIGIBLE_PLATFORMS = (Platform.WINDOWS10, Platform.WINDOWS11)

    app = models.ForeignKey(
        App,
        on_delete=models.CASCADE,
        db_index=False,  # the (app, customer) unique index leads with app
        related_name="app_customers",
        verbose_name=_("app"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="app_customers",
        verbose_name=_("customer"),
    )
    acquired_on = models.DateField(_("acquired on"))
    acquisition_type = models.CharField(
        _("acquisition type"), max_length=16, choices=AcquisitionType.choices
    )
    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    campaign_id = models.CharField(_("campaign ID"), max_length=100, blank=True)
    referrer_domain = models.CharField(
        _("referrer URI domain"), max_length=253, blank=True
    )
    store_page_viewed_on = models.DateField(
        _("Store page viewed on"), null=True, blank=True
    )
    last_active_on = models.DateField(_("last active on"), null=True, blank=True)
    sessions_30d = models.PositiveIntegerField(
        _("sessions in the last 30 days"), default=0
    )
    rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    churn_score = models.FloatField(
        _("churn score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("Predicted probability of churn, 0 to 1."),
    )
    app_spend = models.DecimalField(
        _("spend in this app (USD)"),
        **MONEY,
        default=Decimal("0"),
        validators=NON_NEGATIVE_MONEY,
    )
    # Drawn once, uniformly, independent of every fact: the app customers
    # with a key below c are a uniform random sample of share c / 2**31,
    # whatever their facts become later.
    sample_key = models.IntegerField(
        _("sample key"),
        default=sample_key_draw,
        editable=False,
        help_text=_("Random, for the live estimate's sample."),
    )

    class Meta:
        verbose_name = _("app customer")
        verbose_name_plural = _("app customers")
        constraints = [
            models.UniqueConstraint(
                fields=["app", "customer"], name="appcustomer_app_customer_uniq"
            ),
            models.CheckConstraint(
                condition=Q(acquisition_type__in=AcquisitionType.values),
                name="appcustomer_acquisition_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(platform__in=Platform.values),
                name="appcustomer_platform_valid",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="appcustomer_rating_1_5",
            ),
            models.CheckConstraint(
                condition=Q(churn_score__isnull=True)
                | Q(churn_score__gte=0, churn_score__lte=1),
                name="appcustomer_churn_score_0_1",
            ),
            models.CheckConstraint(
                condition=Q(app_spend__gte=0), name="appcustomer_app_spend_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(sessions_30d__gte=0), name="appcustomer_sessions_gte_0"
            ),
        ]
        indexes = [
            models.Index(
                fields=["app", "last_active_on"], name="appcustomer_app_active_idx"
            ),
            models.Index(
                fields=["app", "acquired_on"], name="appcustomer_app_acquired_idx"
            ),
            models.Index(
                fields=["app", "sample_key"], name="appcustomer_app_sample_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} @ {self.app}"
