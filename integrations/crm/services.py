"""CRM sync: bulk upsert of accounts, stakeholders and contracts by external id (docs/crm-sync.md).

One validation path per entity: accounts and stakeholders are checked and written by
the CSV import's own readers (``accounts.imports``), which apply ``accounts.services``'
rules (the access rule, assignable owners, model validation) set-based; contracts by
``contracts``, which writes through ``renewals.services``. A call is all or
nothing: every problem comes back with its row index and field, and then nothing is
written. Re-sending the same rows changes nothing and reports them unchanged.
History rows name the sync (``sync crm <system>``) as their source and the caller as
their user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.imports.account_rows import check_accounts
from accounts.imports.parsing import ImportFileError, RowError, read_csv
from accounts.imports.stakeholder_rows import check_stakeholders
from accounts.selectors import assignable_owners
from core.audit_source import audit_source
from core.people import display_name
from core.types import AnyUser
from org.models import Role
from org.roles import role_of

from .contracts import CONTRACT_REQUIRED, check_contracts
from .mappings import ENTITIES, MAPPINGS, map_row, plan_columns

FIRST_ROW = 2  # the CSV readers number rows as in a file: the header is row 1
REQUIRED = {
    "accounts": ("external_id", "name"),
    "stakeholders": ("account_external_id", "name"),
    "contracts": CONTRACT_REQUIRED,
}


@dataclass(frozen=True)
class SyncError:
    index: int | None  # the row's position in the call (0-based); None: the call as a whole
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


class SyncRejected(Exception):
    """Nothing was written; ``errors`` says why, row by row."""

    def __init__(self, errors: list[SyncError]) -> None:
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


@dataclass(frozen=True)
class SyncResult:
    entity: str
    received: int
    created: int
    updated: int
    unchanged: int


class _Checked(Protocol):
    errors: list[RowError]

    def write(self) -> tuple[int, int, int]: ...


def can_sync(user: AnyUser) -> bool:
    """Managers and admins sync (a team-level integration); CSMs and others may not."""
    return role_of(user) in (Role.MANAGER, Role.ADMIN)


def _owner_names(actor: AnyUser, rows: list[dict[str, str]]) -> None:
    """Owners given by name (a HubSpot "Company owner" cell) become usernames, in place.

    Only names that belong to exactly one person the actor may assign are resolved;
    anything else is left for the account rules to refuse by the field's name.
    """
    if not any(row.get("owner") for row in rows):
        return
    by_name: dict[str, str | None] = {}
    handles: set[str] = set()
    for user in assignable_owners(user=actor).only("username", "email", "first_name", "last_name"):
        handles.update({user.username.lower(), (user.email or "").lower()})
        key = display_name(user).lower()
        by_name[key] = None if key in by_name else user.username  # ambiguous: not resolved
    for row in rows:
        owner = row.get("owner", "").lower()
        if owner and owner not in handles and by_name.get(owner):
            row["owner"] = str(by_name[owner])


def _check(actor: AnyUser, entity: str, rows: list[dict[str, str]]) -> _Checked:
    if entity == "accounts":
        _owner_names(actor, rows)
        return check_accounts(actor, rows)
    if entity == "contracts":
        return check_contracts(actor, rows)
    return check_stakeholders(actor, rows)


def _errors(row_errors: list[RowError]) -> list[SyncError]:
    return [SyncError(index=e.row - FIRST_ROW, field=e.column, message=e.reason) for e in row_errors]


def crm_sync(*, actor: AnyUser, entity: str, rows: list[dict[str, str]], system: str = "api") -> SyncResult:
    """Upsert ``rows`` (Hourglass field names, text cells) of ``entity``, all or nothing.

    Raises ``SyncRejected`` with every problem when any row is invalid, refers to an
    account outside the actor's scope, or the actor may not sync at all.
    """
    if entity not in ENTITIES:
        raise SyncRejected([SyncError(None, "entity", _("Unknown kind of record: %(value)r.") % {"value": entity})])
    if not can_sync(actor):
        raise SyncRejected([SyncError(None, "user", _("Only managers and admins may sync from a CRM."))])
    if not rows:
        raise SyncRejected([SyncError(None, "rows", _("No rows to sync."))])
    try:
        return _sync_once(actor, entity, rows, system)
    except IntegrityError:
        # A concurrent sync created one of these external ids first: checked again,
        # that row is now an update (or unchanged), so the retry is safe.
        return _sync_once(actor, entity, rows, system)


def _sync_once(actor: AnyUser, entity: str, rows: list[dict[str, str]], system: str) -> SyncResult:
    with transaction.atomic(), audit_source(f"sync crm {system}"):
        checked = _check(actor, entity, [dict(row) for row in rows])
        if checked.errors:
            raise SyncRejected(_errors(checked.errors))
        created, updated, unchanged = checked.write()
    return SyncResult(entity=entity, received=len(rows), created=created, updated=updated, unchanged=unchanged)


def crm_sync_csv(*, actor: AnyUser, entity: str, mapping: str, data: bytes) -> SyncResult:
    """Sync a CRM's CSV export (UTF-8, with or without BOM, or GB18030) through ``mapping``.

    Columns the mapping does not name are ignored; a file without a column for a
    required field is rejected naming the field and the headers that would carry it.
    Error indexes count data rows from 0 (line = index + 2).
    """
    if mapping not in MAPPINGS or entity not in ENTITIES:
        raise SyncRejected([SyncError(None, "mapping", _("Unknown mapping: %(value)r.") % {"value": mapping})])
    if entity not in MAPPINGS[mapping]:
        raise SyncRejected(
            [SyncError(None, "mapping", _("This mapping has no columns for %(entity)s.") % {"entity": entity})]
        )
    try:
        header, rows = read_csv(data)
    except ImportFileError as exc:
        raise SyncRejected([SyncError(None, "file", str(exc))]) from exc
    table = MAPPINGS[mapping][entity]
    plan = plan_columns(table, header)
    missing = [
        SyncError(
            None,
            name,
            _("No column for this field; expected one of: %(headers)s.")
            % {"headers": ", ".join([*table.columns.get(name, ()), *table.joined.get(name, ())])},
        )
        for name in REQUIRED[entity]
        if name not in plan.fields
    ]
    if missing:
        raise SyncRejected(missing)
    return crm_sync(actor=actor, entity=entity, rows=[map_row(plan, row) for row in rows], system=mapping)
