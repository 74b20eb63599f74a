"""Operations settings: the cached reader ``operations_settings()`` and the writes.

The values come from the ``OperationsSettings`` row; a value never saved in the app
reads its environment variable (``HOURGLASS_CURRENCY``, ``HOURGLASS_SEGMENT_BANDS``,
``HOURGLASS_RENEWAL_REMINDER_DAYS``, ``HOURGLASS_ACTIVITY_DROP_*`` …), which is thus
only the seed. Reads are hot (a segment per row of a list), so the row is fetched once
per request or Celery task (one query, the same for 1 row or 1,000) and, outside both,
from the shared cache, which every save clears.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.people import person_or_none
from core.types import AnyUser

from .models import OperationsSettings, Role, SettingsChange, SettingsSection
from .roles import role_of

CACHE_KEY = "org:operations-settings:v1"
CACHE_SECONDS = 300  # a safety net: every save deletes the key
STORED_FIELDS = (
    "currency",
    "segment_bands",
    "renewal_reminder_days",
    "renewal_reminder_overdue_days",
    "activity_drop_share",
    "activity_drop_min_baseline",
    "activity_drop_cooldown_days",
)
# Which stored fields each section of the settings row owns.
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    SettingsSection.CURRENCY: ("currency",),
    SettingsSection.SEGMENTS: ("segment_bands",),
    SettingsSection.REMINDERS: ("renewal_reminder_days", "renewal_reminder_overdue_days"),
    SettingsSection.ACTIVITY_DROP: (
        "activity_drop_share",
        "activity_drop_min_baseline",
        "activity_drop_cooldown_days",
    ),
}
MAX_REMINDER_DAYS = 730
MAX_AMOUNT = Decimal("1e12")


@dataclass(frozen=True)
class OperationsValues:
    """The effective values: the row's, else the environment's."""

    currency: str
    segment_bands: dict[str, Decimal]  # segment -> lower ARR bound (inclusive)
    renewal_reminder_days: list[int]  # as configured, e.g. [90, 60, 30, 7]
    renewal_reminder_overdue_days: int
    activity_drop_share: Decimal
    activity_drop_min_baseline: int
    activity_drop_cooldown_days: int


# --- The read -------------------------------------------------------------------------

# A dict while a request or a task runs (the row, once fetched); None outside both.
_scope: ContextVar[dict[str, Any] | None] = ContextVar("operations_settings_scope", default=None)


_task_tokens: dict[str, Token[dict[str, Any] | None]] = {}


def _request_open(**_kwargs: Any) -> None:
    _scope.set({})


def _request_close(**_kwargs: Any) -> None:
    _scope.set(None)


def _task_open(task_id: str = "", **_kwargs: Any) -> None:
    _task_tokens[task_id] = _scope.set({})


def _task_close(task_id: str = "", **_kwargs: Any) -> None:
    # Restores what was there before: an eager task inside a request keeps its scope.
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            _scope.reset(token)
        except ValueError:  # set in another context: leave no scope behind
            _scope.set(None)


request_started.connect(_request_open, dispatch_uid="operations_settings_request_started")
request_finished.connect(_request_close, dispatch_uid="operations_settings_request_finished")
task_prerun.connect(_task_open, dispatch_uid="operations_settings_task_prerun", weak=False)
task_postrun.connect(_task_close, dispatch_uid="operations_settings_task_postrun", weak=False)


def _load() -> dict[str, Any]:
    return OperationsSettings.objects.filter(pk=1).values(*STORED_FIELDS).first() or {}


def _stored() -> dict[str, Any]:
    scope = _scope.get()
    if scope is not None:
        if "row" not in scope:
            # In a request or task the row is read from the database, not the cache:
            # one query however many values are read, and never a stale copy.
            scope["row"] = _load()
        row: dict[str, Any] = scope["row"]
        return row
    found = cache.get(CACHE_KEY)
    if found is None:
        found = _load()
        cache.set(CACHE_KEY, found, CACHE_SECONDS)
    return dict(found)


def warm_operations_settings_cache() -> None:
    """Put the row in the shared cache (e.g. after the cache was cleared)."""
    cache.set(CACHE_KEY, _load(), CACHE_SECONDS)


def _env_bands() -> dict[str, Decimal]:
    return {key: Decimal(str(value)) for key, value in settings.HOURGLASS_SEGMENT_BANDS.items()}


def operations_settings() -> OperationsValues:
    """The effective operations settings (cheap: see the module docstring)."""
    return _effective(_stored())


def _effective(row: dict[str, Any]) -> OperationsValues:
    def pick(field: str, fallback: Any) -> Any:
        value = row.get(field)
        return fallback if value is None or value == "" else value

    bands = row.get("segment_bands")
    return OperationsValues(
        currency=str(pick("currency", settings.HOURGLASS_CURRENCY)),
        segment_bands=(
            {key: Decimal(str(value)) for key, value in bands.items()} if bands is not None else _env_bands()
        ),
        renewal_reminder_days=[
            int(days) for days in pick("renewal_reminder_days", settings.HOURGLASS_RENEWAL_REMINDER_DAYS)
        ],
        renewal_reminder_overdue_days=int(
            pick("renewal_reminder_overdue_days", settings.HOURGLASS_RENEWAL_REMINDER_OVERDUE_DAYS)
        ),
        activity_drop_share=Decimal(str(pick("activity_drop_share", settings.HOURGLASS_ACTIVITY_DROP_SHARE))),
        activity_drop_min_baseline=int(
            pick("activity_drop_min_baseline", settings.HOURGLASS_ACTIVITY_DROP_MIN_BASELINE)
        ),
        activity_drop_cooldown_days=int(
            pick("activity_drop_cooldown_days", settings.HOURGLASS_ACTIVITY_DROP_COOLDOWN_DAYS)
        ),
    )


def deployment_currency() -> str:
    return operations_settings().currency


def operations_settings_invalidate() -> None:
    """Forget the cached row here and for every process (the shared cache)."""
    scope = _scope.get()
    if scope is not None:
        scope.clear()
    cache.delete(CACHE_KEY)


# --- Validation ------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def validate_segment_bands(bands: Sequence[tuple[str, Any]]) -> dict[str, Decimal]:
    """``(segment, lower bound)`` pairs from the lowest segment up → the stored mapping.

    Each bound must be a non-negative amount above the one of the segment below it, so
    every segment can be reached. Errors are keyed ``segment_bands.<segment>``.
    """
    errors: dict[str, str] = {}
    clean: dict[str, Decimal] = {}
    previous: Decimal | None = None
    for segment, raw in bands:
        key = f"segment_bands.{segment}"
        amount = _decimal(raw)
        if amount is None:
            errors[key] = _("Enter an amount.")
            continue
        if amount < 0:
            errors[key] = _("An ARR bound cannot be negative.")
        elif amount > MAX_AMOUNT:
            errors[key] = _("This amount is too large.")
        elif previous is not None and amount <= previous:
            errors[key] = _("Bands must be increasing: this bound must be above %(lower)s (the segment below).") % {
                "lower": f"{previous:,.0f}"
            }
        clean[segment] = amount.quantize(Decimal("0.01"))
        previous = amount
    if not bands:
        errors["segment_bands"] = _("Give at least one segment band.")
    if errors:
        raise ValidationError(errors)
    return clean


def validate_reminder_days(value: Any) -> list[int]:
    """``"90, 60, 30, 7"`` or a list → distinct positive integers, largest first."""
    items = [item.strip() for item in value.split(",")] if isinstance(value, str) else list(value or [])
    items = [item for item in items if item != ""]
    days: set[int] = set()
    for item in items:
        try:
            if isinstance(item, bool) or (isinstance(item, float) and not item.is_integer()):
                raise ValueError(item)
            number = int(item)
        except (TypeError, ValueError):
            raise ValidationError(
                {"renewal_reminder_days": _("“%(item)s” is not a whole number of days.") % {"item": item}}
            ) from None
        if number < 1 or number > MAX_REMINDER_DAYS:
            raise ValidationError(
                {
                    "renewal_reminder_days": _("Each threshold must be a positive number of days up to %(max)d.")
                    % {"max": MAX_REMINDER_DAYS}
                }
            )
        days.add(number)
    if not days:
        raise ValidationError({"renewal_reminder_days": _("Give at least one threshold, e.g. 90, 60, 30, 7.")})
    return sorted(days, reverse=True)


def _validate(field: str, value: Any) -> Any:
    """One stored field's value, normalised; ``ValidationError`` keyed by the field."""
    if field == "currency":
        code = str(value or "").strip().upper()
        if len(code) != 3 or not code.isalpha() or not code.isascii():
            raise ValidationError({field: _("Enter a three-letter ISO 4217 code, e.g. CNY or USD.")})
        return code
    if field == "renewal_reminder_days":
        return validate_reminder_days(value)
    if field == "activity_drop_share":
        share = _decimal(value)
        if share is None or not Decimal("0.05") <= share <= Decimal("0.95"):
            raise ValidationError({field: _("Enter a share between 0.05 and 0.95 (0.5 = half the usual activity).")})
        return share.quantize(Decimal("0.01"))
    limits = {
        "renewal_reminder_overdue_days": (0, 365),
        "activity_drop_min_baseline": (1, 1_000_000),
        "activity_drop_cooldown_days": (1, 365),
    }
    if field in limits:
        low, high = limits[field]
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise ValidationError({field: _("Enter a whole number.")}) from None
        if not low <= number <= high:
            raise ValidationError({field: _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}})
        return number
    raise ValidationError({field: _("This setting cannot be changed here.")})


