"""Every URL, every role: one declarative table of who gets what.

A URL pattern without an entry here fails ``test_every_url_has_an_entry``: a new page or
API operation is covered the day it lands. Objects belong to ``csm_a1`` (team A, led
by ``manager_a``); ``csm_a2`` is a teammate, ``csm_b1``/``manager_b`` the other team.
Outside its scope a user gets 404 (existence is not revealed), never the object.
"""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import ImportRun, RiskFlag, Stakeholder, TimelineEntry
from capacity.models import ActivityType, TimeEntry
from health.models import ActivityAlert
from playbooks.models import Playbook, Task
from renewals.services import contract_create
from tests.matrix_support import DENIED, HIDDEN, LOGIN, OK, PROFILES, ROLES, Entry, e

MATRIX: dict[str, Entry] = {
    "core:home": e("page"),
    "healthz": e("public"),
    "set_language": e("public", "post"),
    "login": e("public"),
    "logout": e("to_login", "post"),
    "notifications": e("page"),
    "api_token": e("page"),
    "password_change": e("page"),
    "password_change_done": e("page"),
    "my_day": e("page"),
    "schema": e("public"),
    "swagger-ui": e("public"),
    "accounts:list": e("page"),
    "accounts:create": e("page"),
    "accounts:export": e("page"),
    "accounts:import": e("page"),
    "accounts:import_result": e("own_record", run_pk="import_run"),
    "accounts:import_rejected": e("own_record", run_pk="import_run"),
    "accounts:review_queue": e("reviewer_page"),
    "accounts:review": e("reviewer_scoped", pk="account"),
    "accounts:detail": e("scoped", pk="account"),
    "accounts:edit": e("scoped", pk="account"),
    "accounts:timeline": e("scoped", pk="account"),
    "accounts:dossier_section": e("scoped", pk="account", key="section"),
    "accounts:dossier_edit": e("scoped", pk="account", key="section"),
    "accounts:dossier_history": e("scoped", pk="account", key="section"),
    "accounts:stakeholder_create": e("scoped", pk="account"),
    "accounts:stakeholder_edit": e("scoped", pk="account", stakeholder_pk="stakeholder"),
    "accounts:stakeholder_left": e("scoped", "post", pk="account", stakeholder_pk="stakeholder"),
    "accounts:risk_resolve": e("scoped", "post", pk="account", flag_pk="risk_flag"),
    "renewals:list": e("page"),
    "renewals:export": e("page"),
    "renewals:kpis": e("page"),
    "renewals:forecast_accuracy": e("page"),
    "renewals:forecast_accuracy_export": e("page"),
    "renewals:detail": e("scoped", pk="renewal"),
    "renewals:at_risk": e("scoped", "post", pk="renewal"),
    "renewals:stage": e("scoped", "post", pk="renewal"),
    "renewals:override": e("scoped", "post", pk="renewal"),
    "renewals:close": e("scoped", "post", pk="renewal"),
    "renewals:expansion_create": e("scoped", "post", pk="renewal"),
    "health:account_panel": e("scoped", account_pk="account"),
    "health:alert_acknowledge": e("scoped", "post", pk="alert"),
    "health:alert_resolve": e("scoped", "post", pk="alert"),
    "capacity:team": e("page"),
    "capacity:timesheet": e("page"),
    "capacity:planner": e("manager_page"),
    "capacity:preset": e("admin_page", "post"),
    "capacity:time_delete": e("own_record", "post", pk="time_entry"),
    "api:capacity-books": e("api"),
    "api:capacity-figures": e("api"),
    "api:capacity-planner": e("api_manager"),
    "api:time-entry-list": e("api"),
    "api:time-entry-detail": e("api_own_or_lead", pk="time_entry"),
    "playbooks:task_list": e("page"),
    "playbooks:task_reassign": e("page", "post"),
    "playbooks:task_detail": e("scoped", pk="task"),
    "playbooks:task_row": e("scoped", pk="task"),
    "playbooks:task_complete": e("scoped", "post", pk="task"),
    "playbooks:task_snooze": e("scoped", "post", pk="task"),
    "playbooks:task_status": e("scoped", "post", pk="task"),
    "playbooks:task_checklist": e("scoped", "post", pk="task"),
    "playbooks:task_comment": e("scoped", "post", pk="task"),
    "playbooks:account_tasks": e("scoped", pk="account"),
    "playbooks:account_stage": e("scoped", pk="account"),
    "api:task-list": e("api"),
    "api:task-detail": e("api_scoped", pk="task"),
    "api:task-complete": e("api_scoped", "post", pk="task"),
    "api:task-snooze": e("api_scoped", "post", pk="task"),
    "api:task-reassign": e("api", "post"),
    "api:playbook-list": e("api"),
    "api:playbook-detail": e("api", pk="playbook"),
    "api:csv-import": e("api", "post"),
    "api:account-list": e("api"),
    "api:account-detail": e("api_scoped", pk="account"),
    "api:stakeholder-list": e("api"),
    "api:stakeholder-detail": e("api_scoped", pk="stakeholder"),
    "api:stakeholder-left": e("api_scoped", "post", pk="stakeholder"),
    "api:timeline-list": e("api"),
    "api:timeline-detail": e("api_scoped", pk="timeline_entry"),
    "api:events-bulk": e("api", "post"),
    "api:health-alert-list": e("api"),
    "api:health-alert-detail": e("api_scoped", pk="alert"),
    "api:health-alert-acknowledge": e("api_scoped", "post", pk="alert"),
    "api:health-alert-resolve": e("api_scoped", "post", pk="alert"),
    "api:health-score-list": e("api"),
    "api:nps-list": e("api"),
    "api:nps-summary": e("api"),
    "api:contract-list": e("api"),
    "api:contract-detail": e("api_scoped", pk="contract"),
    "api:renewal-list": e("api"),
    "api:renewal-detail": e("api_scoped", pk="renewal"),
    "api:renewal-close": e("api_scoped", "post", pk="renewal"),
    "api:renewal-mark-at-risk": e("api_scoped", "post", pk="renewal"),
    "api:renewal-override-forecast": e("api_scoped", "post", pk="renewal"),
    "api:renewal-stage": e("api_scoped", "post", pk="renewal"),
    "api:renewal-kpis": e("api"),
    "api:renewal-forecast-accuracy": e("api"),
    "api:renewal-expansions": e("api_scoped", pk="renewal"),
}

