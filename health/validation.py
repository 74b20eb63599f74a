"""Checking a batch of incoming usage events: every problem of every event, at once.

The API, the import command and any other caller hand in plain dicts (parsed JSON,
NDJSON or CSV rows) and get back either clean ``ValidEvent`` objects or the complete
list of ``{index, field, reason}`` errors, so a sender can fix a whole file in one go.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.access import AnyUser
from accounts.models import Account
from accounts.selectors import account_scope
from core.dates import date_in_range, date_range_message

from .models import (
    CUSTOMER_USER_ID_MAX_LENGTH,
    EVENT_ID_MAX_LENGTH,
    EVENT_NAME_MAX_LENGTH,
    QUANTITY_DECIMAL_PLACES,
    QUANTITY_MAX_DIGITS,
)
from .storage import EventKey, events_stored_positions

ACCOUNT_EXTERNAL_ID_MAX_LENGTH = Account._meta.get_field("external_id").max_length or 100


@dataclass(frozen=True)
class EventField:
    """One field of an incoming event: what the validator enforces and the API schema shows."""

    schema: dict[str, Any]
    help: Any
    required: bool = False


# The one description of an event: ``_check`` below enforces it and ``event_schema``
# publishes it (OpenAPI) from the same limits.
EVENT_FIELDS: dict[str, EventField] = {
    "account_id": EventField(
        {"type": "integer", "minimum": 1}, gettext_lazy("Hourglass account id; or give account_external_id.")
    ),
    "account_external_id": EventField(
        {"type": "string", "maxLength": ACCOUNT_EXTERNAL_ID_MAX_LENGTH},
        gettext_lazy("The account's id in your CRM / billing system."),
    ),
    "occurred_at": EventField(
        {"type": "string", "format": "date-time"},
        gettext_lazy("ISO 8601 with a time zone (Z or +08:00); at most one day in the future."),
        required=True,
    ),
    "event_name": EventField(
        {"type": "string", "maxLength": EVENT_NAME_MAX_LENGTH},
        gettext_lazy("The feature or action, e.g. opportunity.created."),
        required=True,
    ),
    "user_id": EventField(
        {"type": "string", "maxLength": CUSTOMER_USER_ID_MAX_LENGTH},
        gettext_lazy("The customer's id of the user; counts active users."),
    ),
    "quantity": EventField(
        # OpenAPI 3.0: exclusiveMaximum is a flag on maximum (a number only from 3.1 on).
        {
            "type": "number",
            "minimum": 0,
            "maximum": 10 ** (QUANTITY_MAX_DIGITS - QUANTITY_DECIMAL_PLACES),
            "exclusiveMaximum": True,
        },
        gettext_lazy("Defaults to 1."),
    ),
    "properties": EventField({"type": "object", "additionalProperties": True}, gettext_lazy("Any JSON object.")),
    "event_id": EventField(
        {"type": "string", "maxLength": EVENT_ID_MAX_LENGTH},
        gettext_lazy("Your unique id of the event. Re-sending the same event_id and occurred_at is ignored."),
        required=True,
    ),
}
FIELDS = frozenset(EVENT_FIELDS)


def event_schema() -> dict[str, Any]:
    """The OpenAPI schema of one event, from ``EVENT_FIELDS``."""
    return {
        "type": "object",
        "properties": {name: {**spec.schema, "description": spec.help} for name, spec in EVENT_FIELDS.items()},
        "required": [name for name, spec in EVENT_FIELDS.items() if spec.required],
        "additionalProperties": False,
    }


# How far ahead of the server clock an event may claim to be (clock skew, time zones
# mistaken by a day); anything later is a bug on the sender's side.
MAX_FUTURE = timedelta(days=1)
_QUANTITY_LIMIT = Decimal(10) ** (QUANTITY_MAX_DIGITS - QUANTITY_DECIMAL_PLACES)
# Keeps the account lookup's IN (...) lists well under every database's limits.
_LOOKUP_CHUNK = 5000
_QUANTITY_INT_LIMIT = int(_QUANTITY_LIMIT)
_MAX_BIGINT = 2**63
_ONE = Decimal(1)


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


@dataclass(slots=True)
class _Checked:
    """One event's fields as far as they could be checked without the database."""

    values: dict[str, Any]
    account_ref: tuple[str, Any] | None


