from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone, translation

from accounts.models import TimelineEntry
from core.models import Notification, OutboundEmail
from core.outbox import email_bodies
from core.tasks import email_flush_task
from health.models import HealthScore
from org.models import CsProfile
from renewals.models import RenewalReminder, RenewalStatus
from renewals.reminders import reminder_subject, reminder_sweep, threshold_reached
from renewals.services import renewal_close, renewal_set_stage
from renewals.tasks import reminder_sweep_task
from tests.conftest import free_port
from tests.factories import AccountFactory
from tests.renewals.conftest import TODAY, churn_reason, fail_queuing_the_nth_reminder, make_renewal


def sweep(day=TODAY):
    return reminder_sweep(today=day)


def thresholds_of(renewal):
    return list(
        RenewalReminder.objects.filter(renewal=renewal)
        .order_by("-threshold_days")
        .values_list("threshold_days", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        (91, []),
        (90, [90]),
        (89, [90]),
        (61, [90]),
        (60, [60]),
        (31, [60]),
        (30, [30]),
        (8, [30]),
        (7, [7]),
        (6, [7]),
        (0, [7]),
        (-1, [7]),  # overdue and still open: the last reminder, late, once
        (-30, [7]),
        (-31, []),  # too old: left to the renewals page
    ],
)
def test_threshold_boundaries(org, days_left, expected):
    renewal = make_renewal(org.csm_a1, days_left=days_left)
    result = sweep()
    assert thresholds_of(renewal) == expected
    assert result.claimed == len(expected)
    assert OutboundEmail.objects.count() == len(expected)
    if days_left >= -30:  # beyond that the overdue cut-off, not the threshold, rules it out
        assert threshold_reached(days_left) == (expected[0] if expected else None)


@pytest.mark.django_db
def test_day_by_day_each_threshold_once_on_its_day(org):
    renewal = make_renewal(org.csm_a1, days_left=100)
    sent_on = {}
    for offset in range(0, 110):
        day = TODAY + timedelta(days=offset)
        if sweep(day).claimed:
            sent_on[(renewal.due_date - day).days] = thresholds_of(renewal)[-1]
    assert sent_on == {90: 90, 60: 60, 30: 30, 7: 7}
    assert OutboundEmail.objects.count() == 4
    assert len(set(OutboundEmail.objects.values_list("dedupe_key", flat=True))) == 4


@pytest.mark.django_db
def test_late_discovery_sends_one_reminder_for_the_most_urgent_threshold(org):
    renewal = make_renewal(org.csm_a1, days_left=25)
    assert sweep().claimed == 1
    assert thresholds_of(renewal) == [30]
    reminder = RenewalReminder.objects.get(renewal=renewal)
    assert reminder.days_left == 25 and reminder.queued_at is not None and reminder.email is not None
    assert "25" in reminder.email.subject
    assert sweep(TODAY + timedelta(days=1)).claimed == 0
    assert sweep(TODAY + timedelta(days=18)).claimed == 1  # 7 days left
    assert thresholds_of(renewal) == [30, 7]


@pytest.mark.django_db
def test_rerun_creates_nothing_new(org):
    for days in (90, 45, 7, 3):
        make_renewal(org.csm_a1, days_left=days)
    first = sweep()
    assert first.claimed == 4
    counts = (
        RenewalReminder.objects.count(),
        OutboundEmail.objects.count(),
        Notification.objects.count(),
        TimelineEntry.objects.filter(kind="renewal_reminder_sent").count(),
    )
    assert counts == (4, 4, 4, 4)
    assert sweep().claimed == 0
    assert reminder_sweep_task() == 0
    assert (
        RenewalReminder.objects.count(),
        OutboundEmail.objects.count(),
        Notification.objects.count(),
        TimelineEntry.objects.filter(kind="renewal_reminder_sent").count(),
    ) == counts


