"""Erase a person on request: their customer accounts and every listed address."""

from __future__ import annotations

import hashlib
import logging

from django.core.validators import validate_email
from django.db import transaction

from customers.models import Customer
from engagement.addresses import address_normalise
from engagement.errors import PersonErasureError
from engagement.models import KnownUserGroupAddress, PersonErasure, Segment
from engagement.services.known_user_group_linking import known_user_groups_recount

logger = logging.getLogger(__name__)


@transaction.atomic
def person_erase(*, email: str, requested_by: str) -> PersonErasure:
    """Erase a person: their customer account(s) and every listed address.

    Records the erasure with the SHA-256 of the address, who asked and when.
    Raises ``ValidationError`` for an invalid address or a missing requester.
    """
    address = address_normalise(email or "")
    validate_email(address)
    requested_by = (requested_by or "").strip()
    if not requested_by:
        raise PersonErasureError.NO_REQUESTER.error()
    listed = KnownUserGroupAddress.objects.filter(email=address)
    group_ids = set(listed.values_list("group_id", flat=True))
    addresses_deleted, _detail = listed.delete()
    customers_deleted = 0
    # Their memberships go with them, behind the recompute's back: the
    # segments' member digests no longer describe their members.
    Segment.objects.filter(memberships__customer__email=address).update(
        member_digest=""
    )
    for customer in Customer.objects.filter(email=address):
        customer.delete()  # cascades app facts and segment memberships
        customers_deleted += 1
    if group_ids:
        known_user_groups_recount(group_ids=group_ids)
    erasure = PersonErasure.objects.create(
        email_sha256=hashlib.sha256(address.encode()).hexdigest(),
        requested_by=requested_by,
        customers_deleted=customers_deleted,
        addresses_deleted=addresses_deleted,
    )
    logger.info(
        "person_erased erasure=%s customers=%s addresses=%s",
        erasure.pk,
        customers_deleted,
        addresses_deleted,
    )
    return erasure