# --- Writes ----------------------------------------------------------------------------


def require_settings_admin(actor: AnyUser) -> None:
    if role_of(actor) != Role.ADMIN:
        raise PermissionDenied("only admins change the settings")


def can_view_settings(user: AnyUser) -> bool:
    return role_of(user) in (Role.MANAGER, Role.ADMIN)


def _json(value: Any) -> Any:
    """A value as stored in the change log (amounts as strings, exactly, no trailing zeros)."""
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal(1))) if value == value.to_integral() else f"{value.normalize():f}"
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(item) for item in value]
    return value


def settings_changes_record(
    *, section: str, actor: AnyUser, changes: Iterable[tuple[str, Any, Any]]
) -> list[SettingsChange]:
    """Log ``(key, old, new)`` for the values that really changed (others are skipped)."""
    who = person_or_none(actor)
    rows = [
        SettingsChange(section=section, key=key, old_value=_json(old), new_value=_json(new), changed_by=who)
        for key, old, new in changes
        if _json(old) != _json(new)
    ]
    return SettingsChange.objects.bulk_create(rows) if rows else []


def _changes(field: str, old: Any, new: Any) -> list[tuple[str, Any, Any]]:
    if field == "segment_bands":
        keys = list(dict.fromkeys([*new, *old]))
        return [(f"segment_bands.{key}", _decimal(old[key]) if key in old else None, new.get(key)) for key in keys]
    if isinstance(old, (int, float, str)) and isinstance(new, Decimal):
        old = _decimal(old)  # the environment's float or text, compared as an amount
    return [(field, old, new)]


