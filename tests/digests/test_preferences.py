"""The preferences page, and the email router core asks before mirroring a notification."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import Notification, OutboundEmail
from core.notifications import NotificationDraft, notification_send, notifications_send
from integrations.digests.models import NotificationPreference
from tests.conftest import login
from tests.digests.conftest import prefer

pytestmark = pytest.mark.django_db
URL = reverse("digests:preferences")
CHANNELS = {
    "channel_activity_drop": "email",
    "channel_dossier_review": "email",
    "channel_accounts_moved": "email",
    "channel_webhook_disabled": "email",
}
VALID = {"daily": "on", "weekly_day": "4", "send_at": "07:45", "time_zone": "Europe/Berlin", **CHANNELS}


def test_the_page_shows_the_defaults_and_saves_the_choices(client, org):
    login(client, org.csm_a1)
    page = client.get(URL)
    assert page.status_code == 200
    assert b'value="08:00" selected' in page.content
    assert b"channel_activity_drop" in page.content and b"channel_monitoring" not in page.content
    response = client.post(URL, {**VALID, "weekly": "on", "channel_activity_drop": "digest"})
    assert response.status_code == 302
    saved = NotificationPreference.objects.get(user=org.csm_a1)
    assert (saved.daily, saved.weekly, saved.weekly_day, saved.send_at.isoformat()) == (True, True, 4, "07:45:00")
    assert saved.time_zone == "Europe/Berlin"
    assert saved.channels == {
        "activity_drop": "digest",
        "dossier_review": "email",
        "accounts_moved": "email",
        "webhook_disabled": "email",
    }


def test_admins_route_monitoring_incidents_too(client, org):
    login(client, org.admin)
    assert b"channel_monitoring" in client.get(URL).content


@pytest.mark.parametrize(
    ("field", "value"),
    [("time_zone", "Mars/Olympus"), ("send_at", "07:50"), ("weekly_day", "9"), ("channel_activity_drop", "fax")],
)
def test_bad_input_names_the_field_and_saves_nothing(client, org, field, value):
    login(client, org.csm_a1)
    response = client.post(URL, {**VALID, field: value})
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {field}
    assert b'data-testid="field-error"' in response.content
    assert not NotificationPreference.objects.exists()


def test_in_app_only_sends_no_email_and_digest_only_files_it_read(org):
    prefer(org.csm_a1, channels={"activity_drop": "in_app"})
    prefer(org.csm_a2, channels={"activity_drop": "digest"})
    drafts = [
        NotificationDraft(recipient=user, kind="activity_drop", title="Drop", dedupe_key=f"d:{user.pk}", email=True)
        for user in (org.csm_a1, org.csm_a2, org.csm_b1)
    ]
    notifications_send(drafts)
    assert [m.to for m in OutboundEmail.objects.all()] == [[org.csm_b1.email]]  # no preference: as the sender says
    read = dict(Notification.objects.values_list("recipient_id", "read_at"))
    assert read[org.csm_a1.pk] is None and read[org.csm_b1.pk] is None and read[org.csm_a2.pk] is not None


def test_notification_send_asks_the_router_too(org):
    prefer(org.admin, channels={"monitoring": "in_app"})
    notification_send(recipient=org.admin, kind="monitoring.job_late", title="Late", email=True)
    notification_send(recipient=org.csm_a1, kind="monitoring.job_late", title="Late", email=True)
    assert [m.to for m in OutboundEmail.objects.all()] == [[org.csm_a1.email]]


def test_a_preference_never_adds_an_email_the_sender_did_not_send(org):
    prefer(org.csm_a1, channels={"activity_drop": "email"})
    notification_send(recipient=org.csm_a1, kind="activity_drop", title="Quiet")
    assert not OutboundEmail.objects.exists()


def test_the_router_is_one_query_per_batch_and_none_without_email(org):
    users = [org.csm_a1, org.csm_a2, org.csm_b1]
    drafts = [NotificationDraft(recipient=u, kind="activity_drop", title="t", email=True) for u in users]
    with CaptureQueriesContext(connection) as queries:
        notifications_send(drafts)
    routed = [q for q in queries.captured_queries if "digests_notificationpreference" in q["sql"]]
    assert len(routed) == 1
    with CaptureQueriesContext(connection) as quiet:
        notifications_send([NotificationDraft(recipient=u, kind="activity_drop", title="t") for u in users])
    assert len(quiet) == 1


def test_the_user_menu_links_the_page(client, org):
    login(client, org.csm_a1)
    assert f'href="{URL}"'.encode() in client.get(reverse("notifications")).content
