"""Every default playbook: its tasks, due dates and owners; triggers fire once per episode."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from accounts.models import KeyPersonLevel, Stakeholder, Tier
from accounts.signals import dossier_reviewed
from accounts.stakeholders import stakeholder_mark_left
from health.signals import activity_drops_detected, nps_detractor_received
from org.models import Role, Team
from playbooks.models import OwnerRole, Priority, Task, TaskType, TriggerKind
from playbooks.services import FireRequest, playbook_fire, playbooks_fire
from playbooks.stages import stage_refresh
from renewals.signals import renewal_marked_at_risk
from tests.factories import AccountFactory, TeamFactory, make_person
from tests.renewals.conftest import make_renewal

pytestmark = pytest.mark.django_db

GO_LIVE = date(2025, 1, 1)


def plan(account, trigger=None):
    tasks = Task.objects.filter(account=account).order_by("due_date", "pk")
    if trigger:
        tasks = tasks.filter(trigger=trigger)
    return [(t.title, t.due_date, t.owner_role, t.assignee_id) for t in tasks]


@pytest.fixture
def team():
    manager = make_person(Role.MANAGER, username="lead")
    team = TeamFactory(name="East")
    Team.objects.filter(pk=team.pk).update(lead=manager)
    csm = make_person(Role.CSM, username="csm", team=team)
    return SimpleNamespace(manager=manager, csm=csm)


def test_promotion_month(default_playbooks, team):
    account = AccountFactory(owner=team.csm, go_live_date=GO_LIVE)
    stage_refresh(account_ids=[account.pk], today=GO_LIVE)
    csm = team.csm.pk
    assert plan(account) == [
        ("Agree and run the training plan", GO_LIVE + timedelta(days=7), OwnerRole.CSM, csm),
        ("Spread use from the key users to the whole department", GO_LIVE + timedelta(days=14), OwnerRole.CSM, csm),
        ("Activation target check (day 30)", GO_LIVE + timedelta(days=30), OwnerRole.CSM, csm),
    ]
    task = Task.objects.get(account=account, title__startswith="Activation")
    assert task.priority == Priority.HIGH and task.task_type == TaskType.LIFECYCLE
    assert task.trigger == TriggerKind.STAGE_PROMOTION and task.playbook.key == "promotion-month"
    assert task.episode_key == "stage:promotion:2025-01-01"
    assert [item["done"] for item in task.checklist] == [False, False, False]


def test_stabilisation(default_playbooks, team):
    account = AccountFactory(owner=team.csm, go_live_date=GO_LIVE)
    start = GO_LIVE + timedelta(days=30)
    stage_refresh(account_ids=[account.pk], today=start)
    assert [(title, due) for title, due, _, _ in plan(account, TriggerKind.STAGE_STABILISATION)] == [
        ("Review open problems with the customer", start + timedelta(days=7)),
        ("Q&A and refresher training", start + timedelta(days=21)),
        ("First value check", start + timedelta(days=55)),
    ]


def test_renewal_window(default_playbooks, team):
    account = AccountFactory(owner=team.csm, go_live_date=date(2023, 1, 1))
    today = date(2025, 3, 3)
    renewal = make_renewal(account=account, days_left=90, today=today)
    stage_refresh(account_ids=[account.pk], today=today)
    opens = renewal.due_date - timedelta(days=90)
    assert opens == today
    assert plan(account, TriggerKind.STAGE_RENEWAL_WINDOW) == [
        ("Renewal self-check", opens + timedelta(days=7), OwnerRole.CSM, team.csm.pk),
        ("Value report to the level-1 decision maker", opens + timedelta(days=21), OwnerRole.CSM, team.csm.pk),
        ("Start the renewal paperwork", opens + timedelta(days=30), OwnerRole.CSM, team.csm.pk),
    ]
    checklist = Task.objects.get(account=account, title="Renewal self-check").checklist
    assert [item["text"] for item in checklist] == [
        "Were the purchase goals met?",
        "Did the decision chain change?",
        "Are any sales promises unfulfilled?",
    ]


@pytest.mark.parametrize(
    ("arr", "expected"),
    [
        ("19999", [("Configure the account and train the users", 14, OwnerRole.SALES_REP)]),
        ("20000", [("Configure the account and train the users", 14, OwnerRole.CSM)]),
        ("99999", [("Configure the account and train the users", 14, OwnerRole.CSM)]),
        (
            "100000",
            [
                ("Implementation kick-off", 7, OwnerRole.IMPLEMENTATION),
                ("Hand-over from implementation to the CSM", 45, OwnerRole.IMPLEMENTATION),
                ("Take over the account and own its active use", 50, OwnerRole.CSM),
            ],
        ),
    ],
)
def test_onboarding_owner_by_arr_band(default_playbooks, team, arr, expected):
    # No sales or implementation owner on the account: the CSM gets the task, the role is kept
    # (tests/playbooks/test_onboarding_owners.py: with one, they get it).
    account = AccountFactory(owner=team.csm, go_live_date=None, arr=Decimal(arr))
    today = date(2025, 3, 3)
    stage_refresh(account_ids=[account.pk], today=today)
    assert plan(account) == [(title, today + timedelta(days=d), role, team.csm.pk) for title, d, role in expected]


def test_arr_bands_are_editable(default_playbooks, team):
    small = default_playbooks["onboarding-sales-rep"]
    small.arr_max = Decimal("5000")
    small.save()
    mid = default_playbooks["onboarding-csm"]
    mid.arr_min = Decimal("5000")
    mid.save()
    account = AccountFactory(owner=team.csm, go_live_date=None, arr=Decimal("10000"))
    stage_refresh(account_ids=[account.pk], today=date(2025, 3, 3))
    assert [role for _, _, role, _ in plan(account)] == [OwnerRole.CSM]


def test_executive_reports_monthly_for_enterprise_quarterly_for_mid_market(default_playbooks, team):
    go_live = date(2024, 1, 1)
    enterprise = AccountFactory(owner=team.csm, go_live_date=go_live, arr=Decimal("500000"))
    mid = AccountFactory(owner=team.csm, go_live_date=go_live, arr=Decimal("100000"))
    smb = AccountFactory(owner=team.csm, go_live_date=go_live, arr=Decimal("20000"))
    ids = [enterprise.pk, mid.pk, smb.pk]
    today = date(2025, 3, 3)
    stage_refresh(account_ids=ids, today=today)
    stage_refresh(account_ids=ids, today=today + timedelta(days=1))
    assert plan(enterprise) == [
        ("Monthly value report to the executive sponsor", date(2025, 3, 11), "csm", team.csm.pk)
    ]
    assert plan(mid) == [("Quarterly value report to the executives", date(2025, 3, 3), "csm", team.csm.pk)]
    assert plan(smb) == []
    stage_refresh(account_ids=ids, today=date(2025, 4, 1))
    assert len(plan(enterprise)) == 2
    assert len(plan(mid)) == 2  # Q2 began


def test_task_is_never_due_before_it_is_created(default_playbooks, team):
    account = AccountFactory(owner=team.csm, go_live_date=GO_LIVE)
    today = GO_LIVE + timedelta(days=20)  # first seen late inside the promotion month
    stage_refresh(account_ids=[account.pk], today=today)
    assert [due for _, due, _, _ in plan(account)] == [today, today, GO_LIVE + timedelta(days=30)]


def test_key_stakeholder_left_goes_to_csm_and_team_lead(
    default_playbooks, team, celery_eager, django_capture_on_commit_callbacks
):
    account = AccountFactory(owner=team.csm, go_live_date=GO_LIVE)
    key = Stakeholder.objects.create(
        account=account, name="Li Na", tier=Tier.S, key_level=KeyPersonLevel.DECISION_MAKER
    )
    staff = Stakeholder.objects.create(account=account, name="Wang Wei", tier=Tier.B)
    with django_capture_on_commit_callbacks(execute=True):
        stakeholder_mark_left(actor=team.csm, stakeholder=staff)
    assert plan(account, TriggerKind.KEY_STAKEHOLDER_LEFT) == []
    with django_capture_on_commit_callbacks(execute=True):
        stakeholder_mark_left(actor=team.csm, stakeholder=key)
    rows = plan(account, TriggerKind.KEY_STAKEHOLDER_LEFT)
    assert [(title, role, who) for title, _, role, who in rows] == [
        ("Meet the successor of the key person who left", OwnerRole.CSM, team.csm.pk),
        ("Review the decision chain with the CSM", OwnerRole.MANAGER, team.manager.pk),
    ]
    # The same departure reported again fires nothing new.
    from accounts.signals import stakeholder_left

    stakeholder_left.send(sender=Stakeholder, stakeholder=key, account=account, is_key=True, actor=None)
    assert len(plan(account, TriggerKind.KEY_STAKEHOLDER_LEFT)) == 2


@pytest.mark.parametrize(
    ("send", "trigger", "titles"),
    [
        (
            lambda account: activity_drops_detected.send(sender=None, alerts=[SimpleNamespace(pk=41, account=account)]),
            TriggerKind.ACTIVITY_DROP,
            ["Find out why usage dropped"],
        ),
        (
            lambda account: nps_detractor_received.send(sender=None, response=SimpleNamespace(pk=7), account=account),
            TriggerKind.NPS_DETRACTOR,
            ["Call back the detractor", "Close the loop on the feedback"],
        ),
        (
            lambda account: dossier_reviewed.send(
                sender=None, review=SimpleNamespace(pk=3), account=account, verdict="needs_work"
            ),
            TriggerKind.DOSSIER_NEEDS_WORK,
            ["Complete the dossier after the review"],
        ),
    ],
)
def test_signals_fire_their_playbook_once(default_playbooks, team, celery_eager, send, trigger, titles):
    account = AccountFactory(owner=team.csm, go_live_date=GO_LIVE)
    send(account)
    send(account)
    rows = plan(account, trigger)
    assert [title for title, *_ in rows] == titles
    assert all(who == team.csm.pk for *_, who in rows)


def test_approved_dossier_review_fires_nothing(default_playbooks, team, celery_eager):
    account = AccountFactory(owner=team.csm)
    dossier_reviewed.send(sender=None, review=SimpleNamespace(pk=3), account=account, verdict="approved")
    assert plan(account, TriggerKind.DOSSIER_NEEDS_WORK) == []


def test_renewal_at_risk(default_playbooks, team, celery_eager, django_capture_on_commit_callbacks):
    account = AccountFactory(owner=team.csm, go_live_date=date(2023, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        renewal = make_renewal(account=account, days_left=200, at_risk=True)
    rows = plan(account, TriggerKind.RENEWAL_AT_RISK)
    assert [(title, role, who) for title, _, role, who in rows] == [
        ("Renewal rescue plan", OwnerRole.CSM, team.csm.pk),
        ("Review the at-risk renewal with the CSM", OwnerRole.MANAGER, team.manager.pk),
    ]
    renewal_marked_at_risk.send(sender=None, renewal=renewal, reason="again", actor=None)
    assert len(plan(account, TriggerKind.RENEWAL_AT_RISK)) == 2


def test_fire_is_idempotent_under_repeats_and_batches(default_playbooks, team):
    account = AccountFactory(owner=team.csm)
    assert playbook_fire(account=account, trigger=TriggerKind.ACTIVITY_DROP, episode_key="alert:1") == 1
    assert playbook_fire(account=account, trigger=TriggerKind.ACTIVITY_DROP, episode_key="alert:1") == 0
    request = FireRequest(
        account=account, trigger=TriggerKind.ACTIVITY_DROP, episode_key="alert:2", trigger_date=GO_LIVE
    )
    assert playbooks_fire([request, request]) == 1
    assert Task.objects.filter(account=account).count() == 2


def test_inactive_playbook_does_not_fire(default_playbooks, team):
    default_playbooks["activity-drop"].active = False
    default_playbooks["activity-drop"].save()
    account = AccountFactory(owner=team.csm)
    assert playbook_fire(account=account, trigger=TriggerKind.ACTIVITY_DROP, episode_key="alert:1") == 0
