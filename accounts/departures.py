"""A person leaves (deactivated on the people page): their accounts become unassigned.

``org`` sends ``person_deactivated`` inside the deactivation's transaction; this
receiver moves every account the person owned to their team's unassigned queue (owner
none, ``queue_team`` their team: the team's manager and admins see them until someone is
given them) in one bulk UPDATE with a history row
per account and an "Owner changed" timeline entry, then tells the apps above which
accounts were released (``accounts.signals.person_accounts_released``, playbooks
creates the manager's task). A failure here rolls the deactivation back.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_update_with_history

from core.audit_source import current_audit_source
from core.messages import message, word
from core.people import display_name, person_or_none
from core.types import AnyUser
from org.models import Team

from .models import Account
from .signals import person_accounts_released
from .timeline import TimelineDraft, timeline_record_many


@transaction.atomic
def accounts_release_owner(*, owner: Any, actor: AnyUser) -> list[Account]:
    """Unassign every account of ``owner``; returns them (empty when they owned none)."""
    accounts = list(Account.objects.select_for_update().filter(owner_id=owner.pk).order_by("pk"))
    if not accounts:
        return []
    now = timezone.now()
    team_id = Team.objects.filter(members__user=owner).values_list("pk", flat=True).first()
    for account in accounts:
        account.owner, account.queue_team_id, account.updated_at = None, team_id, now
    bulk_update_with_history(  # bulk writes send no signal: the history user and source are given
        accounts,
        Account,
        ["owner", "queue_team", "updated_at"],
        default_user=person_or_none(actor),
        default_change_reason=current_audit_source(),
    )
    note = message(
        gettext_noop("Owner changed: %(old)s → %(new)s"), old=display_name(owner), new=word(gettext_noop("nobody"))
    )
    timeline_record_many(
        TimelineDraft(
            account=account,
            kind="owner_changed",
            message=note,
            actor=actor,
            data={"from": owner.pk, "to": None, "reason": "person_deactivated"},
        )
        for account in accounts
    )
    person_accounts_released.send(sender=Account, person=owner, accounts=accounts, actor=actor)
    return accounts


def on_person_deactivated(sender: Any, *, person: Any, actor: AnyUser, **kwargs: Any) -> None:
    accounts_release_owner(owner=person, actor=actor)


def connect() -> None:
    from org.signals import person_deactivated

    person_deactivated.connect(on_person_deactivated, dispatch_uid="accounts.departures.person_deactivated")
