"""A contact known in every place Hourglass keeps something about a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.dossier import dossier_section_save
from accounts.models import MajorEvent, RiskFlag, Stakeholder, TimelineEntry
from accounts.stakeholders import stakeholder_create, stakeholder_mark_left, stakeholder_update
from accounts.timeline import touchpoint_log
from core.models import OutboundEmail
from health.models import NpsResponse
from health.nps import nps_response_record
from playbooks.models import Task, TaskComment
from renewals.models import ReminderAudience, RenewalReminder
from renewals.services import contract_create

# Every value the contact was ever stored with: none may remain anywhere after erasure.
NAME, OLD_NAME = "Wendy Vasquez", "Wendy Vasquez-Old"
EMAIL, OLD_EMAIL = "wendy.vasquez@customer.example", "wvasquez@oldmail.example"
PHONE = "+86 138 5550 1234"
DEMANDS, PERSONALITY, GOALS = "Wants SSO before Q3 zebrafinch", "Direct, hates slides quokka", "Cut costs ocelot"
SECRETS = (NAME, OLD_NAME, EMAIL, OLD_EMAIL, PHONE, DEMANDS, PERSONALITY, GOALS, "Vasquez", "wvasquez")


@dataclass
class World:
    account: Any
    person: Stakeholder
    boss: Stakeholder
    colleague: Stakeholder
    touchpoint: TimelineEntry
    unrelated: TimelineEntry
    own_nps: NpsResponse
    other_nps: NpsResponse
    reminder: RenewalReminder
    email: OutboundEmail
    task: Task


@pytest.fixture
def world(org: Any) -> World:
    # The staff's names are random (Faker) and "Vasquez" is one of them now and then: a
    # colleague who shares the contact's surname is not the contact's data.
    User = get_user_model()
    User.objects.filter(last_name__icontains="vasquez").update(last_name="Staff")
    User.history.filter(last_name__icontains="vasquez").update(last_name="Staff")
    csm = org.csm_a1
    account = org.accounts["csm_a1"][0]
    boss = stakeholder_create(actor=csm, account=account, name="Olga Brandt", tier="S", key_level=1, title="CEO")
    person = stakeholder_create(
        actor=csm, account=account, name=OLD_NAME, email=OLD_EMAIL, tier="A", key_level=1, title="CFO",
        reports_to=boss,
    )  # fmt: skip
    person = stakeholder_update(
        actor=csm, stakeholder=person, name=NAME, email=EMAIL, phone=PHONE, demands=DEMANDS,
        personality=PERSONALITY, work_goals=GOALS,
    )  # fmt: skip
    colleague = stakeholder_create(
        actor=csm, account=account, name="Tom Ng", tier="B", reports_to=person,
        demands=f"Reports to {NAME}; ask {EMAIL} first",
    )  # fmt: skip
    touchpoint = touchpoint_log(
        actor=csm, account=account, kind="call", title=f"Call with {NAME}",
        body=f"{NAME} ({EMAIL}, {PHONE}) wants SSO", outcome="Send the plan", stakeholders=[person, boss],
    )  # fmt: skip
    unrelated = touchpoint_log(actor=csm, account=account, kind="note", title="Annual plan", body="Wendy's team? no")
    section = dossier_section_save(
        actor=csm, account=account, key="key_people", base_version=0, content=f"{NAME} decides the budget"
    )
    dossier_section_save(
        actor=csm, account=account, key="key_people", base_version=section.version, content="Budget: see CFO"
    )
    MajorEvent.objects.create(account=account, date=date(2026, 1, 5), title="Reorg", description=f"{OLD_NAME} promoted")
    own_nps, _ = nps_response_record(
        actor=csm,
        account=account,
        score=9,
        responded_on=date(2026, 3, 1),
        comment="Love it, quokka",
        stakeholder=person,
    )
    other_nps, _ = nps_response_record(
        actor=csm, account=account, score=5, responded_on=date(2026, 3, 2), comment=f"Ask {NAME}, she knows"
    )
    contract = contract_create(
        actor=csm, account=account, start_date=date.today() - timedelta(days=300),
        end_date=date.today() + timedelta(days=65), arr=Decimal("50000"),
    )  # fmt: skip
    email = OutboundEmail.objects.create(
        dedupe_key="customer-reminder-1", to=[EMAIL], cc=[csm.email], subject="Your subscription renews",
        body_text=f"Dear {NAME},\nyour subscription renews.", body_html=f"<p>Dear {NAME},</p>",
        render_with="renewals.reminder", render_args={"reminder_id": 1, "contact_id": person.pk},
    )  # fmt: skip
    reminder = RenewalReminder.objects.create(
        renewal=contract.renewal, threshold_days=60, audience=ReminderAudience.CUSTOMER, due_date=contract.end_date,
        days_left=60, recipient_email=EMAIL, claim_token="t", claimed_at=timezone.now(), email=email,
    )  # fmt: skip
    task = Task.objects.create(
        account=account, assignee=csm, title=f"Follow up with {NAME}", description=f"Call {PHONE}",
        due_date=timezone.localdate(),
    )  # fmt: skip
    TaskComment.objects.create(task=task, author=csm, body=f"{NAME} did not answer")
    person = stakeholder_mark_left(actor=csm, stakeholder=person, left_on=date(2026, 4, 1))
    LogEntry.objects.log_actions(user_id=csm.pk, queryset=[person], action_flag=CHANGE, change_message="[]")
    assert RiskFlag.objects.filter(account=account, reason__contains=NAME).exists()
    return World(account, person, boss, colleague, touchpoint, unrelated, own_nps, other_nps, reminder, email, task)