@pytest.mark.django_db
def test_only_open_and_at_risk_renewals_with_an_owner_are_reminded(org):
    committed = make_renewal(org.csm_a1, days_left=30)
    renewal_set_stage(renewal=committed, status=RenewalStatus.COMMITTED, actor=None)
    closed = make_renewal(org.csm_a1, days_left=30)
    renewal_close(renewal=closed, outcome=RenewalStatus.CHURNED, churn_reason=churn_reason(), actor=None)
    unowned = make_renewal(account=AccountFactory(owner=None), days_left=30)
    at_risk = make_renewal(org.csm_a1, days_left=30, at_risk=True)
    assert sweep().claimed == 1
    assert thresholds_of(at_risk) == [30]
    assert thresholds_of(unowned) == []
    # Once someone owns the account the missed reminder goes out, late, once.
    unowned.account.owner = org.csm_a2
    unowned.account.save()
    assert sweep(TODAY + timedelta(days=2)).claimed == 1
    reminder = RenewalReminder.objects.get(renewal=unowned)
    assert (reminder.threshold_days, reminder.days_left, reminder.recipient) == (30, 28, org.csm_a2)


@pytest.mark.django_db
def test_email_content_link_notification_and_timeline(org, settings):
    settings.HOURGLASS_BASE_URL = "https://cs.example.com/"
    renewal = make_renewal(org.csm_a1, days_left=60, arr="123456")
    unscored = make_renewal(org.csm_a2, days_left=60)
    HealthScore.objects.create(account=renewal.account, day=TODAY, score=64)
    sweep()
    assert "Health score: —" in email_bodies(OutboundEmail.objects.get(to=[org.csm_a2.email]))[0]
    assert unscored.account.health_scores.count() == 0
    message = OutboundEmail.objects.get(to=[org.csm_a1.email])
    assert message.to == [org.csm_a1.email] and message.cc == []
    assert message.dedupe_key == f"renewal-reminder:{renewal.pk}:60"
    assert message.subject == f"Renewal in 60 days: {renewal.account.name}"
    assert message.body_text == "" and message.render_with == "renewals.reminder"  # rendered when delivered
    text, html = email_bodies(message)
    for body in (text, html):
        assert renewal.account.name in body
        assert "¥123,456" in body
        assert "2025-05-02" in body
        assert f"https://cs.example.com/renewals/{renewal.pk}/" in body
        assert "Open" in body
        assert "Health score" in body and "64" in body
    assert "Health score: 64" in text
    notification = Notification.objects.get(recipient=org.csm_a1)
    assert notification.kind == "renewal_reminder" and notification.url == f"/renewals/{renewal.pk}/"
    assert notification.body == "Renewal date 2025-05-02 · ARR ¥123,456 · Open"
    entry = TimelineEntry.objects.get(kind="renewal_reminder_sent", account=renewal.account)
    assert entry.account == renewal.account and entry.data["threshold_days"] == 60


@pytest.mark.django_db
def test_manager_is_copied_only_when_at_risk(org, smtp_server):
    calm = make_renewal(org.csm_a1, days_left=30)
    risky = make_renewal(org.csm_a1, days_left=30, at_risk=True)
    sweep()
    assert email_flush_task() == 2
    received = {m["Message-ID"]: m for m in smtp_server.wait_for(2)}
    assert len(received) == 2
    by_key = {m.dedupe_key: m for m in OutboundEmail.objects.all()}
    assert by_key[f"renewal-reminder:{risky.pk}:30"].cc == [org.manager_a.email]
    assert by_key[f"renewal-reminder:{calm.pk}:30"].cc == []
    cc_headers = sorted(str(m.get("Cc") or "") for m in received.values())
    assert cc_headers == ["", org.manager_a.email]
    html = next(m for m in received.values() if m.get("Cc")).get_body(("html",)).get_content()
    assert "At risk" in html and "Sponsor left" in html


@pytest.mark.django_db
def test_email_is_in_the_recipients_language(org):
    CsProfile.objects.filter(user=org.csm_a2).update(language="zh-hans")
    chinese = make_renewal(org.csm_a2, days_left=30)
    english = make_renewal(org.csm_a1, days_left=30)
    sweep()
    zh = OutboundEmail.objects.get(to=[org.csm_a2.email])
    en = OutboundEmail.objects.get(to=[org.csm_a1.email])
    with translation.override("zh-hans"):
        assert zh.subject == reminder_subject(account_name=chinese.account.name, days_left=30)
    zh_text, zh_html = email_bodies(zh)
    assert "你好" in zh_text and "你好" in zh_html  # the greeting is translated already
    assert en.subject == f"Renewal in 30 days: {english.account.name}"
    assert "Hello" in email_bodies(en)[0]
    assert translation.get_language() == "en"  # the override did not leak
    # The renewal strings are translated with the next catalogue update; until then
    # only the greeting is Chinese. When they are, the subject must be too.
    with translation.override("zh-hans"):
        translated = translation.gettext("Renewal in %(days)s days: %(account)s") != (
            "Renewal in %(days)s days: %(account)s"
        )
    if translated:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.subject.replace(chinese.account.name, ""))


