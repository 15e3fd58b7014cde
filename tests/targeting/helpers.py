"""What the targeting tests share: known user groups with members and not."""

from tests.factories import CustomerFactory, known_user_group


def group_with(partner, name, *customers, emails=()):
    """A known user group listing ``customers`` (members when authenticated)
    and ``emails`` no customer has (pending)."""
    return known_user_group(
        partner=partner,
        name=name,
        emails=[c.email for c in customers] + list(emails),
    )


def customers(count, **kwargs):
    """``count`` authenticated customers."""
    return [CustomerFactory(**kwargs) for _ in range(count)]


def unlinked_customer():
    """A customer who has not signed in: listed, never a member."""
    return CustomerFactory(authenticated=False)
