"""A rule's conditions: a small JSON list over account facts, validated and compiled to SQL.

A condition is ``{"field": "health_colour", "op": "eq", "value": "red"}``; a rule matches
an account when every condition does. Each field compiles to a ``Q`` on the account
(annotated by the owning app's selector where it needs one: ``health.selectors.with_health``,
``renewals.selectors.with_next_renewal``), so a rule is evaluated as one query over all the
accounts, never account by account.

"Days" fields compare dates, not durations: ``days_to_renewal ≤ 120`` is
``next_renewal_date ≤ today + 120``, which an index can answer and which is exact in the
deployment's calendar.

Hook for saved segments (built in ``accounts``): a field ``saved_segment`` would compile to
``pk__in=<the segment's members queryset>``, and a deleted segment raises
``BrokenReference`` like a segment band that no longer exists does today.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, AccountStatus, IcpFit, TimelineEntry
from accounts.segments import Segment, arr_range_for_segment, segment_bands
from core.clock import local_day_start
from health.models import Colour
from health.selectors import with_health
from org.industries import Industry
from renewals.selectors import with_next_renewal

from ..models import OPEN_STATUSES, Stage, Task

MAX_CONDITIONS = 10
MAX_NUMBER = Decimal("1000000000000")

OPS: dict[str, Any] = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "lte": "≤",
    "gt": ">",
    "gte": "≥",
    "in": _("is one of"),
}
NUMBER_OPS = ("lt", "lte", "gt", "gte", "eq")
CHOICE_OPS = ("eq", "ne", "in")
# days since D ≥ N  ⇔  D ≤ today − N: the comparison flips when the day is in the past.
FLIPPED = {"lt": "gt", "lte": "gte", "gt": "lt", "gte": "lte", "eq": "eq"}


class BrokenReference(ValidationError):
    """A stored condition names something that no longer exists (a field, a segment …)."""


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: Any
    kind: str  # "number" | "choice"
    choices: Callable[[], list[tuple[str, Any]]] | None = None
    minimum: int = 0
    maximum: Decimal = MAX_NUMBER

    @property
    def ops(self) -> tuple[str, ...]:
        return NUMBER_OPS if self.kind == "number" else CHOICE_OPS


def _live_segments() -> list[tuple[str, Any]]:
    """Segments the current bands still have (a band removed in settings breaks a rule)."""
    labels = dict(Segment.choices)
    return [(key, labels.get(key, key)) for key, _lower in segment_bands()]


FIELDS: dict[str, FieldSpec] = {
    spec.key: spec
    for spec in (
        FieldSpec("arr", _("ARR"), "number"),
        FieldSpec("segment", _("Segment"), "choice", _live_segments),
        FieldSpec("industry", _("Industry"), "choice", lambda: list(Industry.choices)),
        FieldSpec("icp_fit", _("ICP fit"), "choice", lambda: list(IcpFit.choices)),
        FieldSpec("status", _("Status"), "choice", lambda: list(AccountStatus.choices)),
        FieldSpec("stage", _("Lifecycle stage"), "choice", lambda: list(Stage.choices)),
        FieldSpec("health_score", _("Health score"), "number", maximum=Decimal(100)),
        FieldSpec("health_colour", _("Health colour"), "choice", lambda: list(Colour.choices)),
        FieldSpec("days_to_renewal", _("Days to renewal"), "number", minimum=-3650, maximum=Decimal(3650)),
        FieldSpec("days_since_go_live", _("Days since go-live"), "number", maximum=Decimal(36500)),
        FieldSpec("last_touch_days", _("Days since the last touch"), "number", maximum=Decimal(36500)),
        FieldSpec("open_tasks", _("Open tasks"), "number", maximum=Decimal(100000)),
    )
}


def field_choices() -> list[tuple[str, Any]]:
    return [(spec.key, spec.label) for spec in FIELDS.values()]


def _number(raw: Any, spec: FieldSpec) -> str:
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({"value": gettext("Enter a number.")}) from None
    if not value.is_finite() or value < spec.minimum or value > spec.maximum:
        raise ValidationError(
            {"value": gettext("Enter a number from %(low)s to %(high)s.") % {"low": spec.minimum, "high": spec.maximum}}
        )
    if spec.key != "arr" and value != value.to_integral_value():
        raise ValidationError({"value": gettext("Enter a whole number.")})
    return format(value.normalize(), "f") if spec.key == "arr" else str(int(value))


def validate_condition(raw: Any, *, broken: type[ValidationError] = ValidationError) -> dict[str, Any]:
    """One condition, normalised (``{"field", "op", "value"}``); errors are keyed by the
    part that is wrong. ``broken`` is raised for names that do not exist (any more)."""
    if not isinstance(raw, dict):
        raise ValidationError({"field": gettext("A condition is an object with a field, an operator and a value.")})
    spec = FIELDS.get(str(raw.get("field", "")))
    if spec is None:
        raise broken({"field": gettext("Unknown field “%(field)s”.") % {"field": str(raw.get("field", ""))[:50]}})
    op = str(raw.get("op", ""))
    if op not in spec.ops:
        raise ValidationError({"op": gettext("Choose an operator this field allows.")})
    value = raw.get("value")
    if spec.kind == "number":
        return {"field": spec.key, "op": op, "value": _number(value, spec)}
    allowed = {key for key, _label in (spec.choices or list)()}
    values = value if isinstance(value, list) else [value]
    values = [str(v).strip() for v in values if str(v).strip()]
    if not values or (op != "in" and len(values) != 1):
        raise ValidationError(
            {"value": gettext("Choose a value.") if op != "in" else gettext("Choose one or more values.")}
        )
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise broken(
            {
                "value": gettext("“%(value)s” is not a %(field)s any more.")
                % {"value": unknown[0][:50], "field": spec.label}
            }
        )
    return {"field": spec.key, "op": op, "value": values if op == "in" else values[0]}


def validate_conditions(raw: Any, *, broken: type[ValidationError] = ValidationError) -> list[dict[str, Any]]:
    """The whole list; an error says which condition (1-based) and what is wrong with it."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationError({"conditions": gettext("Conditions are a list.")})
    if len(raw) > MAX_CONDITIONS:
        raise ValidationError({"conditions": gettext("At most %(n)d conditions.") % {"n": MAX_CONDITIONS}})
    cleaned = []
    for number, item in enumerate(raw, start=1):
        try:
            cleaned.append(validate_condition(item, broken=broken))
        except ValidationError as error:
            text = "; ".join(m for ms in error.message_dict.values() for m in ms)
            raise (broken if isinstance(error, BrokenReference) else ValidationError)(
                {"conditions": gettext("Condition %(n)d: %(error)s") % {"n": number, "error": text}}
            ) from None
    return cleaned


