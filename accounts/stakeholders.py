"""Writes for stakeholders: create, update, mark as left (a decision-chain risk) and undo it."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.messages import Message, choice, message, message_fields
from core.people import person_or_none
from core.types import AnyUser

from .confirm import reason_clean
from .dossier import dossier_rescore
from .models import Account, RiskFlag, RiskKind, Stakeholder, TimelineEntry
from .signals import risk_flag_raised, stakeholder_left, stakeholder_left_undone
from .timeline import timeline_record

STAKEHOLDER_FIELDS = (
    "name", "title", "department", "email", "phone", "tier", "key_level", "relationship",
    "demands", "personality", "work_goals", "reports_to",
)  # fmt: skip


def _check_reports_to(stakeholder: Stakeholder) -> None:
    boss = stakeholder.reports_to
    if boss is None:
        return
    if boss.account_id != stakeholder.account_id:
        raise ValidationError({"reports_to": _("The manager must work at the same customer.")})
    seen = {stakeholder.pk}
    while boss is not None:
        if boss.pk in seen:
            raise ValidationError({"reports_to": _("This would make a reporting loop.")})
        seen.add(boss.pk)
        boss = boss.reports_to


def _save(stakeholder: Stakeholder, actor: AnyUser) -> Stakeholder:
    _check_reports_to(stakeholder)
    stakeholder.full_clean()
    stakeholder._history_user = person_or_none(actor)  # type: ignore[attr-defined]
    stakeholder.save()
    # Key people are a dossier section: their notes move the completeness score.
    dossier_rescore(account_ids=[stakeholder.account_id])
    return stakeholder


@transaction.atomic
def stakeholder_create(*, actor: AnyUser, account: Account, **fields: Any) -> Stakeholder:
    unknown = set(fields) - set(STAKEHOLDER_FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    return _save(Stakeholder(account=account, **fields), actor)


@transaction.atomic
def stakeholder_update(*, actor: AnyUser, stakeholder: Stakeholder, **changes: Any) -> Stakeholder:
    unknown = set(changes) - set(STAKEHOLDER_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in sorted(unknown)})
    for name, value in changes.items():
        setattr(stakeholder, name, value)
    return _save(stakeholder, actor)


def risk_flag_raise(
    *,
    account: Account,
    kind: str,
    reason: str = "",
    reason_message: Message | None = None,
    actor: AnyUser | None = None,
    dedupe_key: str | None = None,
) -> RiskFlag | None:
    """Raise a flag once per ``dedupe_key``; None when it was already raised.

    A reason the system writes goes in as ``reason_message`` (read in each reader's
    language); ``reason`` defaults to it in the deployment's language."""
    key, params = message_fields(reason_message)
    if not reason and reason_message is not None:
        with translation.override(settings.LANGUAGE_CODE):
            reason = reason_message.render()
    try:
        with transaction.atomic():
            flag = RiskFlag.objects.create(
                account=account,
                kind=kind,
                reason=reason,
                reason_key=key,
                reason_params=params,
                raised_by=person_or_none(actor),
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: risk_flag_raised.send(sender=RiskFlag, flag=flag, account=account))
    return flag


@transaction.atomic
def risk_flag_resolve(*, flag: RiskFlag, actor: AnyUser, resolution: str = "") -> RiskFlag:
    if flag.resolved_at is None:
        flag.resolved_at = timezone.now()
        flag.resolved_by = person_or_none(actor)
        flag.resolution = resolution
        flag.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    return flag


def _left_entry_key(stakeholder: Stakeholder, left_on: date) -> str:
    return f"stakeholder-left:{stakeholder.pk}:{left_on.isoformat()}"


def _left_flag_key(stakeholder: Stakeholder) -> str:
    return f"stakeholder-left:{stakeholder.pk}"