TESTS = Path(__file__).resolve().parent
FRAGMENTS = [importlib.import_module(f"tests.{path.parent.name}.matrix") for path in sorted(TESTS.glob("*/matrix.py"))]
for _fragment in FRAGMENTS:
    _clash = set(_fragment.ENTRIES) & set(MATRIX)
    assert not _clash, f"{_fragment.__name__} repeats {_clash}"
    MATRIX.update(_fragment.ENTRIES)

SKIPPED_PREFIXES = ("admin/", "static/")  # Django admin has its own staff checks


def url_names() -> set[str]:
    def walk(patterns: list[Any], prefix: str = "", namespace: str | None = None) -> Any:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(part for part in (namespace, pattern.namespace) if part) or None
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                if (prefix + str(pattern.pattern)).startswith(SKIPPED_PREFIXES):
                    continue
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    return set(walk(get_resolver().url_patterns))


def test_every_url_has_an_entry():
    missing = sorted(url_names() - set(MATRIX))
    assert missing == [], f"add these URL names to MATRIX: {missing}"
    stale = sorted(set(MATRIX) - url_names())
    assert stale == [], f"remove these from MATRIX: {stale}"


@pytest.fixture
def targets(org: Any) -> dict[str, Any]:
    account = org.accounts["csm_a1"][0]
    stakeholder = Stakeholder.objects.create(account=account, name="Target person", tier="S")
    contract = contract_create(
        actor=org.csm_a1, account=account, start_date=date.today() - timedelta(days=300),
        end_date=date.today() + timedelta(days=65), arr=Decimal("50000"),
    )  # fmt: skip
    base = {
        "account": account,
        "section": "company_overview",
        "stakeholder": stakeholder,
        "risk_flag": RiskFlag.objects.create(account=account, kind="other", reason="test"),
        "import_run": ImportRun.objects.create(actor=org.csm_a1, kind="accounts", status="done"),
        "timeline_entry": TimelineEntry.objects.create(account=account, kind="note", is_touchpoint=True, title="t"),
        "contract": contract,
        "task": Task.objects.create(account=account, assignee=org.csm_a1, title="t", due_date=timezone.localdate()),
        "playbook": Playbook.objects.first(),
        "time_entry": TimeEntry.objects.create(
            user=org.csm_a1,
            account=account,
            activity_type=ActivityType.objects.first(),
            date=timezone.localdate(),
            minutes=30,
        ),
        "renewal": contract.renewal,
        "alert": ActivityAlert.objects.create(
            account=account,
            detected_on=timezone.localdate(),
            episode_key="x",
            current_events=1,
            baseline_events=Decimal(50),
            drop_share=Decimal("0.9"),
        ),
    }
    for fragment in FRAGMENTS:
        if hasattr(fragment, "targets"):
            base |= fragment.targets(org, base)
    return base


def outcome(response: Any) -> str:
    code = response.status_code
    if code == 404:
        return HIDDEN
    if code in (401, 403):
        return DENIED
    if code == 302 and "/login/" in response.get("Location", ""):
        return LOGIN
    return OK if code < 500 else f"server error {code}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(client: Any, org: Any, targets: dict[str, Any], name: str) -> None:
    entry = MATRIX[name]
    kwargs = {key: getattr(targets[target], "pk", targets[target]) for key, target in entry.kwargs}
    url = reverse(name, kwargs=kwargs or None)
    users = {"anonymous": None, "admin": org.admin, "csm_a1": org.csm_a1, "csm_a2": org.csm_a2,
             "csm_b1": org.csm_b1, "manager_a": org.manager_a, "manager_b": org.manager_b}  # fmt: skip
    seen = {}
    for role in ROLES:
        client.logout()
        if users[role] is not None:
            client.force_login(users[role])
        response = getattr(client, entry.method)(url)
        seen[role] = outcome(response)
    assert seen == PROFILES[entry.profile]