def condition_text(condition: dict[str, Any]) -> str:
    """A stored condition in the reader's language: "Health colour = Red"."""
    spec = FIELDS.get(condition.get("field", ""))
    if spec is None:
        return str(condition.get("field", "?"))
    value = condition.get("value")
    if spec.kind == "choice":
        labels = dict((spec.choices or list)())
        values = value if isinstance(value, list) else [value]
        value = ", ".join(str(labels.get(v, v)) for v in values)
    return f"{spec.label} {OPS.get(condition.get('op', ''), '?')} {value}"


def conditions_summary(conditions: list[dict[str, Any]]) -> str:
    return gettext(" and ").join(condition_text(c) for c in conditions or [])


def _compare(field: str, op: str, value: Any) -> Q:
    if op == "ne":
        return ~Q(**{field: value})
    if op == "in":
        return Q(**{f"{field}__in": value})
    return Q(**{field if op == "eq" else f"{field}__{op}": value})


def _segment_q(segment: str) -> Q:
    lower, upper = arr_range_for_segment(segment)
    band = Q()
    if lower is not None:
        band &= Q(arr__gte=lower)
    if upper is not None:
        band &= Q(arr__lt=upper)
    return band


def _last_touch_q(op: str, days: int, today: date) -> Q:
    """Days since the last touch, on the annotated ``rule_last_touch_at``; never touched
    counts as longer ago than any number."""
    since = "rule_last_touch_at"
    start = local_day_start(today - timedelta(days=days))  # the day N days ago begins
    next_start = local_day_start(today - timedelta(days=days - 1))
    never = Q(**{f"{since}__isnull": True})
    parts = {
        "gte": Q(**{f"{since}__lt": next_start}) | never,
        "gt": Q(**{f"{since}__lt": start}) | never,
        "lte": Q(**{f"{since}__gte": start}),
        "lt": Q(**{f"{since}__gte": next_start}),
        "eq": Q(**{f"{since}__gte": start, f"{since}__lt": next_start}),
    }
    return parts[op]


