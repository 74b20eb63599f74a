"""Signal receivers: lower apps' events become outbox rows (connected in ``apps.ready``).

Every signal here is sent after its transaction committed; a receiver only records rows
(set-based for batches) — delivery runs in the workers.

Cheap when nobody listens: which event types active endpoints want (and whether any chat
target is active) is kept in the shared cache, dropped whenever an endpoint is saved or
deleted, so a signal nobody subscribed to costs no query at all.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone, translation

from accounts.models import Account
from core.models import Notification
from core.notifications import user_language
from playbooks.models import Playbook, Task
from playbooks.signals import playbooks_fired

from .chat import message_payload
from .events import Event, account_data, link, person_data
from .models import CHAT_KINDS, Endpoint, Kind
from .services import chat_messages_record, events_record

logger = logging.getLogger(__name__)

SUBSCRIPTIONS_CACHE_KEY = "webhooks:subscriptions:v1"
# Endpoints are also changed by plain UPDATEs (the delivery disabling one after 24 h of
# failures) that send no signal: a short lifetime bounds how long such a change goes unseen.
SUBSCRIPTIONS_CACHE_SECONDS = 30


def _subscriptions() -> tuple[frozenset[str], bool]:
    """``(event types some active webhook endpoint wants, whether a chat target is active)``."""
    try:
        cached = cache.get(SUBSCRIPTIONS_CACHE_KEY)
    except Exception:  # noqa: BLE001 - a cache outage must not cost the event: ask the database
        logger.warning("webhooks: subscription cache unavailable", exc_info=True)
        cached = None
    if cached is not None:
        types, chat = cached
        return frozenset(types), bool(chat)
    wanted: set[str] = set()
    chat = False
    for kind, event_types in Endpoint.objects.filter(active=True).values_list("kind", "event_types"):
        if kind == Kind.WEBHOOK:
            wanted.update(event_types or [])
        else:
            chat = True
    try:
        cache.set(SUBSCRIPTIONS_CACHE_KEY, (sorted(wanted), chat), SUBSCRIPTIONS_CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - uncached, the next signal asks the database again
        logger.warning("webhooks: subscription cache unavailable", exc_info=True)
    return frozenset(wanted), chat


def subscriptions_forget() -> None:
    """Drop the cached subscriptions (now, and again once the change committed: another
    process may have read the old rows in between and cached them again)."""

    def forget() -> None:
        try:
            cache.delete(SUBSCRIPTIONS_CACHE_KEY)
        except Exception:  # noqa: BLE001 - the save stands; the entry expires on its own
            logger.warning("webhooks: subscription cache unavailable", exc_info=True)

    forget()
    transaction.on_commit(forget)


# Connected here rather than in ``apps.ready``: the cache and its invalidation belong together.
@receiver(post_save, sender=Endpoint, dispatch_uid="webhooks.endpoint_saved")
@receiver(post_delete, sender=Endpoint, dispatch_uid="webhooks.endpoint_deleted")
def on_endpoint_changed(sender: Any, **kwargs: Any) -> None:
    subscriptions_forget()


def _wanted(event_type: str) -> bool:
    """Whether an active endpoint subscribes to ``event_type``: otherwise nothing is built."""
    return event_type in _subscriptions()[0]


def _accounts_of(objects: list[Any]) -> dict[int, Any]:
    """The accounts of ``objects`` (alerts, renewals …) by id: one query for those not loaded."""
    loaded = {obj.account_id: obj.account for obj in objects if type(obj).account.is_cached(obj)}
    missing = {obj.account_id for obj in objects} - set(loaded)
    return loaded | (Account.objects.in_bulk(list(missing)) if missing else {})


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
    alerts = list(alerts)
    accounts = _accounts_of(alerts)
    events_record(
        [
            Event(
                "alert.activity_drop_raised",
                f"alert.raised:{alert.pk}",
                {"account": account_data(accounts[alert.account_id]), "alert": _alert_data(alert)},
            )
            for alert in alerts
            if alert.account_id in accounts
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


def _rule_data(playbook: Playbook) -> dict[str, Any]:
    return {"id": playbook.pk, "key": playbook.key or None, "name": playbook.name, "trigger": playbook.trigger}


@receiver(playbooks_fired, dispatch_uid="webhooks.on_playbooks_fired")
def on_playbooks_fired(sender: Any, firings: Any = (), **kwargs: Any) -> None:
    """A rule (today: a playbook) fired for accounts: one ``rule.fired`` per playbook,
    account and episode, with the tasks it created — one query for a whole sweep's batch."""
    firings = list(firings)
    if not firings or not _wanted("rule.fired"):
        return
    by_key = {(f.playbook_id, f.account_id, f.episode_key): f for f in firings}
    tasks = (
        Task.objects.filter(
            account_id__in=sorted({f.account_id for f in firings}),
            playbook_id__in=sorted({f.playbook_id for f in firings}),
            created_at__gte=min(f.fired_at for f in firings),
        )
        .select_related("account", "playbook")
        .order_by("due_date", "pk")
    )
    found: dict[tuple[int | None, int, str], list[Task]] = defaultdict(list)
    for task in tasks:
        key = (task.playbook_id, task.account_id, task.episode_key)
        if key in by_key:
            found[key].append(task)
    events = []
    for key, firing in by_key.items():
        created = found.get(key)
        if not created:  # deleted since (the account, the playbook): nothing left to tell
            continue
        data = {
            "rule": _rule_data(created[0].playbook),  # type: ignore[arg-type]
            "account": account_data(created[0].account),
            "episode_key": firing.episode_key,
            "tasks": [_task_data(task) for task in created],
            "fired_at": firing.fired_at.isoformat(),
        }
        event_key = f"rule.fired:{firing.playbook_id}:{firing.account_id}:{firing.episode_key}"
        events.append(Event("rule.fired", event_key, data, occurred_at=firing.fired_at))
    events_record(events)


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
    if not _subscriptions()[1]:
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
                payload = message_payload(
                    kind=target.kind, title=notification.display_title, body=notification.display_body, url=url
                )
            messages.append((target, f"chat:{notification.pk}:{target.pk}", payload))
    if messages:
        chat_messages_record(messages)
