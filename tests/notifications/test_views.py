"""The push notification pages (issue 13): the apps, an app's notifications,
writing a draft, sending it (with the 30-minute confirmation), cancelling it,
its page and its progress; who may see and do what."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Partner
from engagement.models import GroupKind, Segment
from notifications.models import AudienceKind, Notification, NotificationStatus
from notifications.selectors import COMPLETED_SHOWN
from notifications.services.credentials import wns_credentials_set
from notifications.services.notifications import (
    notification_save_draft,
    notification_schedule,
)
from tests.factories import (
    SPEND_OVER_10,
    AppFactory,
    PartnerMembershipFactory,
    known_user_group,
)

pytestmark = pytest.mark.django_db

APPS = reverse("notifications:notification_apps")
HOSTILE = '<script>alert("x")</script>&'
HOSTILE_ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"
# Every page first reads the session, the user and the user's partner
# memberships, and the frame lists the partner's apps.
FRAME = 4


def values(**changes):
    return {
        "name": "Spring sale",
        "template_type": Notification.Template.PROMOTE_SALE,
        "title": "Spring sale",
        "text": "Everything at half price.",
        "launch": "",
        "audience": AudienceKind.ALL,
        "group": None,
        "send_at": None,
        "expires_at": None,
        **changes,
    }


def post_data(**changes):
    """What the form posts for a toast to all customers, sent now."""
    return {
        "name": "Spring sale",
        "template_type": "promote_sale",
        "title": "Spring sale",
        "text": "Everything at half price.",
        "launch": "",
        "audience": "all",
        "segment": "",
        "known_user_group": "",
        "schedule": "now",
        "send_at": "",
        "expires_at": "",
        "action": "draft",
        **changes,
    }


def segment(
    partner, app, *, name="Spenders", status=Segment.Status.ACTIVE, members=500
):
    return Segment.objects.create(
        partner=partner,
        kind=GroupKind.SEGMENT,
        name=name,
        app=app,
        definition=SPEND_OVER_10,
        status=status,
        member_count=members,
        version=1,
        pending_version=1,
    )


@pytest.fixture
def draft(app, editor):
    return notification_save_draft(app=app, values=values(), user=editor)


@pytest.fixture
def scheduled(app, editor):
    later = timezone.now() + dt.timedelta(days=2)
    made = notification_save_draft(
        app=app, values=values(name="Later", send_at=later), user=editor
    )
    return notification_schedule(notification=made)


def html_of(response) -> str:
    return response.content.decode()


def urls(app, notification):
    """Every page of the app and the notification: (name, url, editor only)."""
    return [
        ("list", reverse("notifications:app_notification_list", args=[app.pk]), False),
        (
            "create",
            reverse("notifications:notification_create", args=[app.pk]),
            True,
        ),
        (
            "settings",
            reverse("notifications:app_notification_settings", args=[app.pk]),
            False,
        ),
        (
            "detail",
            reverse("notifications:notification_detail", args=[notification.pk]),
            False,
        ),
        (
            "edit",
            reverse("notifications:notification_edit", args=[notification.pk]),
            True,
        ),
        (
            "send",
            reverse("notifications:notification_schedule", args=[notification.pk]),
            True,
        ),
        (
            "cancel",
            reverse("notifications:notification_cancel", args=[notification.pk]),
            True,
        ),
    ]


# Who sees what ---------------------------------------------------------------


def test_another_partners_apps_and_notifications_are_404_on_every_url(
    client, app, draft, other_partner
):
    client.force_login(PartnerMembershipFactory(partner=other_partner).user)
    for name, url, _editor in urls(app, draft):
        assert client.get(url).status_code == 404, name
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 404
        assert client.post(url, post_data(action="send")).status_code == 404, name
    assert "Contoso Racer" not in html_of(client.get(APPS))
    draft.refresh_from_db()
    assert (draft.status, draft.name) == (NotificationStatus.DRAFT, "Spring sale")


def test_viewers_read_every_page_and_get_403_on_every_change(
    viewer_client, app, draft, editor
):
    wns_credentials_set(
        app=app, package_sid="ms-app://s", client_secret="x", user=editor
    )
    for name, url, editor_only in urls(app, draft):
        if editor_only:
            assert viewer_client.get(url).status_code == 403, name
            response = viewer_client.post(url, post_data(action="send"))
            assert response.status_code == 403, name
            assert "Viewers cannot change notifications." in html_of(response)
        else:
            response = viewer_client.get(url)
            assert response.status_code == 200, name
            html = html_of(response)
            assert "New notification" not in html
            assert 'action="/engage/notifications/' not in html  # no send or cancel
            assert "/edit/" not in html
    settings_url = reverse("notifications:app_notification_settings", args=[app.pk])
    html = html_of(viewer_client.get(settings_url))
    assert "<fieldset disabled>" in html and "read-only" in html
    response = viewer_client.post(
        settings_url, {"package_sid": "ms-app://mine", "client_secret": "mine"}
    )
    assert response.status_code == 403
    assert app.wns_credentials.package_sid == "ms-app://s"
    assert html_of(viewer_client.get(APPS)).count("Contoso Racer") >= 1
    draft.refresh_from_db()
    assert draft.status == NotificationStatus.DRAFT


def test_the_scheduled_ones_cancel_is_refused_to_viewers(viewer_client, scheduled):
    url = reverse("notifications:notification_detail", args=[scheduled.pk])
    assert "Cancel sending" not in html_of(viewer_client.get(url))
    cancel = reverse("notifications:notification_cancel", args=[scheduled.pk])
    assert viewer_client.post(cancel).status_code == 403
    scheduled.refresh_from_db()
    assert scheduled.status == NotificationStatus.SCHEDULED


def test_signed_out_visitors_are_sent_to_sign_in(client, app, draft):
    for name, url, _editor in [("apps", APPS, False), *urls(app, draft)]:
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, name
            assert response.url.startswith(reverse("login")), name


# The apps page and an app's list ---------------------------------------------


def test_the_apps_page_counts_notifications_and_says_whether_credentials_are_set(
    editor_client, app, draft, partner, editor
):
    other = AppFactory(partner=partner, name="Alpine Puzzle")
    wns_credentials_set(
        app=other, package_sid="ms-app://s", client_secret="x", user=editor
    )
    html = html_of(editor_client.get(APPS))
    racer = reverse("notifications:app_notification_list", args=[app.pk])
    puzzle = reverse("notifications:app_notification_list", args=[other.pk])
    assert re.search(
        rf'<a href="{racer}">Contoso Racer</a></td>\s*<td[^>]*>1</td>\s*<td[^>]*>'
        r"<a [^>]*>Not set",
        html,
    )
    assert re.search(
        rf'<a href="{puzzle}">Alpine Puzzle</a></td>\s*<td[^>]*>0</td>\s*<td[^>]*>'
        r'<span class="badge text-bg-success">Set</span>',
        html,
    )


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_the_list_puts_each_notification_in_its_section(
    editor_client, app, draft, scheduled, editor
):
    sending = notification_save_draft(app=app, values=values(name="Going"), user=editor)
    Notification.objects.filter(pk=sending.pk).update(
        status=NotificationStatus.SENDING,
        started_at=timezone.now(),
        channels=8,
        sent=3,
    )
    done = notification_save_draft(app=app, values=values(name="Done"), user=editor)
    Notification.objects.filter(pk=done.pk).update(
        status=NotificationStatus.FAILED,
        status_reason="No credentials.",
        finished_at=timezone.now(),
    )
    html = html_of(
        editor_client.get(reverse("notifications:app_notification_list", args=[app.pk]))
    )
    assert "Spring sale" in _section(html, "drafts-heading")
    later = _section(html, "scheduled-heading")
    assert "Later" in later
    assert scheduled.send_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") in later
    going = _section(html, "sending-heading")
    assert "Going" in going and "3 / 8" in going and "Sending" in going
    completed = _section(html, "completed-heading")
    assert "Done" in completed and "Failed" in completed
    assert "New notification" in html
    assert reverse("notifications:app_notification_settings", args=[app.pk]) in html
    assert "notifications will not be sent until" in html


def test_the_list_has_no_warning_once_credentials_are_set(editor_client, app, editor):
    wns_credentials_set(
        app=app, package_sid="ms-app://s", client_secret="x", user=editor
    )
    url = reverse("notifications:app_notification_list", args=[app.pk])
    assert "notifications will not be sent until" not in html_of(editor_client.get(url))


@pytest.mark.parametrize("n", [3, 30])
def test_the_list_runs_the_same_queries_whatever_the_number(
    editor_client, app, partner, editor, n, django_assert_num_queries
):
    group = known_user_group(partner=partner, emails=["a@mail.example"])
    spenders = segment(partner, app)
    now = timezone.now()
    statuses = list(NotificationStatus)
    for i in range(n):
        audience, chosen = [
            (AudienceKind.ALL, None),
            (AudienceKind.SEGMENT, spenders),
            (AudienceKind.KNOWN_USER_GROUP, group),
        ][i % 3]
        Notification.objects.create(
            app=app,
            name=f"N{i}",
            template_type="blank",
            title="T",
            text="X",
            audience=audience,
            group=chosen,
            status=statuses[i % len(statuses)],
            send_at=now + dt.timedelta(hours=i) if i % 2 else None,
            started_at=now if i % 4 == 0 else None,
            created_by=editor,
        )
    url = reverse("notifications:app_notification_list", args=[app.pk])
    # The frame; the app with its credentials; the open notifications; the
    # completed ones (each with its group and the group's segment or known
    # user group row: no query per row).
    with django_assert_num_queries(FRAME + 3):
        response = editor_client.get(url)
    assert response.status_code == 200
    assert html_of(response).count('<tr id="notification-') == n


def test_the_list_shows_the_latest_completed_ones_only(editor_client, app, editor):
    for i in range(COMPLETED_SHOWN + 1):
        Notification.objects.create(
            app=app,
            name=f"Old {i:03}",
            template_type="blank",
            title="T",
            text="X",
            audience=AudienceKind.ALL,
            status=NotificationStatus.SENT,
            finished_at=timezone.now() - dt.timedelta(hours=i),
        )
    url = reverse("notifications:app_notification_list", args=[app.pk])
    html = html_of(editor_client.get(url))
    assert html.count('<tr id="notification-') == COMPLETED_SHOWN
    assert "Old 000" in html and f"Old {COMPLETED_SHOWN:03}" not in html
    assert f"The latest {COMPLETED_SHOWN} completed notifications are shown." in html


# Writing a draft -------------------------------------------------------------


def test_creating_a_draft_saves_it_and_shows_its_page(editor_client, app, editor):
    url = reverse("notifications:notification_create", args=[app.pk])
    response = editor_client.get(url)
    assert response.status_code == 200
    html = html_of(response)
    for text in (
        'maxlength="64"',
        'maxlength="200"',
        'type="datetime-local"',
        "Send on (UTC)",
        "Save as draft",
        "Blank toast",
        "Ask for ratings",
        "Promote a sale",
    ):
        assert text in html, text

    response = editor_client.post(url, post_data(launch="action=sale"))
    made = Notification.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("notifications:notification_detail", args=[made.pk])
    assert (made.status, made.launch, made.created_by) == (
        NotificationStatus.DRAFT,
        "action=sale",
        editor,
    )
    html = html_of(editor_client.get(response.url))
    assert "Draft “Spring sale” saved." in html
    assert "Everything at half price." in html and "action=sale" in html


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"title": "x" * 65}, "title"),
        ({"text": ""}, "text"),
        ({"text": "x" * 201}, "text"),
        ({"launch": "x" * 1025}, "launch"),
        ({"audience": "segment"}, "segment"),
        ({"audience": "known_user_group"}, "known_user_group"),
        ({"audience": "nobody"}, "audience"),
        ({"schedule": "later"}, "send_at"),
        ({"schedule": "later", "send_at": "tomorrow"}, "send_at"),
        ({"template_type": "spam"}, "template_type"),
        ({"title": "Bell \x07"}, None),  # a character WNS's XML cannot carry
        (
            {
                "schedule": "later",
                "send_at": "2030-01-01T10:00",
                "expires_at": "2030-01-01T09:00",
            },
            "expires_at",
        ),
    ],
)
def test_bad_input_is_400_with_the_error_on_its_field_and_nothing_saved(
    editor_client, app, changes, field
):
    url = reverse("notifications:notification_create", args=[app.pk])
    for action in ("draft", "send"):
        response = editor_client.post(url, post_data(action=action, **changes))
        assert response.status_code == 400
        form = response.context["form"]
        assert form.errors
        if field:
            assert field in form.errors, form.errors
        assert "Nothing was saved." in html_of(response)
    assert not Notification.objects.exists()


def test_another_partners_group_cannot_be_chosen(
    editor_client, app, other_partner, other_app
):
    theirs = known_user_group(
        partner=other_partner, name="Theirs", emails=["t@mail.example"]
    )
    their_segment = segment(other_partner, other_app, name="Their spenders")
    url = reverse("notifications:notification_create", args=[app.pk])
    for changes in (
        {"audience": "known_user_group", "known_user_group": theirs.pk},
        {"audience": "segment", "segment": their_segment.pk},
    ):
        response = editor_client.post(url, post_data(**changes))
        assert response.status_code == 400
    assert not Notification.objects.exists()


def test_a_template_fills_title_and_text_without_losing_what_was_typed(
    editor_client, app
):
    url = reverse("notifications:notification_create", args=[app.pk])
    fragment = {"HX-Request": "true", "HX-Target": "toast-fields"}
    response = editor_client.get(
        url, {"template_type": "ask_rating", "title": "", "text": ""}, headers=fragment
    )
    html = html_of(response)
    assert "<html" not in html
    assert 'value="Enjoying Contoso Racer?"' in html
    assert "Rate it in the Store: it helps us a lot." in html
    # Another template replaces its defaults, never what the partner typed.
    response = editor_client.get(
        url,
        {
            "template_type": "promote_sale",
            "title": "Enjoying Contoso Racer?",
            "text": "My own words",
        },
        headers=fragment,
    )
    html = html_of(response)
    assert 'value="Sale on Contoso Racer"' in html
    assert "My own words" in html and "half" not in html
    # Without JavaScript: ?template_type= on the page itself.
    html = html_of(editor_client.get(url, {"template_type": "ask_feedback"}))
    assert 'value="How is Contoso Racer working for you?"' in html
    assert '<option value="ask_feedback" selected>' in html
    # The select asks for the swap.
    assert 'hx-get="' + url + '"' in html and 'hx-target="#toast-fields"' in html


def test_a_long_app_name_still_gives_a_title_within_the_limit(editor_client, partner):
    long = AppFactory(partner=partner, name="A" * 120)
    url = reverse("notifications:notification_create", args=[long.pk])
    response = editor_client.get(url, {"template_type": "ask_rating"})
    assert len(response.context["form"].initial["title"]) == 64


def test_editing_a_draft_changes_it(editor_client, draft, partner):
    group = known_user_group(partner=partner, emails=["a@mail.example"])
    url = reverse("notifications:notification_edit", args=[draft.pk])
    form = editor_client.get(url).context["form"]
    assert form.initial["title"] == "Spring sale"
    response = editor_client.post(
        url,
        post_data(
            name="Renamed",
            audience="known_user_group",
            known_user_group=group.pk,
            schedule="later",
            send_at="2030-03-01T09:30",
        ),
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.name, draft.audience, draft.group_id, draft.status) == (
        "Renamed",
        AudienceKind.KNOWN_USER_GROUP,
        group.pk,
        NotificationStatus.DRAFT,
    )
    assert draft.send_at == dt.datetime(2030, 3, 1, 9, 30, tzinfo=dt.UTC)
    assert Notification.objects.count() == 1


def test_editing_a_notification_that_is_no_longer_a_draft_is_refused(
    editor_client, scheduled
):
    url = reverse("notifications:notification_edit", args=[scheduled.pk])
    detail = reverse("notifications:notification_detail", args=[scheduled.pk])
    for response in (
        editor_client.get(url),
        editor_client.post(url, post_data(name="Changed")),
    ):
        assert response.status_code == 302
        assert response.url == detail
    html = html_of(editor_client.get(detail))
    assert "Only a draft can be changed; “Later” is scheduled." in html
    scheduled.refresh_from_db()
    assert scheduled.name == "Later"


# Sending ----------------------------------------------------------------------


def test_sending_now_without_credentials_fails_and_says_why(
    editor_client, app, django_capture_on_commit_callbacks
):
    url = reverse("notifications:notification_create", args=[app.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(url, post_data(action="send"))
    made = Notification.objects.get()
    assert response.url == reverse("notifications:notification_detail", args=[made.pk])
    assert made.status == NotificationStatus.FAILED
    html = html_of(editor_client.get(response.url))
    assert "Notification “Spring sale” is being sent." in html
    assert "Failed" in html
    assert "The app has no WNS credentials" in html
    assert 'id="status-reason"' in html
    assert "hx-trigger" not in html  # final: no polling


def test_sending_at_a_time_schedules_it_in_utc_whatever_the_partners_zone(
    editor_client, app, partner
):
    Partner.objects.filter(pk=partner.pk).update(time_zone="Europe/Paris")
    when = (timezone.now() + dt.timedelta(days=3)).astimezone(dt.UTC)
    typed = when.strftime("%Y-%m-%dT%H:%M")
    url = reverse("notifications:notification_create", args=[app.pk])
    response = editor_client.post(
        url, post_data(action="send", schedule="later", send_at=typed)
    )
    made = Notification.objects.get()
    assert made.status == NotificationStatus.SCHEDULED
    assert made.send_at == when.replace(second=0, microsecond=0)
    html = html_of(editor_client.get(response.url))
    shown = when.strftime("%Y-%m-%d %H:%M")
    assert f"is scheduled for {shown} UTC." in html
    assert f">{shown} UTC</time>" in html
    assert 'hx-trigger="every 2s"' in html  # polls while scheduled
    assert "Cancel sending" in html
    # The edit form of a draft shows the time back in UTC too.
    Notification.objects.filter(pk=made.pk).update(status=NotificationStatus.DRAFT)
    edit = reverse("notifications:notification_edit", args=[made.pk])
    assert f'value="{typed}"' in html_of(editor_client.get(edit))


def test_a_second_send_within_30_minutes_asks_and_send_anyway_schedules_it(
    editor_client, app, scheduled
):
    near = (scheduled.send_at + dt.timedelta(minutes=10)).astimezone(dt.UTC)
    data = post_data(
        name="Near",
        action="send",
        schedule="later",
        send_at=near.strftime("%Y-%m-%dT%H:%M"),
    )
    url = reverse("notifications:notification_create", args=[app.pk])
    response = editor_client.post(url, data)
    assert response.status_code == 200
    html = html_of(response)
    assert "Another notification (" in html and ">Later</a>)" in html
    assert "less than 30 minutes" in html
    assert '<button type="submit" name="confirmed" value="1"' in html
    assert 'value="Near"' in html  # nothing typed is lost
    assert list(Notification.objects.values_list("name", flat=True)) == ["Later"]

    response = editor_client.post(url, {**data, "confirmed": "1"})
    assert response.status_code == 302
    near_one = Notification.objects.get(name="Near")
    assert near_one.status == NotificationStatus.SCHEDULED


def test_sending_a_draft_from_its_page_asks_too(editor_client, app, editor, scheduled):
    near = notification_save_draft(
        app=app,
        values=values(name="Near", send_at=scheduled.send_at + dt.timedelta(minutes=5)),
        user=editor,
    )
    send = reverse("notifications:notification_schedule", args=[near.pk])
    response = editor_client.post(send)
    assert response.status_code == 200
    html = html_of(response)
    assert "less than 30 minutes" in html and "Send anyway" in html
    assert '<input type="hidden" name="confirmed" value="1">' in html
    near.refresh_from_db()
    assert near.status == NotificationStatus.DRAFT

    response = editor_client.post(send, {"confirmed": "1"})
    assert response.url == reverse("notifications:notification_detail", args=[near.pk])
    near.refresh_from_db()
    assert near.status == NotificationStatus.SCHEDULED
    # Sending it again is refused with a message.
    response = editor_client.post(send, follow=True)
    assert "Only a draft can be changed or sent; this one is scheduled." in html_of(
        response
    )


def test_send_and_cancel_take_only_post(editor_client, draft):
    for name in (
        "notifications:notification_schedule",
        "notifications:notification_cancel",
    ):
        assert editor_client.get(reverse(name, args=[draft.pk])).status_code == 405


# An inactive segment ---------------------------------------------------------


def test_an_inactive_segment_is_not_offered_and_a_draft_with_one_cannot_be_sent(
    editor_client, app, partner, editor
):
    active = segment(partner, app, name="Spenders")
    small = segment(partner, app, name="Tiny", members=3)
    other_apps = segment(partner, AppFactory(partner=partner), name="Elsewhere")
    url = reverse("notifications:notification_create", args=[app.pk])
    choices = editor_client.get(url).context["form"].fields["segment"].queryset
    assert list(choices) == [active]
    response = editor_client.post(url, post_data(audience="segment", segment=small.pk))
    assert response.status_code == 400 and "segment" in response.context["form"].errors
    response = editor_client.post(
        url, post_data(audience="segment", segment=other_apps.pk)
    )
    assert response.status_code == 400

    draft = notification_save_draft(
        app=app,
        values=values(audience=AudienceKind.SEGMENT, group=active),
        user=editor,
    )
    Segment.objects.filter(pk=active.pk).update(status=Segment.Status.FAILED)
    edit = reverse("notifications:notification_edit", args=[draft.pk])
    html = html_of(editor_client.get(edit))
    assert "Spenders (not active)" in html
    assert "cannot be sent to it until it is active again" in html
    # Sent from the form: refused on the segment field, the draft unchanged.
    response = editor_client.post(
        edit, post_data(action="send", audience="segment", segment=active.pk)
    )
    assert response.status_code == 400
    assert "Only an active segment can be chosen" in str(
        response.context["form"].errors["segment"]
    )
    # Sent from its page: refused with a message.
    send = reverse("notifications:notification_schedule", args=[draft.pk])
    html = html_of(editor_client.post(send, follow=True))
    assert "Only an active segment can be chosen: Spenders is not." in html
    draft.refresh_from_db()
    assert draft.status == NotificationStatus.DRAFT


# Cancelling -------------------------------------------------------------------


def test_cancelling_before_it_starts(editor_client, scheduled):
    cancel = reverse("notifications:notification_cancel", args=[scheduled.pk])
    response = editor_client.post(cancel, follow=True)
    scheduled.refresh_from_db()
    assert scheduled.status == NotificationStatus.CANCELLED
    html = html_of(response)
    assert "Notification “Later” cancelled: it will not be sent." in html
    assert "Cancel sending" not in html and "hx-trigger" not in html


def test_cancelling_after_it_started_is_refused(editor_client, scheduled):
    Notification.objects.filter(pk=scheduled.pk).update(
        status=NotificationStatus.SENDING, started_at=timezone.now()
    )
    cancel = reverse("notifications:notification_cancel", args=[scheduled.pk])
    html = html_of(editor_client.post(cancel, follow=True))
    assert "“Later” can no longer be cancelled" in html
    scheduled.refresh_from_db()
    assert scheduled.status == NotificationStatus.SENDING


# The notification's page -----------------------------------------------------


def test_the_page_shows_the_toast_audience_schedule_and_results(
    editor_client, app, partner, editor
):
    group = known_user_group(partner=partner, emails=["a@mail.example"])
    expires = dt.datetime(2031, 1, 2, 3, 4, tzinfo=dt.UTC)
    made = notification_save_draft(
        app=app,
        values=values(
            audience=AudienceKind.KNOWN_USER_GROUP,
            group=group,
            launch="action=sale",
            expires_at=expires,
        ),
        user=editor,
    )
    Notification.objects.filter(pk=made.pk).update(
        status=NotificationStatus.SENDING,
        started_at=timezone.now(),
        targeted=12,
        channels=10,
        sent=5,
        failed=1,
        expired=2,
        retried=3,
    )
    html = html_of(
        editor_client.get(reverse("notifications:notification_detail", args=[made.pk]))
    )
    assert 'id="toast-preview"' in html and "Everything at half price." in html
    assert group.get_absolute_url() in html and "Beta testers" in html
    assert "2031-01-02 03:04 UTC" in html
    for key, number in [
        ("targeted", 12),
        ("channels", 10),
        ("sent", 5),
        ("failed", 1),
        ("expired", 2),
        ("retried", 3),
    ]:
        assert f'id="result-{key}">{number}</dd>' in html
    assert re.search(
        r'role="progressbar" aria-label="Channels settled" aria-valuenow="80" '
        r'aria-valuemin="0" aria-valuemax="100"',
        html,
    )
    assert 'hx-trigger="every 2s"' in html


def test_the_results_poll_answers_a_fragment_then_204_while_nothing_changes(
    editor_client, scheduled
):
    url = reverse("notifications:notification_detail", args=[scheduled.pk])
    poll = {"HX-Request": "true", "HX-Target": "notification-live"}
    response = editor_client.get(url, headers=poll)
    html = html_of(response)
    assert "<html" not in html and 'id="notification-live"' in html
    state = re.search(r'data-state="([^"]+)"', html).group(1)
    assert editor_client.get(url, {"state": state}, headers=poll).status_code == 204
    Notification.objects.filter(pk=scheduled.pk).update(
        status=NotificationStatus.SENT, started_at=timezone.now(), channels=2, sent=2
    )
    response = editor_client.get(url, {"state": state}, headers=poll)
    html = html_of(response)
    assert response.status_code == 200
    assert "Sent" in html and "hx-trigger" not in html  # final: polling stops
    assert 'aria-valuenow="100"' in html


def test_hostile_names_title_and_text_are_escaped_on_every_page(
    editor_client, app, partner, editor
):
    group = known_user_group(
        partner=partner, name=f"Group {HOSTILE}", emails=["h@mail.example"]
    )
    made = notification_save_draft(
        app=app,
        values=values(
            name=HOSTILE,
            title=HOSTILE,
            text=HOSTILE,
            launch=HOSTILE,
            audience=AudienceKind.KNOWN_USER_GROUP,
            group=group,
        ),
        user=editor,
    )
    pages = [
        reverse("notifications:app_notification_list", args=[app.pk]),
        reverse("notifications:notification_detail", args=[made.pk]),
        reverse("notifications:notification_edit", args=[made.pk]),
        group.get_absolute_url(),
    ]
    for url in pages:
        html = html_of(editor_client.get(url))
        assert HOSTILE not in html, url
        assert "<script>alert" not in html, url
        assert HOSTILE_ESCAPED in html, url


# Where a group is used ------------------------------------------------------


def test_a_groups_page_lists_its_notifications_and_a_used_segment_cannot_be_deleted(
    editor_client, app, partner, editor
):
    spenders = segment(partner, app)
    made = notification_save_draft(
        app=app,
        values=values(audience=AudienceKind.SEGMENT, group=spenders),
        user=editor,
    )
    html = html_of(editor_client.get(spenders.get_absolute_url()))
    uses = html[html.index('id="group-uses"') :]
    detail = reverse("notifications:notification_detail", args=[made.pk])
    assert f'Push notification <a href="{detail}">Spring sale</a>' in uses
    delete = reverse("engagement:segment_delete", args=[spenders.pk])
    html = html_of(editor_client.post(delete, follow=True))
    assert "is used by" in html and "Spring sale" in html
    assert Segment.objects.filter(pk=spenders.pk).exists()


# In French ----------------------------------------------------------------------


def test_the_pages_say_notifications_toast_segment_and_groupe_d_utilisateurs_connus(
    editor_client, app, draft
):
    french = {"accept-language": "fr"}
    html = html_of(editor_client.get(APPS, headers=french))
    assert "Notifications" in html and "Non définies" in html
    url = reverse("notifications:notification_create", args=[app.pk])
    html = html_of(editor_client.get(url, headers=french))
    for words in (
        "Nouvelle notification de Contoso Racer",
        "Notification toast vide",
        "Un segment",
        "Un groupe d’utilisateurs connus",
        "Envoyer immédiatement",
        "Enregistrer comme brouillon",
    ):
        assert words in html, words
    detail = reverse("notifications:notification_detail", args=[draft.pk])
    html = html_of(editor_client.get(detail, headers=french))
    assert "Brouillon" in html and "Notification push" in html
    assert "Tous les clients de l’application" in html
