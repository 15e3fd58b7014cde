"""The demo partners, apps and logins, and the Support group.

Found again by name on every run (apps by a Store product ID derived from the
name), so a re-run keeps them and whatever references them (segments).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS

from customers.models import App, Partner, PartnerMembership

DEMO_PARTNER_NAME = "Demo Studio"
OTHER_PARTNER_NAME = "Northwind Games"
OTHER_APP_NAME = "Northwind Notes"
DEMO_PASSWORD = "demo-password"
SUPPORT_GROUP_NAME = "Support"
# Every permission of these apps goes to the Support group, queried by app
# label on each run so models added later are covered by a re-run.
# "axes" lets support staff see and delete failed sign-in attempts (unlock);
# "api": they create and revoke store-services tokens, revoke partner ones.
SUPPORT_APP_LABELS = (
    "customers",
    "engagement",
    "targeting",
    "api",
    "django_celery_beat",
    "axes",
)

APP_NAMES = (
    "Pixel Quest",
    "Tiny Tasks",
    "Beat Builder",
    "Star Courier",
    "Word Garden",
    "Cloud Canvas",
    "Retro Racer",
    "Budget Buddy",
    "Sky Sketch",
    "Puzzle Port",
    "Echo Notes",
    "Math Maze",
)
MAX_APPS = len(APP_NAMES)


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str


def demo_store_product_id(*, name: str) -> str:
    """Return the fixed 12-character Store product ID of a demo app.

    Derived from the name alone, so every run (whatever the seed) finds the
    same app again and keeps what references it.
    """
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    number = int.from_bytes(hashlib.sha256(f"demo:{name}".encode()).digest()[:8])
    suffix = []
    for _ in range(10):
        number, digit = divmod(number, len(alphabet))
        suffix.append(alphabet[digit])
    return "9N" + "".join(suffix)


def demo_partners_upsert(*, using: str) -> tuple[Partner, Partner]:
    """Create the two demo partners if missing; return Demo Studio, Northwind."""
    # Times on the dashboard follow each partner's zone, shown beside them.
    partner, _ = Partner.objects.using(using).get_or_create(
        name=DEMO_PARTNER_NAME, defaults={"time_zone": "Europe/Paris"}
    )
    other, _ = Partner.objects.using(using).get_or_create(
        name=OTHER_PARTNER_NAME, defaults={"time_zone": "America/Los_Angeles"}
    )
    return partner, other


def demo_apps_upsert(*, partner: Partner, count: int, using: str) -> list[App]:
    """Create or update the first ``count`` demo apps, found by Store product ID."""
    return [
        App.objects.using(using).update_or_create(
            store_product_id=demo_store_product_id(name=name),
            defaults={"partner": partner, "name": name},
        )[0]
        for name in APP_NAMES[:count]
    ]


def demo_other_app_upsert(*, partner: Partner, using: str) -> App:
    """Create or update the other partner's app, found by Store product ID."""
    app, _ = App.objects.using(using).update_or_create(
        store_product_id=demo_store_product_id(name=OTHER_APP_NAME),
        defaults={"partner": partner, "name": OTHER_APP_NAME},
    )
    return app


def support_group_upsert(*, using: str = DEFAULT_DB_ALIAS) -> Group:
    """Create or update the Support group: every permission of the support apps."""
    group, _ = Group.objects.using(using).get_or_create(name=SUPPORT_GROUP_NAME)
    group.permissions.set(
        Permission.objects.using(using).filter(
            content_type__app_label__in=SUPPORT_APP_LABELS
        )
    )
    return group


def demo_users_upsert(
    *, partner: Partner, other_partner: Partner, using: str
) -> list[DemoUser]:
    """Create or reset the demo logins, their memberships and the Support group."""
    User = get_user_model()
    # One hash for the four users: the default hasher takes ~0.4 s a hash.
    password = make_password(DEMO_PASSWORD)
    specs = (
        ("demo", partner, PartnerMembership.Role.EDITOR, "editor of Demo Studio"),
        ("viewer", partner, PartnerMembership.Role.VIEWER, "viewer of Demo Studio"),
        ("other", other_partner, PartnerMembership.Role.EDITOR, "editor of Northwind"),
        ("support", None, None, "support staff (admin)"),
    )
    users = []
    for username, member_of, role, label in specs:
        user, _ = User.objects.using(using).get_or_create(
            username=username, defaults={"email": f"{username}@studio.demo.example"}
        )
        user.password = password
        user.is_active = True
        user.is_staff = member_of is None
        user.is_superuser = False
        user.save(using=using)
        if member_of is not None:
            PartnerMembership.objects.using(using).update_or_create(
                user=user, partner=member_of, defaults={"role": role}
            )
        else:
            user.groups.add(support_group_upsert(using=using))
        users.append(DemoUser(username=username, role=label))
    return users


def demo_app_ids(*, using: str) -> list[int]:
    """Return the ids of every demo app that exists, whatever ``--apps`` was."""
    store_product_ids = [
        demo_store_product_id(name=name) for name in (*APP_NAMES, OTHER_APP_NAME)
    ]
    return list(
        App.objects.using(using)
        .filter(store_product_id__in=store_product_ids)
        .values_list("pk", flat=True)
    )