@pytest.mark.django_db
def test_the_local_date_decides_near_midnight(org, settings, monkeypatch):
    # 16:30 UTC on 2 March is 00:30 on 3 March in Shanghai (the deployment's zone).
    instant = datetime(2025, 3, 2, 16, 30, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: instant)
    renewal = make_renewal(org.csm_a1, days_left=90, today=TODAY)  # due 1 June, local 90 days away
    settings.TIME_ZONE = "UTC"  # in UTC it is still 2 March: 91 days, nothing due
    assert reminder_sweep().claimed == 0
    settings.TIME_ZONE = "Asia/Shanghai"
    assert timezone.localdate() == TODAY
    assert reminder_sweep().claimed == 1
    assert RenewalReminder.objects.get(renewal=renewal).days_left == 90


@pytest.mark.django_db
def test_smtp_down_then_up_is_delivered_once_later(org, settings, smtp_server):
    make_renewal(org.csm_a1, days_left=7)
    sweep()
    live_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens
    assert email_flush_task() == 0
    message = OutboundEmail.objects.get()
    assert message.status == OutboundEmail.Status.QUEUED and message.attempts == 1 and message.last_error
    assert sweep().claimed == 0  # the reminder is claimed; the outbox owns the retry
    settings.EMAIL_PORT = live_port
    OutboundEmail.objects.update(next_attempt_at=timezone.now())  # the backoff has passed
    assert email_flush_task() == 1
    assert email_flush_task() == 0
    assert len(smtp_server.wait_for(1)) == 1
    message.refresh_from_db()
    assert message.status == OutboundEmail.Status.SENT and message.attempts == 2


@pytest.mark.django_db
def test_a_crash_mid_sweep_loses_and_duplicates_nothing(org, monkeypatch):
    renewals = [make_renewal(org.csm_a1 if i % 2 else org.csm_a2, days_left=30) for i in range(12)]
    restore = fail_queuing_the_nth_reminder(monkeypatch, 7, "worker died")  # in the second batch
    with pytest.raises(RuntimeError):
        reminder_sweep(today=TODAY, batch_size=5)
    # The first batch committed whole; the second rolled back, claims included.
    assert RenewalReminder.objects.count() == 5
    assert OutboundEmail.objects.count() == 5
    assert RenewalReminder.objects.filter(queued_at=None).count() == 0
    restore()
    assert reminder_sweep(today=TODAY, batch_size=5).claimed == 7
    assert RenewalReminder.objects.count() == 12 == OutboundEmail.objects.count()
    assert set(RenewalReminder.objects.values_list("renewal_id", flat=True)) == {r.pk for r in renewals}


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_send_each_reminder_exactly_once(org, smtp_server, celery_eager):
    renewals = [
        make_renewal(user, days_left=days)
        for user in (org.csm_a1, org.csm_a2, org.csm_b1)
        for days in (90, 60, 45, 30, 7, 2, -3)
    ]
    renewals.append(make_renewal(org.csm_a1, days_left=20, at_risk=True))
    results = []
    errors = []
    barrier = threading.Barrier(4)

    def run() -> None:
        try:
            barrier.wait()
            results.append(reminder_sweep(today=TODAY, batch_size=3).claimed)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == len(renewals)
    assert RenewalReminder.objects.count() == len(renewals)
    received = smtp_server.wait_for(len(renewals), timeout=30)
    assert len(received) == len(renewals)
    keys = [(m["To"], m["Subject"]) for m in received]
    assert len(set(keys)) == len(keys)  # no duplicates
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == len(renewals)
    assert Notification.objects.count() == len(renewals)
    import time

    time.sleep(0.5)
    assert len(smtp_server.messages) == len(renewals)