# Each check below takes the plain case (a string, an int) first: almost every event of
# a real batch is valid and plainly typed, and a batch holds up to 10,000 of them.
Errors = list[tuple[str, str]]


def _text(value: Any, name: str, max_length: int, required: bool, errors: Errors) -> str | None:
    if type(value) is str or isinstance(value, str):
        text = value.strip()
    elif value is None:
        text = ""
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        errors.append((name, _("Must be a string.")))
        return None
    if not text:
        if required:
            errors.append((name, _("This field is required.")))
            return None
        return ""
    if len(text) > max_length:
        errors.append((name, _("At most %(n)d characters.") % {"n": max_length}))
        return None
    return text


def _occurred_at(value: Any, limit: datetime, safe_before: str, errors: Errors) -> datetime | None:
    """``safe_before``: an ISO date; a text that sorts before it lies so far before
    ``limit`` that no UTC offset (< 24 h) can make it later, and the costly cross-zone
    comparison is skipped. (Any other text form sorts after it, as digits sort after
    "-": it is then compared properly.)"""
    if not isinstance(value, str) or not value:
        if value is None or value == "":
            errors.append(("occurred_at", _("This field is required.")))
        else:
            errors.append(("occurred_at", _("Must be an ISO 8601 date-time string.")))
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        errors.append(("occurred_at", _("Not an ISO 8601 date-time.")))
        return None
    if parsed.tzinfo is None:
        # A naive time means a different instant in every time zone: refuse to guess.
        errors.append(("occurred_at", _("The time zone is missing (add Z or an offset such as +08:00).")))
        return None
    if text >= safe_before and parsed > limit:
        errors.append(("occurred_at", _("More than one day in the future.")))
        return None
    if not date_in_range(parsed):
        errors.append(("occurred_at", date_range_message()))
        return None
    return parsed


def _quantity(value: Any, errors: Errors) -> Decimal | None:
    if value is None or value == "":
        return _ONE
    if type(value) is int and 0 <= value < _QUANTITY_INT_LIMIT:
        return Decimal(value)
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


def _account_ref(raw: Mapping[str, Any], errors: Errors) -> tuple[str, Any] | None:
    """``("id", pk)`` or ``("external_id", text)``: the account the event names."""
    value = raw.get("account_id")
    external = raw.get("account_external_id")
    has_id = value is not None and value != ""
    if has_id and external is not None and external != "":
        errors.append(("account_id", _("Give account_id or account_external_id, not both.")))
        return None
    if has_id and external is None and type(value) is int and 0 < value < _MAX_BIGINT:
        return ("id", value)
    if has_id:
        try:
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ValueError
            account_pk = int(value)
        except ValueError:
            errors.append(("account_id", _("Must be an integer.")))
            return None
        if 0 < account_pk < _MAX_BIGINT:
            return ("id", account_pk)
        errors.append(("account_id", _("No such account, or not one of yours.")))
        return None
    if external is not None and external != "":
        text = _text(
            external,
            name="account_external_id",
            max_length=ACCOUNT_EXTERNAL_ID_MAX_LENGTH,
            required=True,
            errors=errors,
        )
        return None if text is None else ("external_id", text)
    errors.append(("account_id", _("Give account_id or account_external_id.")))
    return None


def _reference(raw: Any) -> tuple[tuple[str, Any] | None, Errors]:
    """The account an event names (and the errors of that), before anything else is checked."""
    errors: Errors = []
    if type(raw) is not dict and (isinstance(raw, Unparsable) or not isinstance(raw, Mapping)):
        return None, errors
    return _account_ref(raw, errors), errors


