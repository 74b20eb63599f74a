"""Who gets a playbook step's task.

Onboarding by ARR: below ¥20k the sales rep configures and trains the
customer, from ¥100k an implementation team runs the project, in between the CSM does.
The default onboarding playbooks say so with each step's ``owner_role``; this module turns
the role into a person:

- a sales-rep step goes to the account's ``sales_owner``, an implementation step to its
  ``implementation_owner`` — when that person is set and may still sign in. Their tasks
  stay with them when the CSM changes (``follows_owner`` is false);
- without one (or when they were deactivated) the step goes to the account's owner, who
  sees the intended role on the task and hands it on, and it follows the owner;
- a manager's step goes to the owner's team lead and stays with them;
- a named person's step goes to that person while they may sign in (else the owner).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User

from accounts.models import Account
from org.models import Team

from .models import OwnerRole, PlaybookStep


def team_leads(owner_ids: set[int]) -> dict[int, int]:
    """Owner id → the id of the manager leading their team (one query)."""
    if not owner_ids:
        return {}
    rows = Team.objects.filter(members__user_id__in=owner_ids, lead__isnull=False).values_list(
        "members__user_id", "lead_id"
    )
    return dict(rows)


def active_handlers(accounts: Iterable[Account], *, steps: Iterable[PlaybookStep] = ()) -> set[int]:
    """The ids of the accounts' sales and implementation owners, and of the steps' named
    people, who may sign in (one query, none when there is nobody to check)."""
    ids = {
        pk for account in accounts for pk in (account.sales_owner_id, account.implementation_owner_id) if pk is not None
    } | {step.named_user_id for step in steps if step.named_user_id is not None}
    if not ids:
        return set()
    return set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))


def assignee_for(
    step: PlaybookStep, account: Account, *, leads: dict[int, int], handlers: set[int]
) -> tuple[int | None, bool]:
    """``(assignee id, follows_owner)`` for one step at one account."""
    if step.owner_role == OwnerRole.SALES_REP and account.sales_owner_id in handlers:
        return account.sales_owner_id, False
    if step.owner_role == OwnerRole.IMPLEMENTATION and account.implementation_owner_id in handlers:
        return account.implementation_owner_id, False
    if step.owner_role == OwnerRole.NAMED_USER and step.named_user_id in handlers:
        return step.named_user_id, False
    if step.owner_role == OwnerRole.MANAGER and account.owner_id in leads:
        return leads[account.owner_id], False
    return account.owner_id, True
