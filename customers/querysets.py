"""Chainable filters over customer data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from customers.models import Partner


class AppQuerySet(models.QuerySet):
    def for_partner(self, partner: Partner) -> AppQuerySet:
        return self.filter(partner=partner)