def _check(
    raw: Any, limit: datetime, safe_before: str, account_ref: tuple[str, Any] | None, account_errors: Errors
) -> tuple[_Checked, Errors]:
    """Every field of one event checked without the database: its values, or its errors."""
    errors: Errors = []
    if type(raw) is not dict:
        if isinstance(raw, Unparsable):
            return _Checked({}, None), [("", str(raw))]
        if not isinstance(raw, Mapping):
            return _Checked({}, None), [("", _("Each event must be a JSON object."))]
    if not raw.keys() <= FIELDS:
        errors.extend((str(name), _("Unknown field.")) for name in sorted(set(raw) - FIELDS, key=str))
    get = raw.get
    errors.extend(account_errors)
    values = {
        "occurred_at": _occurred_at(get("occurred_at"), limit, safe_before, errors),
        "event_name": _text(get("event_name"), "event_name", EVENT_NAME_MAX_LENGTH, True, errors),
        "event_id": _text(get("event_id"), "event_id", EVENT_ID_MAX_LENGTH, True, errors),
        "customer_user_id": _text(get("user_id"), "user_id", CUSTOMER_USER_ID_MAX_LENGTH, False, errors),
        "quantity": _quantity(get("quantity"), errors),
    }
    properties = get("properties")
    if properties is None:
        properties = {}
    elif isinstance(properties, Unparsable):
        errors.append(("properties", str(properties)))
    elif not isinstance(properties, dict):
        errors.append(("properties", _("Must be a JSON object.")))
    values["properties"] = properties
    return _Checked(values, account_ref), errors


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


def _stored_key(raw: Any, account_id: int) -> EventKey | None:
    """The idempotency key of a plainly typed event, read without checking its other
    fields; ``None`` when it has none (the full check then says why)."""
    event_id, occurred_at = raw.get("event_id"), raw.get("occurred_at")
    if type(event_id) is not str or type(occurred_at) is not str:
        return None
    event_id = event_id.strip()
    if not event_id or len(event_id) > EVENT_ID_MAX_LENGTH:
        return None
    try:
        moment = datetime.fromisoformat(occurred_at.strip())
    except ValueError:
        return None
    return (account_id, event_id, moment) if moment.tzinfo is not None else None


def _already_stored(events: Sequence[Any], accounts: list[int | None]) -> set[int]:
    """Positions of the events whose key is stored: one query (a replay skips the rest)."""
    keys: list[tuple[int, EventKey]] = []
    for index, account_id in enumerate(accounts):
        if account_id is not None:
            key = _stored_key(events[index], account_id)
            if key is not None:
                keys.append((index, key))
    return events_stored_positions(keys=keys)


@dataclass(frozen=True)
class CheckedBatch:
    valid: list[ValidEvent]
    errors: list[EventError]
    already_stored: int  # events left out of ``valid`` because their key is stored


def events_check(
    *, actor: AnyUser, events: Sequence[Any], now: datetime | None = None, skip_stored: bool = True
) -> CheckedBatch:
    """Check every event; one query for all the accounts, one for the stored keys, none
    per event.

    With ``skip_stored``, an event whose key (account in the actor's scope, event id,
    time) is stored already is a duplicate whatever else it carries, as the stored event
    wins anyway: it is counted in ``already_stored`` without the rest of its checks,
    so a replayed batch costs a fraction of its first ingest. An account that does not
    exist and one outside the actor's scope get the same answer, so the API does not
    reveal which accounts exist.
    """
    limit = (now or timezone.now()) + MAX_FUTURE
    safe_before = (limit - timedelta(days=2)).date().isoformat()
    references = [_reference(raw) for raw in events]
    by_id, by_external = _resolve_accounts(actor=actor, refs=[ref for ref, _errors in references])
    accounts = [
        None if ref is None else (by_id if ref[0] == "id" else by_external).get(ref[1]) for ref, _errors in references
    ]
    stored = _already_stored(events, accounts) if skip_stored else set()

    valid: list[ValidEvent] = []
    errors: list[EventError] = []
    for index, raw in enumerate(events):
        if index in stored:
            continue
        account_ref, account_errors = references[index]
        item, event_errors = _check(raw, limit, safe_before, account_ref, account_errors)
        account_id = accounts[index]
        if account_ref is not None and account_id is None:
            field_name = "account_id" if account_ref[0] == "id" else "account_external_id"
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
    return CheckedBatch(valid, errors, len(stored))


def events_validate(
    *, actor: AnyUser, events: Sequence[Any], now: datetime | None = None
) -> tuple[list[ValidEvent], list[EventError]]:
    """Every event checked in full, stored or not (the import command's dry run)."""
    checked = events_check(actor=actor, events=events, now=now, skip_stored=False)
    return checked.valid, checked.errors
