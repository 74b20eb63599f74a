"""Checking a batch of incoming usage events: every problem of every event, at once.

The API, the import command and any other caller hand in plain dicts (parsed JSON,
NDJSON or CSV rows) and get back either clean ``ValidEvent`` objects or the complete
list of ``{index, field, reason}`` errors, so a sender can fix a whole file in one go.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import AnyUser
from accounts.selectors import account_scope

from .models import (
    CUSTOMER_USER_ID_MAX_LENGTH,
    EVENT_ID_MAX_LENGTH,
    EVENT_NAME_MAX_LENGTH,
    QUANTITY_DECIMAL_PLACES,
    QUANTITY_MAX_DIGITS,
)

FIELDS = frozenset(
    {
        "account_id",
        "account_external_id",
        "occurred_at",
        "event_name",
        "user_id",
        "quantity",
        "properties",
        "event_id",
    }
)
# How far ahead of the server clock an event may claim to be (clock skew, time zones
# mistaken by a day); anything later is a bug on the sender's side.
MAX_FUTURE = timedelta(days=1)
_QUANTITY_LIMIT = Decimal(10) ** (QUANTITY_MAX_DIGITS - QUANTITY_DECIMAL_PLACES)
# Keeps the account lookup's IN (...) lists well under every database's limits.
_LOOKUP_CHUNK = 5000
_MAX_BIGINT = 2**63


class Unparsable(str):
    """Stands in for an input record that could not even be parsed (a bad NDJSON line);
    its text is the reason, reported like any other invalid event."""

    __slots__ = ()


class EventError(TypedDict):
    index: int
    field: str
    reason: str


@dataclass(slots=True)
class ValidEvent:
    index: int
    account_id: int
    occurred_at: datetime
    event_name: str
    customer_user_id: str
    quantity: Decimal
    properties: dict[str, Any]
    event_id: str

    @property
    def key(self) -> tuple[int, str, datetime]:
        """The idempotency key (see ``health.models``); aware datetimes compare by instant."""
        return (self.account_id, self.event_id, self.occurred_at)


@dataclass
class _Checked:
    """One event's fields as far as they could be checked without the database."""

    values: dict[str, Any] = field(default_factory=dict)
    account_ref: tuple[str, Any] | None = None


