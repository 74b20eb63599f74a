"""Contact cadence: how often each stakeholder should be contacted (domain.md §2).

Rules live in ``ContactCadence`` (admin-editable): one default per tier, optionally
overridden per customer segment. The resolution is done twice from the same rules —
in Python for one stakeholder and as a SQL ``CASE`` for lists — so a list of any size
costs one query, never one per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import (
    Case,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from core.clock import local_day_start

from .models import AccountStatus, ContactCadence, Stakeholder, Tier, TimelineEntry
from .segments import arr_range_for_segment, segment_bands

Rules = dict[tuple[str, str], int]  # (tier, segment or "") -> days


def cadence_rules() -> Rules:
    """Every rule, tier defaults under segment ``""``.

    A tier without a stored default falls back to ``HOURGLASS_CONTACT_CADENCE_DAYS``
    (the values the table was seeded from), so deleting a row never silently stops
    the reminders for a whole tier.
    """
    rules: Rules = {(tier, ""): int(days) for tier, days in settings.HOURGLASS_CONTACT_CADENCE_DAYS.items()}
    rules.update(
        {(tier, segment): days for tier, segment, days in ContactCadence.objects.values_list("tier", "segment", "days")}
    )
    return rules


def cadence_days_for(*, tier: str, segment: str, rules: Rules | None = None) -> int:
    """Days between contacts for a stakeholder of ``tier`` at an account of ``segment``."""
    rules = cadence_rules() if rules is None else rules
    if (tier, segment) in rules:
        return rules[(tier, segment)]
    return rules.get((tier, ""), 0)


def tier_cadence(*, segment: str = "", rules: Rules | None = None) -> dict[str, int]:
    """``{tier: days}`` for one segment (blank: the defaults)."""
    rules = cadence_rules() if rules is None else rules
    return {tier: cadence_days_for(tier=tier, segment=segment, rules=rules) for tier in Tier.values}


def cadence_case(rules: Rules, prefix: str = "account__") -> Case:
    """SQL: the cadence (days) of each stakeholder row, segment override first."""
    known_segments = {key for key, _lower in segment_bands()}
    whens: list[When] = []
    for (tier, segment), days in sorted(rules.items()):
        if not segment or segment not in known_segments:
            continue
        lower, upper = arr_range_for_segment(segment)
        condition = Q(tier=tier)
        if lower is not None:
            condition &= Q(**{f"{prefix}arr__gte": lower})
        if upper is not None:
            condition &= Q(**{f"{prefix}arr__lt": upper})
        whens.append(When(condition, then=Value(days)))
    whens += [When(tier=tier, then=Value(days)) for (tier, segment), days in sorted(rules.items()) if not segment]
    return Case(*whens, default=Value(0), output_field=IntegerField())


def _delta_case(rules: Rules) -> Case:
    """The same resolution as a duration, so the due moment is one SQL addition."""
    cases = [
        When(cadence_days=days, then=Value(timedelta(days=days)))
        for days in sorted({days for days in rules.values() if days})
    ]
    return Case(*cases, default=Value(None), output_field=DurationField())


def with_contact_status(stakeholders: QuerySet[Stakeholder], rules: Rules | None = None) -> QuerySet[Stakeholder]:
    """Annotate ``last_contact`` (latest touchpoint involving them), ``cadence_days`` and
    ``next_due_at`` (``last_contact`` + cadence; NULL when never contacted)."""
    rules = cadence_rules() if rules is None else rules
    last_touch = TimelineEntry.objects.filter(stakeholders=OuterRef("pk"), is_touchpoint=True).order_by("-occurred_at")
    return stakeholders.annotate(
        last_contact=Subquery(last_touch.values("occurred_at")[:1]),
        cadence_days=cadence_case(rules),
    ).annotate(
        cadence_delta=_delta_case(rules),
        next_due_at=ExpressionWrapper(F("last_contact") + F("cadence_delta"), output_field=DateTimeField()),
    )


def overdue_q(today: date) -> Q:
    """Over ``with_contact_status`` rows: overdue when ``last contact (local date) +
    cadence < today`` — i.e. due before today's local midnight — or never contacted.
    A churned customer's people are owed no touch."""
    return (
        Q(is_active=True, cadence_days__gt=0)
        & ~Q(account__status=AccountStatus.CHURNED)
        & (Q(last_contact__isnull=True) | Q(next_due_at__lt=local_day_start(today)))
    )


def overdue_stakeholders(*, stakeholders: QuerySet[Stakeholder], today: date) -> QuerySet[Stakeholder]:
    return with_contact_status(stakeholders).filter(overdue_q(today))


@dataclass(frozen=True)
class ContactStatus:
    last_contact: date | None
    next_due: date | None
    cadence_days: int
    overdue: bool
    days_overdue: int | None  # None: never contacted


def contact_status(person: Stakeholder, today: date) -> ContactStatus:
    """Read the annotations of ``with_contact_status`` as local dates (no query)."""
    last_at = getattr(person, "last_contact", None)
    days = int(getattr(person, "cadence_days", 0) or 0)
    last = timezone.localdate(last_at) if last_at else None
    next_due = last + timedelta(days=days) if (last and days) else None
    overdue = bool(days) and person.is_active and (next_due is None or next_due < today)
    days_overdue = (today - next_due).days if (overdue and next_due) else None
    return ContactStatus(last, next_due, days, overdue, days_overdue)
