"""Known user groups: lists of e-mail addresses matched to customer accounts."""

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from engagement.models.groups import CustomerGroup


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
