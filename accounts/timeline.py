"""The one way anything writes to an account's timeline.

Other apps (health, renewals, playbooks, capacity) record their events here rather
than touching ``TimelineEntry`` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.messages import Message, lines_render, message_fields, message_lines
from core.people import person_or_none
from core.types import AnyUser

from .models import Account, Stakeholder, TimelineEntry, TouchpointKind

# Label and badge colour (a Bootstrap ``text-bg-*`` class) of each kind of system entry:
# red for risks, amber for what needs a look, green for good news, blue for the
# customer's lifecycle, grey for bookkeeping. Apps may write other kinds (shown
# humanised, in grey).
SYSTEM_KINDS: dict[str, Any] = {
    "account_created": _("Account created"),
    "owner_changed": _("Owner changed"),
    "capacity_rebalanced": _("Reassigned by rebalancing"),
    "stakeholder_left": _("Stakeholder left"),
    "stakeholder_left_undone": _("Departure undone"),
    "stakeholder_erased": _("Contact's personal data erased"),
    "decision_chain_changed": _("Decision chain changed"),
    "dossier_reviewed": _("Dossier reviewed"),
    "stage_changed": _("Lifecycle stage changed"),
    "activity_drop": _("Activity drop alert"),
    "activity_drop_acknowledged": _("Alert acknowledged"),
    "activity_drop_resolved": _("Alert resolved"),
    "renewal_at_risk": _("Renewal marked at risk"),
    "renewal_closed": _("Renewal closed"),
    "renewal_lapsed": _("Renewal lapsed"),
    "contract_amended": _("Contract amended"),
    "renewal_reminder_sent": _("Renewal reminder sent"),
    "renewal_customer_reminder_sent": _("Customer renewal reminder sent"),
    "expansion_created": _("Expansion raised"),
    "expansion_stage": _("Expansion stage changed"),
    "expansion_won": _("Expansion won"),
    "expansion_lost": _("Expansion lost"),
    "feedback_raised": _("Product feedback"),
    "survey_answered": _("Survey answered"),
    "program_email_sent": _("Program email sent"),
    "task_completed": _("Task completed"),
}
SYSTEM_KIND_BADGES: dict[str, str] = {
    "account_created": "text-bg-secondary",
    "owner_changed": "text-bg-secondary",
    "capacity_rebalanced": "text-bg-secondary",
    "stakeholder_left": "text-bg-danger",
    "stakeholder_left_undone": "text-bg-success",
    "stakeholder_erased": "text-bg-secondary",
    "decision_chain_changed": "text-bg-danger",
    "dossier_reviewed": "text-bg-info",
    "stage_changed": "text-bg-info",
    "activity_drop": "text-bg-danger",
    "activity_drop_acknowledged": "text-bg-warning",
    "activity_drop_resolved": "text-bg-success",
    "renewal_at_risk": "text-bg-danger",
    "renewal_closed": "text-bg-success",
    "renewal_lapsed": "text-bg-danger",
    "contract_amended": "text-bg-info",
    "renewal_reminder_sent": "text-bg-warning",
    "renewal_customer_reminder_sent": "text-bg-warning",
    "expansion_created": "text-bg-success",
    "expansion_stage": "text-bg-success",
    "expansion_won": "text-bg-success",
    "expansion_lost": "text-bg-danger",
    "feedback_raised": "text-bg-info",
    "survey_answered": "text-bg-info",
    "program_email_sent": "text-bg-secondary",
    "task_completed": "text-bg-success",
}
TOUCHPOINT_BADGE = "text-bg-primary"
OTHER_KIND_BADGE = "text-bg-secondary"


def system_kind_label(kind: str) -> str:
    label = SYSTEM_KINDS.get(kind)
    return str(label) if label is not None else kind.replace("_", " ").capitalize()


def kind_badge_class(kind: str, *, is_touchpoint: bool = False) -> str:
    return TOUCHPOINT_BADGE if is_touchpoint else SYSTEM_KIND_BADGES.get(kind, OTHER_KIND_BADGE)


def timeline_record(
    *,
    account: Account,
    kind: str,
    title: str = "",
    message: Message | None = None,
    body: str = "",
    body_messages: Sequence[Message] = (),
    actor: AnyUser | None = None,
    occurred_at: datetime | None = None,
    data: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> TimelineEntry | None:
    """Write a system entry; with ``dedupe_key``, at most once (returns None the 2nd time).

    Generated text goes in as ``message`` (and ``body_messages``): the entry is read in
    each reader's language. ``title``/``body`` default to it in the deployment's language.
    """
    draft = TimelineDraft(
        account=account,
        kind=kind,
        title=title,
        message=message,
        body=body,
        body_messages=tuple(body_messages),
        actor=actor,
        occurred_at=occurred_at,
        data=data or {},
        dedupe_key=dedupe_key,
    )
    try:
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
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
    title: str = ""
    message: Message | None = None
    body: str = ""
    body_messages: tuple[Message, ...] = ()
    actor: AnyUser | None = None
    occurred_at: datetime | None = None
    data: dict[str, Any] = field(default_factory=dict)
    dedupe_key: str | None = None


def _system_entry(draft: TimelineDraft, *, now: datetime) -> TimelineEntry:
    """The (unsaved) row of one system entry: never a touchpoint, an actor only if a person.

    Call it inside ``translation.override(settings.LANGUAGE_CODE)``: a title or body left
    empty is the message rendered there (the fallback stored with the key)."""
    key, params = message_fields(draft.message)
    title = draft.title or (draft.message.render() if draft.message is not None else "")
    body = draft.body or lines_render(draft.body_messages)
    return TimelineEntry(
        account=draft.account,
        is_touchpoint=False,
        kind=draft.kind,
        title=str(title)[:300],
        message_key=key,
        message_params=params,
        body=body,
        body_messages=message_lines(draft.body_messages),
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
    with translation.override(settings.LANGUAGE_CODE):
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
