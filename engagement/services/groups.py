"""What saving any kind of customer group shares: a valid, unique name."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from customers.names import name_clean
from engagement.errors import GroupError
from engagement.models import CustomerGroup


def _name_taken() -> ValidationError:
    return ValidationError({"name": GroupError.NAME_TAKEN.error()})


def customer_group_save(
    group: CustomerGroup, *, update_fields: list[str] | None = None
) -> None:
    """Check and save a group; a bad or taken name is reported on ``name``.

    ``update_fields`` limits the write of an existing group to what its
    caller changed: the rest of the row (a segment's computed counts and
    versions, which a worker may have written since the group was read)
    stays as stored.

    The name is stored as ``customers.names.name_clean`` returns it (NFC,
    trimmed, visible), so every entry point (forms, commands, the API) gets
    the same rule. It is unique per partner across every kind of group (a
    database constraint on the shared row); a concurrent save that takes
    the name first is reported the same way.
    """
    try:
        group.name = name_clean(group.name)
    except ValidationError as exc:
        raise ValidationError({"name": exc}) from None
    try:
        group.full_clean()
    except ValidationError as exc:
        taken = exc.error_dict.get("__all__", [])
        if any(e.code == GroupError.NAME_TAKEN for e in taken):
            raise _name_taken() from exc
        raise
    try:
        with transaction.atomic():
            group.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise _name_taken() from exc
