"""Signal receivers: lower apps' events become outbox rows (connected in ``apps.ready``).

Every signal here is sent after its transaction committed; a receiver only records rows
(set-based for batches) — delivery runs in the workers.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone, translation

from accounts.models import Account
from core.models import Notification
from core.notifications import user_language
from playbooks.models import Task

from .chat import message_payload
from .events import Event, account_data, link, person_data
from .models import CHAT_KINDS, Endpoint, Kind
from .services import chat_messages_record, events_record


def _wanted(event_type: str) -> bool:
    """Whether an active endpoint subscribes to ``event_type``: otherwise nothing is built."""
    subscribed = Endpoint.objects.filter(kind=Kind.WEBHOOK, active=True).values_list("event_types", flat=True)
    return any(event_type in (types or []) for types in subscribed)


def on_stakeholder_left(sender: Any, stakeholder: Any, account: Any, is_key: bool = False, **kwargs: Any) -> None:
    if not is_key or not _wanted("stakeholder.key_left"):
        return
    data = {
        "account": account_data(account),
        "stakeholder": {"id": stakeholder.pk, "name": stakeholder.name, "title": stakeholder.title,
                        "tier": stakeholder.tier, "key_level": stakeholder.key_level},
    }  # fmt: skip
    events_record([Event("stakeholder.key_left", f"stakeholder.key_left:{stakeholder.pk}", data)])


def _alert_data(alert: Any) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "status": alert.status,
        "detected_on": alert.detected_on.isoformat(),
        "current_events": alert.current_events,
        "baseline_events": str(alert.baseline_events),
        "drop_share": str(alert.drop_share),
    }


def on_activity_drops_detected(sender: Any, alerts: Any, **kwargs: Any) -> None:
    if not _wanted("alert.activity_drop_raised"):
        return
    events_record(
        [
            Event(
                "alert.activity_drop_raised",
                f"alert.raised:{alert.pk}",
                {"account": account_data(alert.account), "alert": _alert_data(alert)},
            )
            for alert in alerts
        ]
    )


def on_activity_drop_resolved(sender: Any, alert: Any, account: Any, **kwargs: Any) -> None:
    if not _wanted("alert.activity_drop_resolved"):
        return
    data = {"account": account_data(account), "alert": _alert_data(alert)}
    events_record([Event("alert.activity_drop_resolved", f"alert.resolved:{alert.pk}", data)])


def on_renewal_marked_at_risk(sender: Any, renewal: Any, reason: str = "", **kwargs: Any) -> None:
    if not _wanted("renewal.at_risk"):
        return
    data = {"account": account_data(renewal.account), "renewal": _renewal_data(renewal), "reason": reason}
    key = f"renewal.at_risk:{renewal.pk}:{renewal.updated_at:%Y%m%d%H%M%S%f}"
    events_record([Event("renewal.at_risk", key, data)])


def _renewal_data(renewal: Any) -> dict[str, Any]:
    return {
        "id": renewal.pk,
        "due_date": renewal.due_date.isoformat(),
        "status": renewal.status,
        "forecast_arr": str(renewal.forecast_arr) if renewal.forecast_arr is not None else None,
    }


def on_health_colours_changed(sender: Any, changes: Any, day: Any, **kwargs: Any) -> None:
    """One batch per recalculation: ``changes`` = [(account id, old colour, new colour, score)]."""
    if not _wanted("health.colour_changed"):
        return
    accounts = Account.objects.in_bulk([account_id for account_id, *_rest in changes])
    events_record(
        [
            Event(
                "health.colour_changed",
                f"health.colour:{account.pk}:{day.isoformat()}:{new}",
                {"account": account_data(account), "day": day.isoformat(), "previous_colour": old, "colour": new,
                 "score": score},
            )
            for account_id, old, new, score in changes
            if (account := accounts.get(account_id)) is not None
        ]
    )  # fmt: skip


def on_account_created(sender: Any, account: Any, **kwargs: Any) -> None:
    if not _wanted("account.created"):
        return
    events_record([Event("account.created", f"account.created:{account.pk}", {"account": account_data(account)})])


def on_account_updated(sender: Any, account: Any, fields: Any, previous_owner_id: Any = None, **kwargs: Any) -> None:
    if not (_wanted("account.updated") or _wanted("account.owner_changed")):
        return
    when = f"{account.updated_at:%Y%m%d%H%M%S%f}"
    events = [Event("account.updated", f"account.updated:{account.pk}:{when}",
                    {"account": account_data(account), "fields": list(fields)})]  # fmt: skip
    if account.owner_id != previous_owner_id:
        people = get_user_model().objects.in_bulk([pk for pk in (previous_owner_id, account.owner_id) if pk])
        data = {
            "account": account_data(account),
            "previous_owner": person_data(people.get(previous_owner_id)),
            "owner": person_data(people.get(account.owner_id)),
        }
        events.append(Event("account.owner_changed", f"account.owner_changed:{account.pk}:{when}", data))
    events_record(events)


def _task_data(task: Any) -> dict[str, Any]:
    return {
        "id": task.pk,
        "title": task.title,
        "status": task.status,
        "due_date": task.due_date.isoformat(),
        "priority": task.priority,
        "assignee_id": task.assignee_id,
        "playbook_id": task.playbook_id,
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
    }


def on_tasks_created(
    sender: Any, task_ids: Any = None, account_ids: Any = None, since: Any = None, **kwargs: Any
) -> None:
    if not _wanted("task.created"):
        return
    tasks = Task.objects.select_related("account")
    if task_ids is not None:
        tasks = tasks.filter(pk__in=list(task_ids))
    else:
        tasks = tasks.filter(account_id__in=list(account_ids or []), created_at__gte=since)
    events_record(
        [
            Event(
                "task.created",
                f"task.created:{task.pk}",
                {"account": account_data(task.account), "task": _task_data(task)},
            )
            for task in tasks
        ]
    )


def on_task_completed(sender: Any, task: Any, **kwargs: Any) -> None:
    if not _wanted("task.completed"):
        return
    data = {"account": account_data(task.account), "task": _task_data(task)}
    events_record([Event("task.completed", f"task.completed:{task.pk}:{task.completed_at:%Y%m%d%H%M%S%f}", data)])


def on_renewal_closed(sender: Any, renewal: Any, outcome: str, **kwargs: Any) -> None:
    if not _wanted("renewal.closed"):
        return
    data = {
        "account": account_data(renewal.account),
        "renewal": _renewal_data(renewal) | {"outcome_arr": str(renewal.outcome_arr)},
        "outcome": "churned" if outcome == "churned" else "won",
        "status": outcome,
    }
    events_record([Event("renewal.closed", f"renewal.closed:{renewal.pk}", data)])


def on_nps_response_received(sender: Any, response: Any, account: Any, **kwargs: Any) -> None:
    if not _wanted("nps.response_received"):
        return
    data = {
        "account": account_data(account),
        "response": {"id": response.pk, "score": response.score, "comment": response.comment,
                     "responded_on": response.responded_on.isoformat(), "stakeholder_id": response.stakeholder_id},
    }  # fmt: skip
    events_record([Event("nps.response_received", f"nps.response:{response.pk}", data)])


def _chat_targets(recipients: list[Any]) -> tuple[dict[int, list[Endpoint]], dict[int, Any]]:
    """Active chat targets by recipient id (their own and their team's), and the users."""
    users = {
        user.pk: user
        for user in get_user_model().objects.filter(pk__in=[r.pk for r in recipients]).select_related("cs_profile")
    }
    team_of = {pk: getattr(getattr(user, "cs_profile", None), "team_id", None) for pk, user in users.items()}
    teams = {team for team in team_of.values() if team}
    targets = Endpoint.objects.filter(Q(owner_id__in=list(users)) | Q(team_id__in=list(teams)), active=True)
    by_recipient: dict[int, list[Endpoint]] = defaultdict(list)
    for target in targets.filter(kind__in=CHAT_KINDS):
        for pk, team in team_of.items():
            if target.owner_id == pk or (target.team_id and target.team_id == team):
                by_recipient[pk].append(target)
    return by_recipient, users


def on_notifications_created(sender: Any, ids: Any = (), dedupe_keys: Any = (), **kwargs: Any) -> None:
    """Forward the chosen kinds to the recipient's (and their team's) chat, in their language."""
    if not Endpoint.objects.filter(kind__in=CHAT_KINDS, active=True).exists():
        return
    # A batch's keys may name notifications of an earlier run: only recent ones go out
    # (each at most once per target: the delivery's dedupe key).
    recent = Q(dedupe_key__in=list(dedupe_keys), created_at__gte=timezone.now() - timedelta(hours=1))
    notifications = list(Notification.objects.filter(Q(pk__in=list(ids)) | recent).select_related("recipient"))
    if not notifications:
        return
    by_recipient, users = _chat_targets([n.recipient for n in notifications])
    messages = []
    for notification in notifications:
        recipient = users.get(notification.recipient_id)
        for target in by_recipient.get(notification.recipient_id, []):
            if notification.kind not in target.notification_kinds:
                continue
            url = link(notification.url) if notification.url.startswith("/") else notification.url
            with translation.override(user_language(recipient)):
                payload = message_payload(kind=target.kind, title=notification.title, body=notification.body, url=url)
            messages.append((target, f"chat:{notification.pk}:{target.pk}", payload))
    if messages:
        chat_messages_record(messages)
