"""The one way anything writes to an account's timeline.

Other apps (health, renewals, playbooks, capacity) record their events here rather
than touching ``TimelineEntry`` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.people import person_or_none
from core.types import AnyUser

from .models import Account, Stakeholder, TimelineEntry, TouchpointKind

# Labels for system entries; apps may write other kinds (shown as-is, humanised).
SYSTEM_KINDS: dict[str, Any] = {
    "account_created": _("Account created"),
    "owner_changed": _("Owner changed"),
    "stakeholder_left": _("Stakeholder left"),
    "stakeholder_erased": _("Contact's personal data erased"),
    "decision_chain_changed": _("Decision chain changed"),
    "dossier_reviewed": _("Dossier reviewed"),
    "stage_changed": _("Lifecycle stage changed"),
    "activity_drop": _("Activity drop alert"),
    "renewal_at_risk": _("Renewal marked at risk"),
    "renewal_closed": _("Renewal closed"),
    "renewal_lapsed": _("Renewal lapsed"),
    "contract_amended": _("Contract amended"),
    "renewal_reminder_sent": _("Renewal reminder sent"),
    "task_completed": _("Task completed"),
}


def system_kind_label(kind: str) -> str:
    label = SYSTEM_KINDS.get(kind)
    return str(label) if label is not None else kind.replace("_", " ").capitalize()


def timeline_record(
    *,
    account: Account,
    kind: str,
    title: str,
    body: str = "",
    actor: AnyUser | None = None,
    occurred_at: datetime | None = None,
    data: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> TimelineEntry | None:
    """Write a system entry; with ``dedupe_key``, at most once (returns None the 2nd time)."""
    draft = TimelineDraft(
        account=account,
        kind=kind,
        title=title,
        body=body,
        actor=actor,
        occurred_at=occurred_at,
        data=data or {},
        dedupe_key=dedupe_key,
    )
    try:
        with transaction.atomic():
            entry = _system_entry(draft, now=timezone.now())
            entry.save(force_insert=True)
            return entry
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None


@dataclass(frozen=True)
class TimelineDraft:
    """One system entry for ``timeline_record_many``: what ``timeline_record`` takes."""

    account: Account
    kind: str
    title: str
    body: str = ""
    actor: AnyUser | None = None
    occurred_at: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)
    dedupe_key: str | None = None


def _system_entry(draft: TimelineDraft, *, now: datetime) -> TimelineEntry:
    """The (unsaved) row of one system entry: never a touchpoint, an actor only if a person."""
    return TimelineEntry(
        account=draft.account,
        is_touchpoint=False,
        kind=draft.kind,
        title=str(draft.title)[:300],
        body=draft.body,
        actor=person_or_none(draft.actor),
        occurred_at=draft.occurred_at or now,
        data=draft.data or {},
        dedupe_key=draft.dedupe_key,
    )


def timeline_record_many(entries: Iterable[TimelineDraft]) -> None:
    """``timeline_record`` for a batch: one insert; each ``dedupe_key`` at most once.

    Entries whose key already exists (or repeats in the batch) are skipped, as the
    single version skips them; entries without a key are always written.
    """
    now = timezone.now()
    rows: list[TimelineEntry] = []
    keys: set[str] = set()
    for entry in entries:
        if entry.dedupe_key is not None:
            if entry.dedupe_key in keys:
                continue
            keys.add(entry.dedupe_key)
        rows.append(_system_entry(entry, now=now))
    if rows:
        # Only the dedupe key is unique (NULLs never conflict), so ignoring conflicts
        # skips exactly the entries the single version would have skipped.
        TimelineEntry.objects.bulk_create(rows, ignore_conflicts=bool(keys), batch_size=1000)


@transaction.atomic
def touchpoint_log(
    *,
    actor: AnyUser,
    account: Account,
    kind: str,
    title: str,
    occurred_at: datetime | None = None,
    body: str = "",
    outcome: str = "",
    duration_minutes: int | None = None,
    stakeholders: list[Stakeholder] | None = None,
) -> TimelineEntry:
    """A touchpoint a person logs (call, visit, meeting, QBR …). The caller checked scope."""
    stakeholders = stakeholders or []
    foreign = [s for s in stakeholders if s.account_id != account.pk]
    if foreign:
        raise ValidationError({"stakeholders": _("Stakeholders must belong to this account.")})
    entry = TimelineEntry(
        account=account,
        is_touchpoint=True,
        kind=kind,
        title=title,
        body=body,
        outcome=outcome,
        duration_minutes=duration_minutes,
        actor=person_or_none(actor),
        occurred_at=occurred_at or timezone.now(),
    )
    if kind not in TouchpointKind.values:
        raise ValidationError({"kind": _("Unknown touchpoint type.")})
    entry.full_clean(exclude=["dedupe_key"])
    entry.save()
    entry.stakeholders.set(stakeholders)
    return entry
