"""My day's priority score, computed by the database over the whole book.

score = (1 + days overdue) × (1 + ARR / 100k) × (1 + ½ × open risk flags + health weight)
        × (1 + renewal proximity)

- days overdue: a task's or renewal's date passed by N days; a contact's cadence ran out N
  days ago (never contacted counts as ``NEVER_CONTACTED_DAYS``); 0 for today and this week.
- health weight: red 1, yellow ½, green or no score 0 (the latest score, domain §4).
- renewal proximity: 0 without an undecided renewal; rises from 0 (90 days or more away)
  to 1 (due or lapsed).

Every factor is an annotation (a subquery per account or a date difference), so the top
rows of a group are found with one ``ORDER BY`` and a window function, whatever the size
of the book; ``explain`` turns the same annotations into the reason a row shows on hover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils.translation import gettext, ngettext

from accounts.models import RiskFlag
from core.formatting import CURRENCY_SYMBOLS, deployment_currency
from health.models import Colour, HealthScore
from renewals.models import RenewalOpportunity
from renewals.selectors import UNDECIDED_STATUSES

NEVER_CONTACTED_DAYS = 30
ARR_UNIT = 100_000.0
RENEWAL_HORIZON_DAYS = 90
# A row at or above this score is tinted: e.g. 12 days overdue on a ¥480k red account.
URGENT_SCORE = float(getattr(settings, "HOURGLASS_MY_DAY_URGENT_SCORE", 40))


class DaysSince(Func):
    """Whole days from a date (or timestamp) column to ``today``: positive when it is past."""

    output_field = IntegerField()

    def __init__(self, expression: Any, today: date) -> None:
        super().__init__(expression, Value(today, output_field=DateField()))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        when_sql, when_params = compiler.compile(self.source_expressions[0])
        today_sql, today_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "sqlite":
            sql = f"CAST(julianday({today_sql}) - julianday(date({when_sql})) AS INTEGER)"
        else:
            sql = f"(CAST({today_sql} AS date) - CAST({when_sql} AS date))"
        return sql, [*today_params, *when_params]


def _float(value: float) -> Value:
    return Value(value, output_field=FloatField())


def with_account_factors(rows: QuerySet[Any], *, today: date) -> QuerySet[Any]:
    """Annotate ``p_flags`` (open risk flags), ``p_colour`` (latest health colour) and
    ``p_renewal_date`` (the next undecided renewal) of each row's ``account``."""
    flags = (
        RiskFlag.objects.filter(account=OuterRef("account_id"), resolved_at=None)
        .order_by()
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    colour = (
        HealthScore.objects.filter(account=OuterRef("account_id"), day__lte=today).order_by("-day").values("colour")[:1]
    )
    renewal = (
        RenewalOpportunity.objects.filter(account=OuterRef("account_id"), status__in=UNDECIDED_STATUSES)
        .order_by()
        .values("account")
        .annotate(d=Min("due_date"))
        .values("d")[:1]
    )
    return rows.annotate(
        p_flags=Coalesce(Subquery(flags, output_field=IntegerField()), 0),
        p_colour=Coalesce(Subquery(colour), Value("")),
        p_renewal_date=Subquery(renewal, output_field=DateField()),
    )


def with_score(rows: QuerySet[Any], *, today: date, overdue_days: Any, arr: Any) -> QuerySet[Any]:
    """Annotate ``p_overdue`` (days, ≥ 0), ``p_arr``, ``p_renewal_days`` and ``score`` over
    rows already carrying ``with_account_factors``."""
    rows = rows.annotate(
        p_overdue=Greatest(Coalesce(overdue_days, 0), Value(0)),
        p_arr=Coalesce(arr, Value(Decimal("0"))),
        p_renewal_days=-DaysSince(F("p_renewal_date"), today),
    )
    health = Case(
        When(p_colour=Colour.RED, then=_float(1.0)),
        When(p_colour=Colour.YELLOW, then=_float(0.5)),
        default=_float(0.0),
        output_field=FloatField(),
    )
    proximity = Case(
        When(p_renewal_date__isnull=True, then=_float(0.0)),
        When(p_renewal_date__lte=today, then=_float(1.0)),
        default=(_float(float(RENEWAL_HORIZON_DAYS)) - Greatest(Cast(F("p_renewal_days"), FloatField()), _float(0.0)))
        / _float(float(RENEWAL_HORIZON_DAYS)),
        output_field=FloatField(),
    )
    score = (
        (_float(1.0) + Cast(F("p_overdue"), FloatField()))
        * (_float(1.0) + Cast(F("p_arr"), FloatField()) / _float(ARR_UNIT))
        * (_float(1.0) + Cast(F("p_flags"), FloatField()) * _float(0.5) + health)
        * (_float(1.0) + Greatest(proximity, _float(0.0)))
    )
    return rows.annotate(score=score)


def compact_money(value: Any) -> str:
    """``480000`` → ``¥480k``, ``1250000`` → ``¥1.3M`` (in the deployment's currency)."""
    amount = float(value or 0)
    if amount >= 1_000_000:
        text = f"{amount / 1_000_000:.1f}M"
    elif amount >= 1_000:
        text = f"{amount / 1_000:.0f}k"
    else:
        text = f"{amount:.0f}"
    currency = deployment_currency()
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


@dataclass(frozen=True)
class Priority:
    score: float
    urgent: bool
    reason: str


def explain(row: Any, *, never_contacted: bool = False) -> Priority:
    """The score's factors in words, from the annotations ``with_score`` left on the row:
    "overdue 12 days · ARR ¥480k · red health · renewal in 40 days"."""
    parts: list[str] = []
    days = int(row.p_overdue or 0)
    if never_contacted:
        parts.append(gettext("never contacted"))
    elif days:
        parts.append(ngettext("overdue %(days)d day", "overdue %(days)d days", days) % {"days": days})
    if row.p_arr:
        parts.append(gettext("ARR %(amount)s") % {"amount": compact_money(row.p_arr)})
    if row.p_colour == Colour.RED:
        parts.append(gettext("red health"))
    elif row.p_colour == Colour.YELLOW:
        parts.append(gettext("yellow health"))
    if row.p_flags:
        parts.append(
            ngettext("%(count)d open risk flag", "%(count)d open risk flags", row.p_flags) % {"count": row.p_flags}
        )
    if row.p_renewal_date is not None:
        left = int(row.p_renewal_days)
        if left < 0:
            lapsed = ngettext("renewal lapsed %(days)d day ago", "renewal lapsed %(days)d days ago", -left)
            parts.append(lapsed % {"days": -left})
        elif left == 0:
            parts.append(gettext("renewal due today"))
        elif left <= RENEWAL_HORIZON_DAYS:
            parts.append(ngettext("renewal in %(days)d day", "renewal in %(days)d days", left) % {"days": left})
    score = float(row.score or 0)
    return Priority(score=score, urgent=score >= URGENT_SCORE, reason=" · ".join(parts))
