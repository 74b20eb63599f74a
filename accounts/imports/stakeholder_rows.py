"""Stakeholder rows: matched by account + email (or name when there is no email)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.audit_source import current_audit_source
from core.people import person_or_none
from core.types import AnyUser

from ..dossier import dossier_rescore
from ..models import Account, KeyPersonLevel, RelationshipStage, Stakeholder, Tier
from ..selectors import account_scope
from .parsing import STAKEHOLDER_COLUMNS, Cells, Progress, RowError, choice_lookup, numbered_rows

FIELDS = [name for name in STAKEHOLDER_COLUMNS if name != "account_external_id"]
TEXT_LENGTHS = {"title": 120, "department": 120, "phone": 40}


def _match_key(account_id: int, email: str, name: str) -> tuple[int, str]:
    return (account_id, email.lower() or f"name:{name.lower()}")


@dataclass
class CheckedStakeholders:
    actor: AnyUser
    valid: list[dict[str, Any]]
    errors: list[RowError]

    @property
    def anything_to_write(self) -> bool:
        return bool(self.valid)

    def write(self) -> tuple[int, int, int]:
        """(created, updated, unchanged)."""
        return _write_stakeholders(self.actor, self.valid)


def _read_row(cells: Cells, accounts: dict[str | None, Account], tables: dict[str, dict[str, Any]]) -> None:
    external_id = cells.required("account_external_id")
    account = accounts.get(external_id)
    if external_id and account is None:
        cells.bad("account_external_id", _("No such account, or not one of yours."))
    cells.values["account"] = account
    cells.values["name"] = cells.required("name")[:120]
    email = cells.row.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            cells.bad("email", _("Not an email address: %(value)r.") % {"value": email})
    cells.values["email"] = email.lower()
    for column, length in TEXT_LENGTHS.items():
        cells.values[column] = cells.row.get(column, "")[:length]
    for column, table in tables.items():
        cells.choice(column, table)


def check_stakeholders(
    actor: AnyUser, rows: list[dict[str, str]], progress: Progress | None = None
) -> CheckedStakeholders:
    tables = {
        "tier": choice_lookup(Tier.choices),
        "key_level": choice_lookup(KeyPersonLevel.choices),
        "relationship": choice_lookup(RelationshipStage.choices),
    }
    wanted = {row.get("account_external_id", "") for row in rows}
    accounts = {a.external_id: a for a in account_scope(user=actor).filter(external_id__in=wanted)}
    seen: dict[tuple[int, str], int] = {}
    valid, errors = [], []
    for index, row in numbered_rows(rows, progress):
        cells = Cells(row, index)
        _read_row(cells, accounts, tables)
        account, name = cells.values["account"], cells.values["name"]
        if account is not None and name:
            match = _match_key(account.pk, cells.values["email"], name)
            if match in seen:
                cells.bad("email", _("Duplicate of row %(row)s.") % {"row": seen[match]})
            seen.setdefault(match, index)
        if cells.errors:
            errors.extend(cells.errors)
        else:
            valid.append(cells.values)
    return CheckedStakeholders(actor=actor, valid=valid, errors=errors)


def _write_stakeholders(actor: AnyUser, valid: list[dict[str, Any]]) -> tuple[int, int, int]:
    account_ids = {v["account"].pk for v in valid}
    existing: dict[tuple[int, str], Stakeholder] = {}
    for person in Stakeholder.objects.filter(account_id__in=account_ids):
        existing[_match_key(person.account_id, person.email, person.name)] = person
        existing.setdefault((person.account_id, f"name:{person.name.lower()}"), person)
    to_create: list[Stakeholder] = []
    to_update: list[Stakeholder] = []
    unchanged = 0
    for values in valid:
        found = existing.get(_match_key(values["account"].pk, values["email"], values["name"]))
        if found is None:
            to_create.append(Stakeholder(account=values["account"], **{k: values[k] for k in FIELDS if k in values}))
            continue
        changed = False
        for name in FIELDS:
            if name in values and getattr(found, name) != values[name]:
                setattr(found, name, values[name])
                changed = True
        if changed:
            to_update.append(found)
        else:
            unchanged += 1
    user, source = person_or_none(actor), current_audit_source()  # bulk writes send no signal
    if to_create:
        bulk_create_with_history(
            to_create, Stakeholder, batch_size=2000, default_user=user, default_change_reason=source
        )
    if to_update:
        bulk_update_with_history(
            to_update, Stakeholder, FIELDS, batch_size=2000, default_user=user, default_change_reason=source
        )
    # Only accounts whose key people changed can have a different dossier score.
    dossier_rescore(account_ids={person.account_id for person in [*to_create, *to_update]})
    return len(to_create), len(to_update), unchanged
