"""Which accounts a rule matches: for the sweep, for firing, for the preview and the dry run.

Everything here is a read (one query per rule and day), except ``rule_disable_broken``,
which the sweep and firing call when a stored condition names something that is gone:
the rule is switched off with the reason shown on its page, and the sweep carries on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet, Window
from django.utils.translation import gettext, ngettext

from accounts.models import Account, TimelineEntry
from accounts.selectors import account_scope
from core.clock import local_day_start
from core.pg_tuning import aggregate_report
from core.types import AnyUser

from ..models import OPEN_STATUSES, STAGE_TRIGGERS, Playbook, Task, TriggerKind, accounts_q
from .conditions import BrokenReference, filter_accounts

PREVIEW_ROWS = 20
DRY_RUN_DAYS = 30
STAGE_OF_TRIGGER = {trigger: stage for stage, trigger in STAGE_TRIGGERS.items()}


def rule_accounts(playbook: Playbook, *, today: date, accounts: QuerySet[Account] | None = None) -> QuerySet[Account]:
    """The accounts (of ``accounts``, default all) the rule applies to on ``today``: its
    segments / ARR band and its conditions. Raises ``BrokenReference``."""
    from ..services import _applies_q  # the same band filter the report sweep uses

    base = Account.objects.all() if accounts is None else accounts
    if playbook.segments or playbook.arr_min is not None or playbook.arr_max is not None:
        base = base.filter(_applies_q([playbook]))
    return filter_accounts(base, playbook.conditions or [], today=today)


def is_due(playbook: Playbook, day: date) -> bool:
    return playbook.schedule_weekday is None or day.weekday() == playbook.schedule_weekday


def period_start(playbook: Playbook, day: date) -> date:
    if playbook.schedule_weekday is None:
        return day
    return day - timedelta(days=(day.weekday() - playbook.schedule_weekday) % 7)


def episode_key(playbook: Playbook, day: date) -> str:
    """One firing per rule, account and schedule period (the day, or the ISO week)."""
    if playbook.schedule_weekday is None:
        return f"rule:{playbook.pk}:{day.isoformat()}"
    year, week, _weekday = day.isocalendar()
    return f"rule:{playbook.pk}:{year}-W{week:02d}"


def not_fired(accounts: QuerySet[Account], playbook: Playbook, episode: str) -> QuerySet[Account]:
    """Without the accounts that already have this period's tasks, or still have open
    tasks from an earlier firing of the rule (a daily rule does not pile up copies)."""
    mine = Task.objects.filter(account=OuterRef("pk"), playbook=playbook)
    return accounts.exclude(Exists(mine.filter(episode_key=episode))).exclude(
        Exists(mine.filter(status__in=OPEN_STATUSES))
    )


def rule_disable_broken(*, playbook: Playbook, error: BrokenReference) -> None:
    """Switch a rule off with the reason its page shows (audited like any edit)."""
    reason = "; ".join(m for ms in error.message_dict.values() for m in ms)[:300]
    playbook.active = False
    playbook.disabled_reason = reason
    playbook._change_reason = "disabled: broken condition"  # type: ignore[attr-defined]
    playbook.save(update_fields=["active", "disabled_reason", "updated_at"])


def matching_account_ids(
    playbooks: Iterable[Playbook], account_ids: Iterable[int], *, today: date
) -> dict[int, set[int]]:
    """For the playbooks with conditions: playbook id → the given accounts it matches (one
    query each). A broken rule is switched off and matches nothing."""
    ids = list(account_ids)
    matches: dict[int, set[int]] = {}
    for playbook in playbooks:
        if not playbook.conditions:
            continue
        try:
            found = rule_accounts(playbook, today=today, accounts=Account.objects.filter(accounts_q(ids)))
            matches[playbook.pk] = set(found.values_list("pk", flat=True))
        except BrokenReference as error:
            rule_disable_broken(playbook=playbook, error=error)
            matches[playbook.pk] = set()
    return matches


@dataclass
class Preview:
    count: int
    accounts: list[Account]
    error: str = ""


def rule_preview(playbook: Playbook, *, user: AnyUser, today: date) -> Preview:
    """The preview, "this rule would fire now for N accounts": the viewer's accounts that
    match, the first ``PREVIEW_ROWS`` by name. One query; writes nothing."""
    try:
        matching = rule_accounts(playbook, today=today, accounts=account_scope(user=user))
    except BrokenReference as error:
        return Preview(0, [], "; ".join(m for ms in error.message_dict.values() for m in ms))
    # One scan: the total rides on each row (COUNT(*) OVER ()), so the page is not
    # paid for twice (a count, then the first rows by name).
    ordered = matching.annotate(rule_total=Window(Count("pk"))).select_related("owner").order_by("name", "pk")
    with aggregate_report():  # JIT off: compiling the subplans costs more than running them
        rows = list(ordered[:PREVIEW_ROWS])
    return Preview(rows[0].rule_total if rows else 0, list[Account](rows))


@dataclass
class DryRun:
    supported: bool
    tasks: int = 0
    accounts: int = 0
    firings: int = 0
    days: int = DRY_RUN_DAYS
    error: str = ""
    per_day: list[tuple[date, int]] = field(default_factory=list)


def _stage_days(stage: str, scope: QuerySet[Account], since: date) -> dict[date, set[int]]:
    """The accounts that entered ``stage`` on each day since ``since`` (stage history)."""
    entries = TimelineEntry.objects.filter(
        kind="stage_changed", occurred_at__gte=local_day_start(since), data__stage=stage, account__in=scope
    ).values_list("account_id", "data__entered_on")
    days: dict[date, set[int]] = {}
    for account_id, entered_on in entries:
        days.setdefault(date.fromisoformat(str(entered_on)), set()).add(account_id)
    return days


def rule_dry_run(playbook: Playbook, *, user: AnyUser, today: date, days: int = DRY_RUN_DAYS) -> DryRun:
    """The dry run, "would have created 412 tasks for 96 accounts", over the last ``days``
    days, for the viewer's accounts; writes nothing.

    Stage rules: every stage entry in the timeline, with the conditions as of that day.
    Scheduled rules: every run day, with the conditions as of that day; an account fires
    once (its tasks are assumed still open on the later runs, as the sweep would skip it).
    """
    with aggregate_report():  # JIT off, as for the preview
        return _dry_run(playbook, user=user, today=today, days=days)


def _dry_run(playbook: Playbook, *, user: AnyUser, today: date, days: int) -> DryRun:
    steps = playbook.steps.count()
    scope = account_scope(user=user)
    since = today - timedelta(days=days - 1)
    result = DryRun(supported=True, days=days)
    firings: set[tuple[int, date]] = set()
    try:
        if playbook.trigger in STAGE_OF_TRIGGER:
            for day, ids in sorted(_stage_days(STAGE_OF_TRIGGER[playbook.trigger], scope, since).items()):
                found = set(
                    rule_accounts(playbook, today=day, accounts=scope.filter(pk__in=ids)).values_list("pk", flat=True)
                )
                firings |= {(pk, day) for pk in found}
                result.per_day.append((day, len(found)))
        elif playbook.trigger == TriggerKind.SCHEDULE:
            seen: set[int] = set()
            for offset in range(days):
                day = since + timedelta(days=offset)
                if not is_due(playbook, day):
                    continue
                found = set(rule_accounts(playbook, today=day, accounts=scope).values_list("pk", flat=True)) - seen
                seen |= found
                firings |= {(pk, day) for pk in found}
                result.per_day.append((day, len(found)))
        else:
            return DryRun(supported=False, days=days)
    except BrokenReference as error:
        return DryRun(supported=True, days=days, error="; ".join(m for ms in error.message_dict.values() for m in ms))
    result.firings = len(firings)
    result.accounts = len({pk for pk, _day in firings})
    result.tasks = result.firings * steps
    return result


def dry_run_sentence(run: DryRun) -> str:
    if not run.supported:
        return gettext("A dry run covers stage and scheduled rules; this trigger comes from signals.")
    sentence = ngettext(
        "Over the last %(days)d days it would have created %(tasks)d tasks for %(accounts)d account.",
        "Over the last %(days)d days it would have created %(tasks)d tasks for %(accounts)d accounts.",
        run.accounts,
    )
    return sentence % {
        "days": run.days,
        "tasks": run.tasks,
        "accounts": run.accounts,
    }


def as_dict(run: DryRun) -> dict[str, Any]:
    return {
        "supported": run.supported,
        "days": run.days,
        "tasks": run.tasks,
        "accounts": run.accounts,
        "firings": run.firings,
        "error": run.error,
    }
