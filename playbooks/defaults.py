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

from django.utils.translation import gettext_noop as N_

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
        "name": N_("Promotion month"),
        "trigger": TriggerKind.STAGE_PROMOTION,
        "description": N_(
            "The first 30 days after go-live decide whether the product gets used at all: "
            "spread use from a few key users to the whole department."
        ),
        "steps": [
            step(
                N_("Agree and run the training plan"),
                7,
                checklist=[
                    N_("Schedule a training per role"),
                    N_("Share recordings and guides"),
                    N_("Record who attended"),
                ],
            ),
            step(
                N_("Spread use from the key users to the whole department"),
                14,
                priority=HIGH,
                checklist=[
                    N_("List the key users and their departments"),
                    N_("Agree a roll-out plan with the day-to-day contact"),
                    N_("Invite every user of the department and check they logged in"),
                ],
            ),
            step(
                N_("Activation target check (day 30)"),
                30,
                priority=HIGH,
                checklist=[
                    N_("Compare active users against the activation target"),
                    N_("List the departments not using the product yet"),
                    N_("Agree next steps with the day-to-day contact"),
                ],
            ),
        ],
    },
    {
        "key": "stabilisation",
        "name": N_("Stabilisation"),
        "trigger": TriggerKind.STAGE_STABILISATION,
        "description": N_("Within three months of go-live: solve problems, answer questions, train."),
        "steps": [
            step(
                N_("Review open problems with the customer"),
                7,
                priority=HIGH,
                checklist=[N_("Collect open issues and tickets"), N_("Agree an owner and a date for each")],
            ),
            step(N_("Q&A and refresher training"), 21, checklist=[N_("Collect questions"), N_("Run the session")]),
            step(
                N_("First value check"),
                55,
                priority=HIGH,
                checklist=[
                    N_("Compare results with the purchase goals"),
                    N_("Write down the value delivered so far"),
                    N_("Share it with the day-to-day contact"),
                ],
            ),
        ],
    },
    {
        "key": "renewal-window",
        "name": N_("Renewal window"),
        "trigger": TriggerKind.STAGE_RENEWAL_WINDOW,
        "description": N_(
            "The 90 days before the renewal date: start early so that paperwork never interrupts the customer's use."
        ),
        "steps": [
            step(
                N_("Renewal self-check"),
                7,
                priority=HIGH,
                checklist=[
                    N_("Were the purchase goals met?"),
                    N_("Did the decision chain change?"),
                    N_("Are any sales promises unfulfilled?"),
                ],
            ),
            step(
                N_("Value report to the level-1 decision maker"),
                21,
                priority=HIGH,
                checklist=[N_("Problems solved"), N_("Trainings given"), N_("Improvements and results")],
            ),
            step(
                N_("Start the renewal paperwork"),
                30,
                priority=HIGH,
                checklist=[
                    N_("Confirm the customer's approval and payment process"),
                    N_("Send the renewal quote"),
                    N_("Agree the timeline with the decision maker"),
                ],
            ),
        ],
    },
    {
        "key": "onboarding-sales-rep",
        "name": N_("Onboarding by the sales rep (small ARR)"),
        "trigger": TriggerKind.STAGE_ONBOARDING,
        "arr_max": ONBOARDING_SALES_BELOW,
        "steps": [
            step(
                N_("Configure the account and train the users"),
                14,
                owner=SALES,
                checklist=[N_("Configure the account"), N_("Train the key users")],
            ),
        ],
    },
    {
        "key": "onboarding-csm",
        "name": N_("Onboarding by the CSM (mid ARR)"),
        "trigger": TriggerKind.STAGE_ONBOARDING,
        "arr_min": ONBOARDING_SALES_BELOW,
        "arr_max": ONBOARDING_IMPLEMENTATION_FROM,
        "steps": [
            step(
                N_("Configure the account and train the users"),
                14,
                priority=HIGH,
                checklist=[N_("Configure the account"), N_("Train the key users")],
            ),
        ],
    },
    {
        "key": "onboarding-implementation",
        "name": N_("Onboarding by implementation, then hand-over (large ARR)"),
        "trigger": TriggerKind.STAGE_ONBOARDING,
        "arr_min": ONBOARDING_IMPLEMENTATION_FROM,
        "steps": [
            step(N_("Implementation kick-off"), 7, owner=IMPL, priority=HIGH),
            step(
                N_("Hand-over from implementation to the CSM"),
                45,
                owner=IMPL,
                priority=HIGH,
                checklist=[
                    N_("Configuration signed off by the customer"),
                    N_("Trainings delivered"),
                    N_("Open issues handed over"),
                ],
            ),
            step(N_("Take over the account and own its active use"), 50, priority=HIGH),
        ],
    },
    {
        "key": "executive-report-monthly",
        "name": N_("Monthly executive value report"),
        "trigger": TriggerKind.EXEC_REPORT_MONTHLY,
        "segments": [Segment.ENTERPRISE.value],
        "description": N_("Doing without telling loses renewals: report value to the executives every month."),
        "steps": [
            step(
                N_("Monthly value report to the executive sponsor"),
                10,
                task_type=ACTIVITY,
                checklist=[N_("Usage and adoption this month"), N_("Problems solved"), N_("Next month's plan")],
            ),
        ],
    },
    {
        "key": "executive-report-quarterly",
        "name": N_("Quarterly executive value report"),
        "trigger": TriggerKind.EXEC_REPORT_QUARTERLY,
        "segments": [Segment.MID_MARKET.value],
        "steps": [
            step(
                N_("Quarterly value report to the executives"),
                20,
                task_type=ACTIVITY,
                checklist=[N_("Results against the purchase goals"), N_("Problems solved"), N_("Next quarter's plan")],
            ),
        ],
    },
    {
        "key": "key-stakeholder-left",
        "name": N_("Key stakeholder left"),
        "trigger": TriggerKind.KEY_STAKEHOLDER_LEFT,
        "description": N_("A change in the decision chain is a renewal risk."),
        "steps": [
            step(
                N_("Meet the successor of the key person who left"),
                3,
                priority=URGENT,
                task_type=RISK,
                checklist=[
                    N_("Find out who takes over the role"),
                    N_("Introduce yourself and the value delivered so far"),
                    N_("Update the stakeholder map and the dossier"),
                ],
            ),
            step(N_("Review the decision chain with the CSM"), 7, owner=MGR, priority=HIGH, task_type=RISK),
        ],
    },
    {
        "key": "activity-drop",
        "name": N_("Activity drop"),
        "trigger": TriggerKind.ACTIVITY_DROP,
        "steps": [
            step(
                N_("Find out why usage dropped"),
                2,
                priority=HIGH,
                task_type=RISK,
                checklist=[
                    N_("Check which features and users dropped"),
                    N_("Call the day-to-day contact"),
                    N_("Agree a recovery plan"),
                ],
            ),
        ],
    },
    {
        "key": "nps-detractor",
        "name": N_("NPS detractor"),
        "trigger": TriggerKind.NPS_DETRACTOR,
        "steps": [
            step(N_("Call back the detractor"), 2, priority=HIGH, task_type=RISK),
            step(N_("Close the loop on the feedback"), 14, task_type=RISK),
        ],
    },
    {
        "key": "dossier-needs-work",
        "name": N_("Dossier review: needs work"),
        "trigger": TriggerKind.DOSSIER_NEEDS_WORK,
        "steps": [
            step(
                N_("Complete the dossier after the review"),
                7,
                task_type=ACTIVITY,
                checklist=[
                    N_("Read the reviewer's comments"),
                    N_("Fill in the weak sections"),
                    N_("Ask for a new review"),
                ],
            ),
        ],
    },
    {
        "key": "renewal-at-risk",
        "name": N_("Renewal at risk"),
        "trigger": TriggerKind.RENEWAL_AT_RISK,
        "steps": [
            step(
                N_("Renewal rescue plan"),
                3,
                priority=URGENT,
                task_type=RISK,
                checklist=[
                    N_("Confirm the reason with the decision maker"),
                    N_("Agree a rescue plan with your manager"),
                    N_("Update the renewal forecast"),
                ],
            ),
            step(N_("Review the at-risk renewal with the CSM"), 5, owner=MGR, priority=HIGH, task_type=RISK),
        ],
    },
    {
        "key": "renewal-lapsed",
        "name": N_("Renewal lapsed"),
        "trigger": TriggerKind.RENEWAL_LAPSED,
        "description": N_(
            "The renewal date passed without a decision: the customer may be using the product without a contract."
        ),
        "steps": [
            step(
                N_("Get a decision on the lapsed renewal"),
                2,
                priority=URGENT,
                task_type=RISK,
                checklist=[
                    N_("Call the contract decision maker"),
                    N_("Find out where the renewal paperwork is stuck"),
                    N_("Close the renewal as renewed, downgraded or churned"),
                ],
            ),
            step(N_("Review the lapsed renewal with the CSM"), 3, owner=MGR, priority=HIGH, task_type=RISK),
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