@transaction.atomic
def operations_settings_update(*, actor: AnyUser, section: str, values: dict[str, Any]) -> list[SettingsChange]:
    """Save the values of one section (admins only); returns the logged changes.

    ``values`` holds the section's fields (``segment_bands`` as ``(segment, bound)``
    pairs from the lowest segment up). Every field of the section is stored once saved,
    so a later change of the environment no longer moves it. Saving the same values
    again changes nothing and logs nothing.
    """
    require_settings_admin(actor)
    fields = SECTION_FIELDS.get(section)
    if fields is None:
        raise ValidationError({"section": _("Unknown settings section.")})
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValidationError({unknown[0]: _("This setting belongs to another section.")})
    errors: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    for field in fields:
        if field not in values:
            errors[field] = _("This field is required.")
            continue
        try:
            clean[field] = (
                validate_segment_bands(values[field]) if field == "segment_bands" else _validate(field, values[field])
            )
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)

    row = OperationsSettings.objects.select_for_update().filter(pk=1).first() or OperationsSettings(pk=1)
    effective = _effective({field: getattr(row, field) for field in STORED_FIELDS})
    changes: list[tuple[str, Any, Any]] = []
    for field, new in clean.items():
        changes += _changes(field, getattr(effective, field), new)
    logged = settings_changes_record(section=section, actor=actor, changes=changes)
    stored_differs = any(_json(getattr(row, field)) != _json(new) for field, new in clean.items())
    if logged or stored_differs:
        for field, new in clean.items():
            setattr(row, field, _json(new) if field == "segment_bands" else new)
        row._history_user = person_or_none(actor)  # type: ignore[attr-defined]
        row.save()
        operations_settings_invalidate()
        transaction.on_commit(operations_settings_invalidate)
    return logged


def settings_changes(*, section: str, limit: int = 200) -> QuerySet[SettingsChange]:
    """The section's change history, newest first, with who changed it (one query)."""
    return (
        SettingsChange.objects.filter(section=section)
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")[:limit]
    )
