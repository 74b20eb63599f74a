"""A manager builds a rule in Chromium: "health red and days to renewal ≤ 120 → playbook
'Rescue plan' with 3 steps", previews it, enables it; the sweep creates the tasks on the
right account once; an edit makes version 2 and leaves the old tasks as they were."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.clock import local_date
from health.models import HealthScore
from org.models import Role, Team
from playbooks.models import Playbook, Task
from playbooks.tasks import rules_sweep_task
from renewals.services import contract_create
from tests.factories import PASSWORD, AccountFactory, TeamFactory, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STEPS = ["Call the executive sponsor", "Agree a rescue plan", "Review the plan"]


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")


def book():
    today = local_date()
    manager = make_person(Role.MANAGER, username="lead", first_name="Mei", last_name="Chen")
    team = TeamFactory(name="North")
    Team.objects.filter(pk=team.pk).update(lead=manager)
    csm = make_person(Role.CSM, username="csm", team=team)
    accounts = {}
    for name, colour, renewal_in in [
        ("Acme Red Soon", "red", 60),
        ("Beta Red Late", "red", 200),
        ("Gamma Green Soon", "green", 30),
    ]:
        account = AccountFactory(name=name, owner=csm, arr=Decimal("80000"), go_live_date=today - timedelta(days=500))
        HealthScore.objects.create(account=account, day=today, score=25 if colour == "red" else 85, colour=colour)
        contract_create(
            actor=manager,
            account=account,
            start_date=today - timedelta(days=300),
            end_date=today + timedelta(days=renewal_in),
            arr=Decimal("80000"),
        )
        accounts[name] = account
    return manager, csm, accounts


def test_a_manager_builds_previews_enables_and_edits_a_rescue_rule(page, screenshot, celery_eager):
    _manager, _csm, accounts = book()
    log_in(page, "lead")
    page.goto("/playbooks/")
    page.click("[data-testid=rule-new]")
    page.wait_for_url("**/playbooks/new/")
    form = page.locator("[data-testid=rule-form]")
    form.locator("input[name=name]").fill("Rescue plan")
    form.locator("select[name=trigger]").select_option("schedule")
    form.locator("select[name=conditions-0-field]").select_option("health_colour")
    form.locator("select[name=conditions-0-op]").select_option("eq")
    form.locator("input[name=conditions-0-value]").fill("Red")
    form.locator("select[name=conditions-1-field]").select_option("days_to_renewal")
    form.locator("select[name=conditions-1-op]").select_option("lte")
    # A mistake first: the error is shown at the condition, nothing is saved.
    form.locator("input[name=conditions-1-value]").fill("soon")
    for i, title in enumerate(STEPS):
        form.locator(f"input[name=steps-{i}-title]").fill(title)
        form.locator(f"input[name=steps-{i}-due_offset_days]").fill(str(i * 7))
        form.locator(f"select[name=steps-{i}-priority]").select_option("3")
    form.locator("[data-testid=rule-save]").click()
    page.wait_for_selector("[data-testid=condition-error]")
    assert "Enter a number." in page.inner_text("[data-testid=condition-1]")
    assert not Playbook.objects.filter(name="Rescue plan").exists()
    page.locator("input[name=conditions-1-value]").fill("120")
    page.locator("[data-testid=rule-save]").click()
    page.wait_for_selector("[data-testid=rule-state]")
    rule = Playbook.objects.get(name="Rescue plan")
    assert page.inner_text("[data-testid=rule-state]") == "Off"
    assert "Health colour = Red" in page.inner_text("[data-testid=rule-conditions]")
    assert "Days to renewal ≤ 120" in page.inner_text("[data-testid=rule-conditions]")

    page.click("[data-testid=rule-preview]")
    page.wait_for_selector("[data-testid=rule-preview-count]")
    assert page.inner_text("[data-testid=rule-preview-count]") == "1"
    listed = page.inner_text("[data-testid=rule-preview-accounts]")
    assert "Acme Red Soon" in listed and "Beta" not in listed and "Gamma" not in listed
    page.click("[data-testid=rule-dry-run]")
    page.wait_for_selector("[data-testid=rule-dry-run-sentence]")
    assert "would have created 3 tasks" in page.inner_text("[data-testid=rule-dry-run-sentence]")
    screenshot("rules-builder-preview")
    assert not Task.objects.filter(playbook=rule).exists()  # the test mode wrote nothing

    page.click("[data-testid=rule-enable]")
    page.wait_for_selector("[data-testid=rule-disable]")
    assert page.inner_text("[data-testid=rule-state]") == "On"

    # The night's sweep (beat), twice: the tasks are created once, on the right account.
    rules_sweep_task.delay()
    rules_sweep_task.delay()
    tasks = Task.objects.filter(playbook=rule)
    assert set(tasks.values_list("account__name", flat=True)) == {"Acme Red Soon"}
    assert sorted(tasks.values_list("title", flat=True)) == sorted(STEPS)
    assert set(tasks.values_list("playbook_version", flat=True)) == {1}
    page.goto(f"/tasks/account/{accounts['Acme Red Soon'].pk}/")
    assert STEPS[0] in page.content()
    before = sorted(tasks.values_list("pk", "title", "due_date"))

    # Edit the live playbook: version 2; the tasks already created keep their texts.
    page.goto(f"/playbooks/{rule.pk}/")
    page.click("[data-testid=rule-edit]")
    page.wait_for_url(f"**/playbooks/{rule.pk}/edit/")
    page.locator("input[name=steps-0-title]").fill("Call the sponsor within 24 hours")
    page.locator("[data-testid=rule-save]").click()
    page.wait_for_selector("[data-testid=rule-state]")
    assert "Version 2" in page.inner_text("h1")
    rule.refresh_from_db()
    assert rule.version == 2
    assert rule.steps.first().title == "Call the sponsor within 24 hours"
    assert sorted(Task.objects.filter(playbook=rule).values_list("pk", "title", "due_date")) == before
    assert "Version 2" in page.content()
    screenshot("rules-builder-edited")