def _text(value: Any, *, name: str, max_length: int, required: bool, errors: list[tuple[str, str]]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.append((name, _("This field is required.")))
            return None
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        errors.append((name, _("Must be a string.")))
        return None
    text = str(value).strip()
    if len(text) > max_length:
        errors.append((name, _("At most %(n)d characters.") % {"n": max_length}))
        return None
    return text


def _occurred_at(value: Any, *, now: datetime, errors: list[tuple[str, str]]) -> datetime | None:
    if value is None or value == "":
        errors.append(("occurred_at", _("This field is required.")))
        return None
    if not isinstance(value, str):
        errors.append(("occurred_at", _("Must be an ISO 8601 date-time string.")))
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        errors.append(("occurred_at", _("Not an ISO 8601 date-time.")))
        return None
    if timezone.is_naive(parsed):
        # A naive time means a different instant in every time zone: refuse to guess.
        errors.append(("occurred_at", _("The time zone is missing (add Z or an offset such as +08:00).")))
        return None
    if parsed > now + MAX_FUTURE:
        errors.append(("occurred_at", _("More than one day in the future.")))
        return None
    return parsed


def _quantity(value: Any, *, errors: list[tuple[str, str]]) -> Decimal | None:
    if value is None or value == "":
        return Decimal(1)
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        errors.append(("quantity", _("Must be a number.")))
        return None
    if isinstance(value, float) and not math.isfinite(value):
        errors.append(("quantity", _("Must be a finite number.")))
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors.append(("quantity", _("Must be a number.")))
        return None
    if not number.is_finite():
        errors.append(("quantity", _("Must be a finite number.")))
        return None
    if number < 0:
        errors.append(("quantity", _("Must not be negative.")))
        return None
    if number >= _QUANTITY_LIMIT:
        errors.append(("quantity", _("Too large.")))
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -QUANTITY_DECIMAL_PLACES:
        errors.append(("quantity", _("At most %(n)d decimal places.") % {"n": QUANTITY_DECIMAL_PLACES}))
        return None
    return number


def _check_one(raw: Any, *, now: datetime) -> tuple[_Checked, list[tuple[str, str]]]:
    checked = _Checked()
    errors: list[tuple[str, str]] = []
    if isinstance(raw, Unparsable):
        return checked, [("", str(raw))]
    if not isinstance(raw, Mapping):
        return checked, [("", _("Each event must be a JSON object."))]
    errors.extend((str(name), _("Unknown field.")) for name in sorted(set(raw) - FIELDS, key=str))

    has_id = raw.get("account_id") not in (None, "")
    has_external = raw.get("account_external_id") not in (None, "")
    if has_id and has_external:
        errors.append(("account_id", _("Give account_id or account_external_id, not both.")))
    elif has_id:
        value = raw["account_id"]
        try:
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ValueError
            account_pk = int(value)
        except ValueError:
            errors.append(("account_id", _("Must be an integer.")))
        else:
            if 0 < account_pk < _MAX_BIGINT:
                checked.account_ref = ("id", account_pk)
            else:
                errors.append(("account_id", _("No such account, or not one of yours.")))
    elif has_external:
        external = _text(
            raw["account_external_id"], name="account_external_id", max_length=100, required=True, errors=errors
        )
        if external is not None:
            checked.account_ref = ("external_id", external)
    else:
        errors.append(("account_id", _("Give account_id or account_external_id.")))

    checked.values["occurred_at"] = _occurred_at(raw.get("occurred_at"), now=now, errors=errors)
    checked.values["event_name"] = _text(
        raw.get("event_name"), name="event_name", max_length=EVENT_NAME_MAX_LENGTH, required=True, errors=errors
    )
    checked.values["event_id"] = _text(
        raw.get("event_id"), name="event_id", max_length=EVENT_ID_MAX_LENGTH, required=True, errors=errors
    )
    checked.values["customer_user_id"] = _text(
        raw.get("user_id"), name="user_id", max_length=CUSTOMER_USER_ID_MAX_LENGTH, required=False, errors=errors
    )
    checked.values["quantity"] = _quantity(raw.get("quantity"), errors=errors)
    properties = raw.get("properties")
    if properties is None:
        properties = {}
    elif isinstance(properties, Unparsable):
        errors.append(("properties", str(properties)))
    elif not isinstance(properties, dict):
        errors.append(("properties", _("Must be a JSON object.")))
    checked.values["properties"] = properties
    return checked, errors


# --- The fast path -----------------------------------------------------------------------
# Almost every event of a real batch is valid and plainly typed. ``_fast_check`` accepts
# exactly those with a few type tests and comparisons, without building error lists or
# helper objects; anything it is not sure of (a missing or odd field, any value that
# would need an error message) returns ``None`` and goes through ``_check_one``, which
# stays the one source of every error message.

_fromisoformat = datetime.fromisoformat
_QUANTITY_INT_LIMIT = int(_QUANTITY_LIMIT)
_ONE = Decimal(1)


def _fast_check(raw: Any, limit: datetime, safe_before: str) -> _Checked | None:
    """``safe_before``: an ISO date; an ``occurred_at`` whose text sorts before it lies
    so far before ``limit`` that no UTC offset (< 24 h) can make it later, and the
    costly cross-zone comparison is skipped. (Any other text form sorts after it, as
    digits sort after "-": it is then compared properly.)"""
    if type(raw) is not dict or not raw.keys() <= FIELDS:
        return None
    get = raw.get
    account_id = get("account_id")
    external = get("account_external_id")
    if account_id is not None and account_id != "":
        if external is not None and external != "":
            return None
        if type(account_id) is not int or not 0 < account_id < _MAX_BIGINT:
            return None
        ref: tuple[str, Any] = ("id", account_id)
    elif type(external) is str:
        external = external.strip()
        if not external or len(external) > 100:
            return None
        ref = ("external_id", external)
    else:
        return None
    occurred = get("occurred_at")
    if type(occurred) is not str:
        return None
    try:
        occurred = occurred.strip()
        occurred_at = _fromisoformat(occurred)
    except ValueError:
        return None
    # fromisoformat gives either no tzinfo (naive) or a fixed offset.
    if occurred_at.tzinfo is None or (occurred >= safe_before and occurred_at > limit):
        return None
    event_name = get("event_name")
    if type(event_name) is not str:
        return None
    event_name = event_name.strip()
    if not event_name or len(event_name) > EVENT_NAME_MAX_LENGTH:
        return None
    event_id = get("event_id")
    if type(event_id) is not str:
        return None
    event_id = event_id.strip()
    if not event_id or len(event_id) > EVENT_ID_MAX_LENGTH:
        return None
    user_id = get("user_id")
    if user_id is None:
        user_id = ""
    elif type(user_id) is str:
        user_id = user_id.strip()
        if len(user_id) > CUSTOMER_USER_ID_MAX_LENGTH:
            return None
    else:
        return None
    quantity = get("quantity")
    if quantity is None:
        number = _ONE
    elif type(quantity) is int:
        if not 0 <= quantity < _QUANTITY_INT_LIMIT:
            return None
        number = Decimal(quantity)
    elif type(quantity) is str or type(quantity) is float:
        # The same Decimal the careful path builds; it decides on anything unusual.
        try:
            number = Decimal(quantity.strip() if type(quantity) is str else str(quantity))
        except InvalidOperation:
            return None
        if not (number.is_finite() and 0 <= number < _QUANTITY_LIMIT):
            return None
        exponent = number.as_tuple().exponent
        if type(exponent) is not int or exponent < -QUANTITY_DECIMAL_PLACES:
            return None
    else:
        return None
    properties = get("properties")
    if properties is None:
        properties = {}
    elif type(properties) is not dict:
        return None
    checked = _Checked.__new__(_Checked)
    checked.account_ref = ref
    checked.values = {
        "occurred_at": occurred_at,
        "event_name": event_name,
        "event_id": event_id,
        "customer_user_id": user_id,
        "quantity": number,
        "properties": properties,
    }
    return checked


def _resolve_accounts(*, actor: AnyUser, refs: list[tuple[str, Any] | None]) -> tuple[dict[int, int], dict[str, int]]:
    """Map the referenced ids / external ids to account ids, within the actor's scope only."""
    ids = sorted({ref[1] for ref in refs if ref and ref[0] == "id"})
    externals = sorted({ref[1] for ref in refs if ref and ref[0] == "external_id"})
    by_id: dict[int, int] = {}
    by_external: dict[str, int] = {}
    scope = account_scope(user=actor).order_by()
    for start in range(0, max(len(ids), len(externals)), _LOOKUP_CHUNK):
        condition = Q(pk__in=ids[start : start + _LOOKUP_CHUNK]) | Q(
            external_id__in=externals[start : start + _LOOKUP_CHUNK]
        )
        for pk, external_id in scope.filter(condition).values_list("pk", "external_id"):
            by_id[pk] = pk
            if external_id is not None:
                by_external[external_id] = pk
    return by_id, by_external


def events_validate(
    *, actor: AnyUser, events: Sequence[Any], now: datetime | None = None
) -> tuple[list[ValidEvent], list[EventError]]:
    """Check every event; one query for all the accounts, none per event.

    An account that does not exist and one outside the actor's scope get the same
    answer, so the API does not reveal which accounts exist.
    """
    now = now or timezone.now()
    limit = now + MAX_FUTURE
    safe_before = (limit - timedelta(days=2)).date().isoformat()
    checked: list[tuple[_Checked, list[tuple[str, str]]]] = []
    append = checked.append
    for raw in events:
        fast = _fast_check(raw, limit, safe_before)
        # A fresh empty list per event: the account lookup below may append to it.
        append((fast, []) if fast is not None else _check_one(raw, now=now))
    by_id, by_external = _resolve_accounts(actor=actor, refs=[item.account_ref for item, _errors in checked])

    valid: list[ValidEvent] = []
    errors: list[EventError] = []
    for index, (item, event_errors) in enumerate(checked):
        account_id: int | None = None
        if item.account_ref is not None:
            kind, value = item.account_ref
            account_id = (by_id if kind == "id" else by_external).get(value)
            if account_id is None:
                field_name = "account_id" if kind == "id" else "account_external_id"
                event_errors.append((field_name, _("No such account, or not one of yours.")))
        if event_errors:
            errors.extend(EventError(index=index, field=name, reason=reason) for name, reason in event_errors)
            continue
        if errors:
            continue  # the batch is refused anyway: no need to build the valid events
        assert account_id is not None
        values = item.values
        valid.append(
            ValidEvent(
                index,
                account_id,
                values["occurred_at"],
                values["event_name"],
                values["customer_user_id"],
                values["quantity"],
                values["properties"],
                values["event_id"],
            )
        )
    return valid, errors