def condition_q(condition: dict[str, Any], *, today: date) -> Q:
    field, op, value = condition["field"], condition["op"], condition["value"]
    if field == "segment":
        values = value if isinstance(value, list) else [value]
        q = Q(pk__in=[])
        for segment in values:
            q |= _segment_q(segment)
        return ~q if op == "ne" else q
    if field in ("industry", "icp_fit", "status"):
        return _compare(field, op, value)
    if field == "stage":
        return _compare("lifecycle__stage", op, value)
    if field == "health_colour":
        return _compare("health_colour", op, value)
    if field == "arr":
        return _compare("arr", op, Decimal(value))
    if field == "health_score":
        return _compare("health_score", op, int(value))
    if field == "open_tasks":
        return _compare("rule_open_tasks", op, int(value))
    days = int(value)
    if field == "days_to_renewal":
        return _compare("next_renewal_date", op, today + timedelta(days=days))
    if field == "days_since_go_live":
        return _compare("go_live_date", FLIPPED[op], today - timedelta(days=days))
    if field == "last_touch_days":
        return _last_touch_q(op, days, today)
    raise BrokenReference({"field": gettext("Unknown field “%(field)s”.") % {"field": field}})


def _annotate(accounts: QuerySet[Account], fields: set[str], *, today: date) -> QuerySet[Account]:
    """Only the annotations the conditions use: each is a subquery paid on every row."""
    if fields & {"health_score", "health_colour"}:
        accounts = with_health(accounts, today=today)
    if "days_to_renewal" in fields:
        accounts = with_next_renewal(accounts)
    if "last_touch_days" in fields:
        last = TimelineEntry.objects.filter(account=OuterRef("pk"), is_touchpoint=True).order_by("-occurred_at")
        accounts = accounts.annotate(rule_last_touch_at=Subquery(last.values("occurred_at")[:1]))
    if "open_tasks" in fields:
        open_tasks = (
            Task.objects.filter(account=OuterRef("pk"), status__in=OPEN_STATUSES)
            .order_by()
            .values("account")
            .annotate(n=Count("pk"))
            .values("n")
        )
        accounts = accounts.annotate(
            rule_open_tasks=Coalesce(Subquery(open_tasks, output_field=IntegerField()), Value(0))
        )
    return accounts


def filter_accounts(accounts: QuerySet[Account], conditions: list[dict[str, Any]], *, today: date) -> QuerySet[Account]:
    """``accounts`` narrowed to those matching every condition (stored conditions are
    re-validated: one that names something gone raises ``BrokenReference``)."""
    try:
        conditions = validate_conditions(conditions, broken=BrokenReference)
    except BrokenReference:
        raise
    except ValidationError as error:  # stored junk (an admin's edit): as broken as a gone name
        raise BrokenReference(error.message_dict if hasattr(error, "error_dict") else error.messages) from None
    accounts = _annotate(accounts, {c["field"] for c in conditions}, today=today)
    q = Q()
    for condition in conditions:
        q &= condition_q(condition, today=today)
    return accounts.filter(q)
