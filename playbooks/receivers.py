"""How playbooks reacts to the other apps (connected in ``PlaybooksConfig.ready``).

Every signal below is sent after its transaction commits; each receiver only enqueues
a task with ids, so a slow or failing playbook never breaks the sender's request. The
episode key names the object that caused the trigger: the same alert, departure,
response, review or renewal delivered twice fires its playbook once.

Owner change: ``accounts`` sends no signal for it, so ``post_save`` on Account moves
the open tasks that follow the owner (one UPDATE, no read); the stage refresh task
runs the same fix set-based, which also catches owners changed without ``save()``.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_save
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from accounts.models import Account, Verdict
from accounts.signals import dossier_reviewed, stakeholder_left
from core.audit_source import current_audit_source
from health.signals import activity_drops_detected, nps_detractor_received
from renewals.models import RenewalOpportunity
from renewals.signals import renewal_marked_at_risk, renewals_lapsed

from .models import OPEN_STATUSES, Task, TriggerKind


def _fire(account: Any, trigger: str, episode_key: str) -> None:
    from .tasks import playbook_fire_task

    playbook_fire_task.delay(
        account_id=account.pk, trigger=trigger, episode_key=episode_key, day=timezone.localdate().isoformat()
    )


def on_stakeholder_left(sender: Any, *, stakeholder: Any, account: Any, is_key: bool, **kwargs: Any) -> None:
    if is_key:
        _fire(account, TriggerKind.KEY_STAKEHOLDER_LEFT, f"stakeholder-left:{stakeholder.pk}")


FIRE_CHUNK = 500


def on_activity_drops(sender: Any, *, alerts: Any, **kwargs: Any) -> None:
    """A scan's alerts: one task per ``FIRE_CHUNK`` of them (a scan may raise thousands)."""
    from .tasks import playbook_fire_many_task

    items = [[alert.account.pk, TriggerKind.ACTIVITY_DROP, f"alert:{alert.pk}"] for alert in alerts]
    day = timezone.localdate().isoformat()
    for start in range(0, len(items), FIRE_CHUNK):
        playbook_fire_many_task.delay(items=items[start : start + FIRE_CHUNK], day=day)


def on_nps_detractor(sender: Any, *, response: Any, account: Any, **kwargs: Any) -> None:
    _fire(account, TriggerKind.NPS_DETRACTOR, f"nps:{response.pk}")


def on_dossier_reviewed(sender: Any, *, review: Any, account: Any, verdict: str, **kwargs: Any) -> None:
    if verdict == Verdict.NEEDS_WORK:
        _fire(account, TriggerKind.DOSSIER_NEEDS_WORK, f"dossier-review:{review.pk}")


def on_renewal_at_risk(sender: Any, *, renewal: Any, **kwargs: Any) -> None:
    # One episode per renewal: renewals sends this only when it was not at risk already.
    _fire(renewal.account, TriggerKind.RENEWAL_AT_RISK, f"renewal-at-risk:{renewal.pk}")


def on_renewals_lapsed(sender: Any, *, renewals: Any, day: Any, **kwargs: Any) -> None:
    """The daily sweep's lapsed renewals: one task per ``FIRE_CHUNK``, one episode per renewal."""
    from .tasks import playbook_fire_many_task

    items = [[account_id, TriggerKind.RENEWAL_LAPSED, f"renewal-lapsed:{pk}"] for pk, account_id in renewals]
    for start in range(0, len(items), FIRE_CHUNK):
        playbook_fire_many_task.delay(items=items[start : start + FIRE_CHUNK], day=day.isoformat())


class _StageRefreshBatch:
    """The accounts saved in one transaction whose stage must be refreshed after it.

    Each save registers its own on-commit callback (``transaction.on_commit``); the
    batch holds them weakly. When a savepoint or the transaction rolls back, Django
    drops its callbacks, and with them their accounts leave the batch: the first
    callback to run after commit sends the accounts of the callbacks still alive, in
    one task, and the others find the batch sent.
    """

    def __init__(self) -> None:
        self.callbacks: weakref.WeakSet[_StageRefreshOnCommit] = weakref.WeakSet()
        self.sent = False

    @property
    def open(self) -> bool:
        """Still collecting: not sent, and some save of it not rolled back."""
        return not self.sent and len(self.callbacks) > 0


