"""The batch versions of the outbox and notifications: same guarantees, constant queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.models import Notification, OutboundEmail
from core.notifications import NotificationDraft, notification_send, notifications_send
from core.outbox import EmailDraft, email_enqueue, emails_enqueue
from org.models import CsProfile, Role
from tests.factories import make_person


def draft(key: str, to: str = "csm@example.com", **kwargs) -> EmailDraft:
    return EmailDraft(dedupe_key=key, to=[to], subject=f"Subject {key}", body_text="Hello", **kwargs)


@pytest.mark.django_db
def test_emails_enqueue_is_idempotent_per_key_and_keeps_existing_rows():
    existing, _created = email_enqueue(dedupe_key="k0", to=["old@example.com"], subject="Old", body_text="b")
    messages = emails_enqueue([draft("k0"), draft("k1"), draft("k1", to="second@example.com"), draft("k2")])
    assert set(messages) == {"k0", "k1", "k2"}
    assert messages["k0"].pk == existing.pk and messages["k0"].subject == "Old"  # not overwritten
    assert messages["k1"].to == ["csm@example.com"]  # the first draft of a repeated key wins
    again = emails_enqueue([draft("k1"), draft("k2")])
    assert {key: m.pk for key, m in again.items()} == {key: messages[key].pk for key in ("k1", "k2")}
    assert OutboundEmail.objects.count() == 3


@pytest.mark.django_db
def test_emails_enqueue_checks_every_draft_before_writing():
    with pytest.raises(ValueError, match="recipient"):
        emails_enqueue([draft("ok"), draft("bad", to="")])
    assert OutboundEmail.objects.count() == 0
    assert emails_enqueue([]) == {}


@pytest.mark.django_db
def test_emails_enqueue_cleans_cc_and_truncates_the_subject():
    (message,) = emails_enqueue(
        [
            EmailDraft(
                dedupe_key="c",
                to=["a@example.com", ""],
                cc=["a@example.com", "", "b@example.com"],
                subject="s" * 400,
                body_text="x",
            )
        ]
    ).values()
    assert message.to == ["a@example.com"] and message.cc == ["b@example.com"] and len(message.subject) == 300


@pytest.mark.django_db
def test_emails_enqueue_query_count_is_constant_and_delivery_is_one_task(django_capture_on_commit_callbacks):
    counts = []
    for size in (3, 30):
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as callbacks:
            emails_enqueue([draft(f"{size}-{i}") for i in range(size)])
        counts.append(len(queries))
        assert len(callbacks) == 1
    assert counts[0] == counts[1] == 2


@pytest.mark.django_db(transaction=True)
def test_emails_enqueue_delivers_each_once(smtp_server, celery_eager):
    emails_enqueue([draft(f"d{i}", to=f"csm{i}@example.com") for i in range(3)])
    emails_enqueue([draft(f"d{i}", to=f"csm{i}@example.com") for i in range(3)])  # scheduled again: harmless
    assert len(smtp_server.wait_for(3)) == 3
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == 3
    import time

    time.sleep(0.3)
    assert len(smtp_server.messages) == 3


@pytest.mark.django_db
def test_notifications_send_once_per_key_in_one_insert():
    users = [make_person(Role.CSM, username=f"csm.{i}", email=f"csm{i}@example.com") for i in range(3)]
    drafts = [NotificationDraft(recipient=u, kind="test", title="t", dedupe_key=f"n:{u.pk}") for u in users]
    with CaptureQueriesContext(connection) as queries:
        notifications_send(drafts)
    assert len(queries) == 1
    notifications_send([*drafts, NotificationDraft(recipient=users[0], kind="test", title="no key")])
    assert Notification.objects.count() == 4
    assert Notification.objects.filter(dedupe_key=None).count() == 1


@pytest.mark.django_db
def test_notifications_send_emails_only_new_notifications_in_the_recipients_language():
    chinese = make_person(Role.CSM, username="csm.wang", email="wang@example.com", first_name="芳", last_name="王")
    CsProfile.objects.filter(user=chinese).update(language="zh-hans")
    chinese.refresh_from_db()
    english = make_person(Role.CSM, username="csm.smith", email="smith@example.com", first_name="Ann")
    no_email = make_person(Role.CSM, username="csm.none", email="")
    notification_send(recipient=english, kind="test", title="Old", dedupe_key="n-old")  # exists, no email
    notifications_send(
        [
            NotificationDraft(recipient=chinese, kind="test", title="续费提醒", dedupe_key="n-zh", email=True),
            NotificationDraft(recipient=english, kind="test", title="Old", dedupe_key="n-old", email=True),
            NotificationDraft(recipient=english, kind="test", title="Unkeyed", email=True),
            NotificationDraft(recipient=no_email, kind="test", title="Nobody", dedupe_key="n-none", email=True),
        ]
    )
    emails = {m.to[0]: m for m in OutboundEmail.objects.all()}
    assert set(emails) == {"wang@example.com", "smith@example.com"}
    assert "你好" in emails["wang@example.com"].body_text
    assert emails["smith@example.com"].subject == "Unkeyed" and "Hello" in emails["smith@example.com"].body_text
    zh = Notification.objects.get(dedupe_key="n-zh")
    assert emails["wang@example.com"].dedupe_key == f"notification:{zh.pk}"
    assert translation.get_language() != "zh-hans"
    notifications_send(
        [NotificationDraft(recipient=chinese, kind="test", title="续费提醒", dedupe_key="n-zh", email=True)]
    )
    assert OutboundEmail.objects.count() == 2