@transaction.atomic
def stakeholder_mark_left(
    *, actor: AnyUser, stakeholder: Stakeholder, left_on: date | None = None, reason: str = ""
) -> Stakeholder:
    """Record that a stakeholder left the customer, and why (``reason``: the timeline
    entry's body; the page and the API require it, ``reason_clean`` bounds it).

    A level-1 decision maker or S-tier person leaving changes the decision chain — a
    renewal risk (seed 004's self-check): the account gets a risk flag and playbooks
    hear about it through ``stakeholder_left``.
    """
    reason = reason_clean(reason, required=False)
    stakeholder = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    if not stakeholder.is_active:
        return stakeholder  # already recorded; repeating the action changes nothing
    left_on = left_on or timezone.localdate()
    stakeholder.is_active = False
    stakeholder.left_on = left_on
    _save(stakeholder, actor)
    account = stakeholder.account
    is_key = stakeholder.is_key_decision_maker
    timeline_record(
        account=account,
        kind="stakeholder_left",
        message=message(gettext_noop("%(name)s (%(tier)s) left"), name=stakeholder.name, tier=stakeholder.tier),
        body=reason or stakeholder.title,
        actor=actor,
        data={
            "stakeholder_id": stakeholder.pk,
            "tier": stakeholder.tier,
            "key_level": stakeholder.key_level,
            "reason": reason,
        },
        dedupe_key=_left_entry_key(stakeholder, left_on),
    )
    if is_key:
        risk_flag_raise(
            account=account,
            kind=RiskKind.DECISION_CHAIN_CHANGED,
            reason_message=message(
                gettext_noop("%(name)s, %(title)s, left the customer."),
                name=stakeholder.name,
                title=stakeholder.title or choice(Stakeholder, "tier", stakeholder.tier),
            ),
            actor=actor,
            dedupe_key=_left_flag_key(stakeholder),
        )
    transaction.on_commit(
        lambda: stakeholder_left.send(
            sender=Stakeholder, stakeholder=stakeholder, account=account, is_key=is_key, actor=actor
        )
    )
    return stakeholder


@transaction.atomic
def stakeholder_undo_left(*, actor: AnyUser, stakeholder: Stakeholder) -> Stakeholder:
    """Take back "mark as left": the person is active again, the decision-chain flag the
    departure raised is resolved, and the timeline says so.

    The departure's own timeline entry stays (history is not rewritten), and so do the
    tasks its playbook created: they may still be worth doing (a check-in with the
    customer) and only the CSM can tell, so the undo's entry says they stay open. The
    dedupe keys of that departure are released, so a real departure later is recorded
    and flagged again; playbooks keep one episode per person, so it creates no second
    set of tasks.
    """
    stakeholder = Stakeholder.objects.select_for_update().get(pk=stakeholder.pk)
    if stakeholder.is_active:
        return stakeholder  # nothing to undo (already undone, or never marked)
    if stakeholder.erased_at is not None:
        raise ValidationError({"stakeholder": _("This contact's personal data was erased; add them again instead.")})
    left_on = stakeholder.left_on
    stakeholder.is_active, stakeholder.left_on = True, None
    _save(stakeholder, actor)
    account = stakeholder.account
    flag = RiskFlag.objects.select_for_update().filter(dedupe_key=_left_flag_key(stakeholder)).first()
    notes = []
    if flag is not None:
        if flag.resolved_at is None:
            with translation.override(settings.LANGUAGE_CODE):
                resolution = _("The departure was undone.")
            risk_flag_resolve(flag=flag, actor=actor, resolution=resolution)
            notes.append(message(gettext_noop("The decision-chain risk flag it raised is resolved.")))
        RiskFlag.objects.filter(pk=flag.pk).update(dedupe_key=None)
    if stakeholder.is_key_decision_maker:
        notes.append(message(gettext_noop("Tasks created for the departure stay open: close those no longer needed.")))
    if left_on is not None:
        TimelineEntry.objects.filter(dedupe_key=_left_entry_key(stakeholder, left_on)).update(dedupe_key=None)
    timeline_record(
        account=account,
        kind="stakeholder_left_undone",
        message=message(
            gettext_noop("%(name)s (%(tier)s) is active again: the departure was undone"),
            name=stakeholder.name,
            tier=stakeholder.tier,
        ),
        body_messages=notes,
        actor=actor,
        data={"stakeholder_id": stakeholder.pk, "left_on": left_on.isoformat() if left_on else None},
    )
    transaction.on_commit(
        lambda: stakeholder_left_undone.send(sender=Stakeholder, stakeholder=stakeholder, account=account, actor=actor)
    )
    return stakeholder