class _StageRefreshOnCommit:
    """On-commit callback of one save: sends its batch's refresh, once."""

    __slots__ = ("__weakref__", "account_id", "batch")

    def __init__(self, account_id: int, batch: _StageRefreshBatch) -> None:
        self.account_id = account_id
        self.batch = batch

    def __call__(self) -> None:
        from .tasks import stage_refresh_task

        if self.batch.sent:
            return
        self.batch.sent = True
        stage_refresh_task.delay(account_ids=sorted({callback.account_id for callback in self.batch.callbacks}))


# The batch being collected, per thread and database alias (connections are per thread).
_open_batches = threading.local()


def _refresh_stage_after_commit(account_id: int, using: str = DEFAULT_DB_ALIAS) -> None:
    """The stage changes when its dates do, not at tonight's sweep: once per transaction.

    A request or import that saves 500 accounts (or their renewals) queues one refresh
    for all of them, not 500. In autocommit mode the callback runs at once.
    """
    batches: dict[str, _StageRefreshBatch] = _open_batches.__dict__.setdefault("by_alias", {})
    batch = batches.get(using)
    if batch is None or not batch.open:
        batch = batches[using] = _StageRefreshBatch()
    callback = _StageRefreshOnCommit(account_id, batch)
    batch.callbacks.add(callback)
    transaction.on_commit(callback, using=using)


STAGE_AND_OWNER_FIELDS = {"owner", "owner_id", "go_live_date", "status"}


def _tasks_follow(account: Account) -> None:
    """The account's open tasks that follow its owner go to the new owner, with history
    rows (the audit log shows them moving, by whoever changed the owner)."""
    moved = list(
        Task.objects.filter(account_id=account.pk, follows_owner=True, status__in=OPEN_STATUSES).exclude(
            assignee_id=account.owner_id
        )
    )
    if not moved:
        return
    now = timezone.now()
    for task in moved:
        task.assignee_id, task.updated_at = account.owner_id, now
    bulk_update_with_history(
        moved,
        Task,
        ["assignee", "updated_at"],
        default_user=getattr(account, "_history_user", None),
        default_change_reason=current_audit_source(),
    )


def on_account_saved(
    sender: Any, *, instance: Account, created: bool, raw: bool = False, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw:  # loaddata
        return
    if update_fields is not None and not STAGE_AND_OWNER_FIELDS & set(update_fields):
        return  # e.g. the dossier score: neither the stage nor the owner moved
    if not created and instance.owner_id is not None:
        _tasks_follow(instance)
    # Go-live or status may have changed: the stage changes now, not at tonight's sweep.
    _refresh_stage_after_commit(instance.pk, kwargs.get("using") or DEFAULT_DB_ALIAS)


def on_renewal_saved(sender: Any, *, instance: RenewalOpportunity, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        _refresh_stage_after_commit(instance.account_id, kwargs.get("using") or DEFAULT_DB_ALIAS)


def connect() -> None:
    uid = "playbooks"
    stakeholder_left.connect(on_stakeholder_left, dispatch_uid=f"{uid}.stakeholder_left")
    activity_drops_detected.connect(on_activity_drops, dispatch_uid=f"{uid}.activity_drops")
    nps_detractor_received.connect(on_nps_detractor, dispatch_uid=f"{uid}.nps_detractor")
    dossier_reviewed.connect(on_dossier_reviewed, dispatch_uid=f"{uid}.dossier_reviewed")
    renewal_marked_at_risk.connect(on_renewal_at_risk, dispatch_uid=f"{uid}.renewal_at_risk")
    renewals_lapsed.connect(on_renewals_lapsed, dispatch_uid=f"{uid}.renewals_lapsed")
    post_save.connect(on_account_saved, sender=Account, dispatch_uid=f"{uid}.account_saved")
    post_save.connect(on_renewal_saved, sender=RenewalOpportunity, dispatch_uid=f"{uid}.renewal_saved")
