"""Chainable filters over customer data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from customers.models import Partner


class PartnerQuerySet(models.QuerySet):
    def for_user(self, user: AbstractBaseUser) -> PartnerQuerySet:
        """Partners the user is a member of."""
        return self.filter(memberships__user=user)


class AppQuerySet(models.QuerySet):
    def for_partner(self, partner: Partner) -> AppQuerySet:
        return self.filter(partner=partner)


class AppCustomerQuerySet(models.QuerySet):
    def for_partner(self, partner: Partner) -> AppCustomerQuerySet:
        return self.filter(app__partner=partner)
