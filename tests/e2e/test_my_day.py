from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Stakeholder, Tier, TimelineEntry
from health.models import HealthScore
from org.models import CsProfile, Role
from playbooks.models import Task, TaskStatus
from tests.factories import PASSWORD, AccountFactory, make_person
from tests.renewals.conftest import make_renewal

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_csm_lands_on_my_day_completes_with_a_touch_and_snoozes(page, screenshot, celery_eager):
    csm = make_person(Role.CSM, username="csm", first_name="Wei", last_name="Li")
    today = timezone.localdate()
    # Long live and small: the stage refresh on save fires no playbook, the tasks are ours.
    account = AccountFactory(
        owner=csm, name="Harbor Freight Co", arr=Decimal("15000"), go_live_date=today - timedelta(days=400)
    )
    call = Task.objects.create(account=account, assignee=csm, title="Call the sponsor", due_date=today)
    deck = Task.objects.create(
        account=account, assignee=csm, title="Send the QBR deck", due_date=today - timedelta(days=2)
    )

    page.goto("/login/")
    page.fill("#id_username", "csm")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")
    assert page.inner_text("[data-testid=kpi-tasks]") == "2"
    assert page.locator(f"[data-task='{deck.pk}'] [data-testid=task-overdue]").is_visible()
    screenshot("my-day")

    # One primary action per row ("Done"); "Done + touch" and the snoozes are in its menu.
    page.click(f"[data-task='{call.pk}'] [data-testid=row-menu]")
    page.click(f"[data-task='{call.pk}'] [data-testid=task-complete-touch]")
    form = page.locator(f"[data-task='{call.pk}'] [data-testid=touch-form]")
    form.locator("select[name=kind]").select_option("call")
    form.locator("input[name=title]").fill("Called Li Na about the roll-out")
    form.locator("input[name=body]").fill("Agreed to invite the finance department next week.")
    form.locator("[data-testid=touch-save]").click()
    page.wait_for_selector(f"[data-task='{call.pk}'][data-status=done] [data-testid=task-touch-logged]")

    page.click(f"[data-task='{deck.pk}'] [data-testid=row-menu]")
    page.click(f"[data-task='{deck.pk}'] [data-testid=task-snooze-1]")
    page.wait_for_selector(f"[data-task='{deck.pk}'][data-status=snoozed]")
    screenshot("my-day-after-actions")

    call.refresh_from_db()
    deck.refresh_from_db()
    assert call.status == TaskStatus.DONE and call.touchpoint is not None
    entry = TimelineEntry.objects.get(account=account, is_touchpoint=True)
    assert (entry.title, entry.kind, entry.actor_id) == ("Called Li Na about the roll-out", "call", csm.pk)
    assert (deck.status, deck.snoozed_until) == (TaskStatus.SNOOZED, today + timedelta(days=1))

    page.reload()
    assert page.inner_text("[data-testid=kpi-tasks]") == "0"


NO_SIDE_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def test_my_day_triage_in_zh_hans_at_1440_and_390_with_a_two_tap_touch(page, screenshot):
    csm = make_person(Role.CSM, username="csm", first_name="Wei", last_name="Li")
    CsProfile.objects.filter(user=csm).update(language="zh-hans")
    today = timezone.localdate()
    big = AccountFactory(
        owner=csm, name="Shenzhen Precision Manufacturing Group Co", arr=Decimal("480000"),
        go_live_date=today - timedelta(days=400),
    )  # fmt: skip
    long_live = today - timedelta(days=400)
    small = AccountFactory(owner=csm, name="Harbor Freight Co", arr=Decimal("15000"), go_live_date=long_live)
    HealthScore.objects.create(account=big, day=today, score=30, colour="red")
    make_renewal(account=big, days_left=40, today=today, arr="480000")
    make_renewal(account=small, days_left=-6, today=today, arr="15000")
    urgent = Task.objects.create(
        account=big, assignee=csm, title="Escalate the rollout blocker", due_date=today - timedelta(days=12)
    )
    Task.objects.create(account=small, assignee=csm, title="Send the QBR deck", due_date=today - timedelta(days=1))
    Task.objects.create(account=small, assignee=csm, title="Prepare training", due_date=today + timedelta(days=3))
    person = Stakeholder.objects.create(account=small, name="Zhang Wei-Longname-Without-Breaks", tier=Tier.A)

    page.goto("/login/")
    page.fill("#id_username", "csm")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.reload()
    assert page.evaluate(NO_SIDE_SCROLL)
    assert "今天需要你处理的事" in page.inner_text("[data-testid=my-tasks]")
    overdue = page.locator("[data-testid=group-overdue]")
    assert overdue.locator("tr").first.get_attribute("id") == f"task-{urgent.pk}"
    assert "hg-urgent" in (overdue.locator(f"#task-{urgent.pk}").get_attribute("class") or "")
    assert "逾期 12 天" in overdue.locator(f"#task-{urgent.pk} [data-testid=triage-why]").get_attribute("title")
    assert "已逾期未续 · 6 天前" in overdue.inner_text()
    screenshot("my-day-triage-1440-zh-hans")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate(NO_SIDE_SCROLL), page.evaluate("document.documentElement.scrollWidth")
    screenshot("my-day-triage-390-zh-hans")
    # Log a touch in two taps: "Log touch", then the kind.
    row = page.locator(f"#contact-{person.pk}")
    row.locator("[data-testid=contact-log-touch]").click()
    row.locator("[data-testid=touch-kind-call]").click()
    page.wait_for_selector(f"#contact-{person.pk}", state="detached")
    entry = TimelineEntry.objects.get(account=small, is_touchpoint=True)
    assert (entry.kind, list(entry.stakeholders.all())) == ("call", [person])
    assert page.evaluate(NO_SIDE_SCROLL)
    screenshot("my-day-triage-390-after-touch")
