"""The built-in playbooks, written from the seed articles (domain.md §2, §3).

Texts are stored in English and translated when shown (``Task.display_title`` calls
``gettext``). They are marked with ``gettext_noop`` rather than ``gettext_lazy`` on
purpose: a lazy string would be stored in whatever language is active while the data
migration runs, while ``gettext_noop`` keeps English in the database *and* lets
``makemessages`` collect the strings for the zh-hans catalogue.

Onboarding owner by ARR (seed 002, RMB): below 20k the sales rep, 20k-100k the CSM,
from 100k an implementation team then hand-over. The bands are the ``arr_min`` /
``arr_max`` of the three onboarding playbooks, editable in the admin (a deployment in
another currency adjusts them there).
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_noop

from accounts.segments import Segment

from .models import OwnerRole, Priority, TaskType, TriggerKind

CSM, SALES, IMPL, MGR = OwnerRole.CSM, OwnerRole.SALES_REP, OwnerRole.IMPLEMENTATION, OwnerRole.MANAGER
LOW, MEDIUM, HIGH, URGENT = Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.URGENT
RISK, LIFECYCLE, ACTIVITY = TaskType.RISK, TaskType.LIFECYCLE, TaskType.ACTIVITY

ONBOARDING_SALES_BELOW = Decimal("20000")
ONBOARDING_IMPLEMENTATION_FROM = Decimal("100000")


def step(
    title: str,
    offset: int,
    owner: str = CSM,
    priority: int = MEDIUM,
    task_type: str = LIFECYCLE,
    checklist: list[str] | None = None,
    description: str = "",
) -> dict[str, Any]:
    return {
        "title": title,
        "due_offset_days": offset,
        "owner_role": owner,
        "priority": priority,
        "task_type": task_type,
        "checklist": checklist or [],
        "description": description,
    }


DEFAULT_PLAYBOOKS: list[dict[str, Any]] = [
    {
        "key": "promotion-month",
        "name": gettext_noop("Promotion month"),
        "trigger": TriggerKind.STAGE_PROMOTION,
        "description": gettext_noop(
            "The first 30 days after go-live decide whether the product gets used at all: "
            "spread use from a few key users to the whole department."
        ),
        "steps": [
            step(
                gettext_noop("Agree and run the training plan"),
                7,
                checklist=[
                    gettext_noop("Schedule a training per role"),
                    gettext_noop("Share recordings and guides"),
                    gettext_noop("Record who attended"),
                ],
            ),
            step(
                gettext_noop("Spread use from the key users to the whole department"),
                14,
                priority=HIGH,
                checklist=[
                    gettext_noop("List the key users and their departments"),
                    gettext_noop("Agree a roll-out plan with the day-to-day contact"),
                    gettext_noop("Invite every user of the department and check they logged in"),
                ],
            ),
            step(
                gettext_noop("Activation target check (day 30)"),
                30,
                priority=HIGH,
                checklist=[
                    gettext_noop("Compare active users against the activation target"),
                    gettext_noop("List the departments not using the product yet"),
                    gettext_noop("Agree next steps with the day-to-day contact"),
                ],
            ),
        ],
    },
    {
        "key": "stabilisation",
        "name": gettext_noop("Stabilisation"),
        "trigger": TriggerKind.STAGE_STABILISATION,
        "description": gettext_noop("Within three months of go-live: solve problems, answer questions, train."),
        "steps": [
            step(
                gettext_noop("Review open problems with the customer"),
                7,
                priority=HIGH,
                checklist=[
                    gettext_noop("Collect open issues and tickets"),
                    gettext_noop("Agree an owner and a date for each"),
                ],
            ),
            step(
                gettext_noop("Q&A and refresher training"),
                21,
                checklist=[gettext_noop("Collect questions"), gettext_noop("Run the session")],
            ),
            step(
                gettext_noop("First value check"),
                55,
                priority=HIGH,
                checklist=[
                    gettext_noop("Compare results with the purchase goals"),
                    gettext_noop("Write down the value delivered so far"),
                    gettext_noop("Share it with the day-to-day contact"),
                ],
            ),
        ],
    },
    {
        "key": "renewal-window",
        "name": gettext_noop("Renewal window"),
        "trigger": TriggerKind.STAGE_RENEWAL_WINDOW,
        "description": gettext_noop(
            "The 90 days before the renewal date: start early so that paperwork never interrupts the customer's use."
        ),
        "steps": [
            step(
                gettext_noop("Renewal self-check"),
                7,
                priority=HIGH,
                checklist=[
                    gettext_noop("Were the purchase goals met?"),
                    gettext_noop("Did the decision chain change?"),
                    gettext_noop("Are any sales promises unfulfilled?"),
                ],
            ),
            step(
                gettext_noop("Value report to the level-1 decision maker"),
                21,
                priority=HIGH,
                checklist=[
                    gettext_noop("Problems solved"),
                    gettext_noop("Trainings given"),
                    gettext_noop("Improvements and results"),
                ],
            ),
            step(
                gettext_noop("Start the renewal paperwork"),
                30,
                priority=HIGH,
                checklist=[
                    gettext_noop("Confirm the customer's approval and payment process"),
                    gettext_noop("Send the renewal quote"),
                    gettext_noop("Agree the timeline with the decision maker"),
                ],
            ),
        ],
    },
    {
        "key": "onboarding-sales-rep",
        "name": gettext_noop("Onboarding by the sales rep (small ARR)"),
        "trigger": TriggerKind.STAGE_ONBOARDING,
        "arr_max": ONBOARDING_SALES_BELOW,
        "steps": [
            step(
                gettext_noop("Configure the account and train the users"),
                14,
                owner=SALES,
                checklist=[gettext_noop("Configure the account"), gettext_noop("Train the key users")],
            ),
        ],
    },
    {
        "key": "onboarding-csm",
        "name": gettext_noop("Onboarding by the CSM (mid ARR)"),
        "trigger": TriggerKind.STAGE_ONBOARDING,
        "arr_min": ONBOARDING_SALES_BELOW,
        "arr_max": ONBOARDING_IMPLEMENTATION_FROM,
        "steps": [
            step(
                gettext_noop("Configure the account and train the users"),
                14,
                priority=HIGH,
                checklist=[gettext_noop("Configure the account"), gettext_noop("Train the key users")],
            ),
        ],
    },
    {
        "key": "onboarding-implementation",
        "name": gettext_noop("Onboarding by implementation, then hand-over (large ARR)"),
        "trigger": TriggerKind.STAGE_ONBOARDING,
        "arr_min": ONBOARDING_IMPLEMENTATION_FROM,
        "steps": [
            step(gettext_noop("Implementation kick-off"), 7, owner=IMPL, priority=HIGH),
            step(
                gettext_noop("Hand-over from implementation to the CSM"),
                45,
                owner=IMPL,
                priority=HIGH,
                checklist=[
                    gettext_noop("Configuration signed off by the customer"),
                    gettext_noop("Trainings delivered"),
                    gettext_noop("Open issues handed over"),
                ],
            ),
            step(gettext_noop("Take over the account and own its active use"), 50, priority=HIGH),
        ],
    },
    {
        "key": "executive-report-monthly",
        "name": gettext_noop("Monthly executive value report"),
        "trigger": TriggerKind.EXEC_REPORT_MONTHLY,
        "segments": [Segment.ENTERPRISE.value],
        "description": gettext_noop(
            "Doing without telling loses renewals: report value to the executives every month."
        ),
        "steps": [
            step(
                gettext_noop("Monthly value report to the executive sponsor"),
                10,
                task_type=ACTIVITY,
                checklist=[
                    gettext_noop("Usage and adoption this month"),
                    gettext_noop("Problems solved"),
                    gettext_noop("Next month's plan"),
                ],
            ),
        ],
    },
    {
        "key": "executive-report-quarterly",
        "name": gettext_noop("Quarterly executive value report"),
        "trigger": TriggerKind.EXEC_REPORT_QUARTERLY,
        "segments": [Segment.MID_MARKET.value],
        "steps": [
            step(
                gettext_noop("Quarterly value report to the executives"),
                20,
                task_type=ACTIVITY,
                checklist=[
                    gettext_noop("Results against the purchase goals"),
                    gettext_noop("Problems solved"),
                    gettext_noop("Next quarter's plan"),
                ],
            ),
        ],
    },
    {
        "key": "key-stakeholder-left",
        "name": gettext_noop("Key stakeholder left"),
        "trigger": TriggerKind.KEY_STAKEHOLDER_LEFT,
        "description": gettext_noop("A change in the decision chain is a renewal risk."),
        "steps": [
            step(
                gettext_noop("Meet the successor of the key person who left"),
                3,
                priority=URGENT,
                task_type=RISK,
                checklist=[
                    gettext_noop("Find out who takes over the role"),
                    gettext_noop("Introduce yourself and the value delivered so far"),
                    gettext_noop("Update the stakeholder map and the dossier"),
                ],
            ),
            step(gettext_noop("Review the decision chain with the CSM"), 7, owner=MGR, priority=HIGH, task_type=RISK),
        ],
    },
    {
        "key": "activity-drop",
        "name": gettext_noop("Activity drop"),
        "trigger": TriggerKind.ACTIVITY_DROP,
        "steps": [
            step(
                gettext_noop("Find out why usage dropped"),
                2,
                priority=HIGH,
                task_type=RISK,
                checklist=[
                    gettext_noop("Check which features and users dropped"),
                    gettext_noop("Call the day-to-day contact"),
                    gettext_noop("Agree a recovery plan"),
                ],
            ),
        ],
    },
    {
        "key": "nps-detractor",
        "name": gettext_noop("NPS detractor"),
        "trigger": TriggerKind.NPS_DETRACTOR,
        "steps": [
            step(gettext_noop("Call back the detractor"), 2, priority=HIGH, task_type=RISK),
            step(gettext_noop("Close the loop on the feedback"), 14, task_type=RISK),
        ],
    },
    {
        "key": "dossier-needs-work",
        "name": gettext_noop("Dossier review: needs work"),
        "trigger": TriggerKind.DOSSIER_NEEDS_WORK,
        "steps": [
            step(
                gettext_noop("Complete the dossier after the review"),
                7,
                task_type=ACTIVITY,
                checklist=[
                    gettext_noop("Read the reviewer's comments"),
                    gettext_noop("Fill in the weak sections"),
                    gettext_noop("Ask for a new review"),
                ],
            ),
        ],
    },
    {
        "key": "renewal-at-risk",
        "name": gettext_noop("Renewal at risk"),
        "trigger": TriggerKind.RENEWAL_AT_RISK,
        "steps": [
            step(
                gettext_noop("Renewal rescue plan"),
                3,
                priority=URGENT,
                task_type=RISK,
                checklist=[
                    gettext_noop("Confirm the reason with the decision maker"),
                    gettext_noop("Agree a rescue plan with your manager"),
                    gettext_noop("Update the renewal forecast"),
                ],
            ),
            step(gettext_noop("Review the at-risk renewal with the CSM"), 5, owner=MGR, priority=HIGH, task_type=RISK),
        ],
    },
    {
        "key": "renewal-lapsed",
        "name": gettext_noop("Renewal lapsed"),
        "trigger": TriggerKind.RENEWAL_LAPSED,
        "description": gettext_noop(
            "The renewal date passed without a decision: the customer may be using the product without a contract."
        ),
        "steps": [
            step(
                gettext_noop("Get a decision on the lapsed renewal"),
                2,
                priority=URGENT,
                task_type=RISK,
                checklist=[
                    gettext_noop("Call the contract decision maker"),
                    gettext_noop("Find out where the renewal paperwork is stuck"),
                    gettext_noop("Close the renewal as renewed, downgraded or churned"),
                ],
            ),
            step(gettext_noop("Review the lapsed renewal with the CSM"), 3, owner=MGR, priority=HIGH, task_type=RISK),
        ],
    },
]


def install_default_playbooks(playbook_model: Any, step_model: Any, keys: Collection[str] | None = None) -> int:
    """Create the built-in playbooks that are missing (by key); never overwrite edits.

    Takes the models as arguments so the data migration can pass its historical ones;
    ``keys`` limits it to those playbooks (a later migration adding one new default).
    """
    created = 0
    for spec in DEFAULT_PLAYBOOKS:
        if keys is not None and spec["key"] not in keys:
            continue
        if playbook_model.objects.filter(key=spec["key"]).exists():
            continue
        playbook = playbook_model.objects.create(
            key=spec["key"],
            name=spec["name"],
            description=spec.get("description", ""),
            trigger=str(spec["trigger"]),
            segments=list(spec.get("segments", [])),
            arr_min=spec.get("arr_min"),
            arr_max=spec.get("arr_max"),
        )
        step_model.objects.bulk_create(
            step_model(
                playbook=playbook,
                order=index,
                title=item["title"],
                description=item["description"],
                checklist=list(item["checklist"]),
                due_offset_days=item["due_offset_days"],
                owner_role=str(item["owner_role"]),
                priority=int(item["priority"]),
                task_type=str(item["task_type"]),
            )
            for index, item in enumerate(spec["steps"])
        )
        created += 1
    return created
