"""Contract rows of the CRM sync: matched by the contract's external id.

Read and checked set-based (one query for the rows' accounts in the actor's scope, one
for the contracts the rows name); written through ``renewals.services`` one contract at
a time, so a new active contract gets its renewal opportunity and a changed one moves
its open renewal's due date and forecast, exactly as on the contract page. Unchanged
rows write nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.imports.parsing import Cells, RowError, choice_lookup, numbered_rows
from accounts.selectors import account_scope
from core.types import AnyUser
from renewals.models import Contract, ContractStatus
from renewals.services import contract_create, contract_update

CONTRACT_COLUMNS = (
    "external_id", "account_external_id", "start_date", "end_date", "arr", "currency", "auto_renew", "status",
    "products",
)  # fmt: skip
CONTRACT_REQUIRED = ("external_id", "account_external_id")
_YES = {"1", "true", "yes", "y", "是"}
_NO = {"0", "false", "no", "n", "否"}
# Only the fields a caller sets are checked per row: the account and previous period are
# looked up set-based, the external id's uniqueness by the caller.
_NOT_CHECKED = ("account", "previous", "external_id")


@dataclass
class CheckedContracts:
    actor: AnyUser
    errors: list[RowError] = field(default_factory=list)
    to_create: list[dict[str, Any]] = field(default_factory=list)
    to_update: list[tuple[Contract, dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0

    def write(self) -> tuple[int, int, int]:
        """(created, updated, unchanged), through the renewals services."""
        for values in self.to_create:
            contract_create(actor=self.actor, **values)
        for contract, changes in self.to_update:
            contract_update(actor=self.actor, contract=contract, **changes)
        return len(self.to_create), len(self.to_update), self.unchanged


def _read(cells: Cells, statuses: dict[str, Any]) -> None:
    for name in ("start_date", "end_date"):
        cells.day(name)
    cells.money("arr")
    cells.choice("status", statuses)
    currency = cells.row.get("currency", "")
    if currency:
        if len(currency) == 3 and currency.isalpha():
            cells.values["currency"] = currency.upper()
        else:
            cells.bad("currency", _("Give a three-letter currency code (CNY, USD …): %(value)r.") % {"value": currency})
    flag = cells.row.get("auto_renew", "").lower()
    if flag:
        if flag in _YES | _NO:
            cells.values["auto_renew"] = flag in _YES
        else:
            cells.bad("auto_renew", _("Give true or false: %(value)r.") % {"value": flag})
    if cells.row.get("products"):
        cells.values["products"] = [p.strip() for p in cells.row["products"].replace(",", ";").split(";") if p.strip()]


def _model_errors(contract: Contract, skip: set[str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        contract.full_clean(exclude=[*_NOT_CHECKED, *skip], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors = exc.message_dict
    if contract.start_date and contract.end_date and contract.end_date < contract.start_date:
        errors.setdefault("end_date", []).append(_("The end date must not be before the start date."))
    return errors


class _Reader:
    def __init__(self, actor: AnyUser, rows: list[dict[str, str]]) -> None:
        wanted = {row.get("account_external_id", "") for row in rows} - {""}
        self.accounts = {a.external_id: a for a in account_scope(user=actor).filter(external_id__in=wanted)}
        ids = {row.get("external_id", "") for row in rows} - {""}
        self.existing = {c.external_id: c for c in Contract.objects.filter(external_id__in=ids)}
        self.in_scope = set(
            account_scope(user=actor)
            .filter(pk__in={c.account_id for c in self.existing.values()})
            .values_list("pk", flat=True)
        )
        self.statuses = choice_lookup(ContractStatus.choices)
        self.seen: dict[str, int] = {}

    def check(self, cells: Cells, checked: CheckedContracts) -> None:
        external_id = cells.required("external_id")
        account_id = cells.required("account_external_id")
        account = self.accounts.get(account_id)
        if account_id and account is None:
            cells.bad("account_external_id", _("No such account, or not one of yours."))
        found = self.existing.get(external_id)
        if external_id in self.seen:
            cells.bad("external_id", _("Duplicate of row %(row)s.") % {"row": self.seen[external_id]})
        elif found is not None and found.account_id not in self.in_scope:
            # The words of any bad cell: an id held outside the caller's scope is not confirmed.
            cells.bad("external_id", _("Unknown value %(value)r.") % {"value": external_id})
        elif found is not None and account is not None and found.account_id != account.pk:
            cells.bad("account_external_id", _("A contract cannot move to another account."))
        if external_id:
            self.seen.setdefault(external_id, cells.index)
        _read(cells, self.statuses)
        if cells.errors or account is None:
            return
        if found is None:
            self._create(cells, checked, account, external_id)
        else:
            self._update(cells, checked, found)

    def _create(self, cells: Cells, checked: CheckedContracts, account: Any, external_id: str) -> None:
        for name in ("start_date", "end_date"):
            if name not in cells.values:
                cells.bad(name, _("Required."))
        if cells.errors:
            return
        contract = Contract(account=account, external_id=external_id, **cells.values)
        cells.model_errors(_model_errors(contract, set()))
        if not cells.errors:
            checked.to_create.append({"account": account, "external_id": external_id, **cells.values})

    def _update(self, cells: Cells, checked: CheckedContracts, found: Contract) -> None:
        changes = {name: value for name, value in cells.values.items() if getattr(found, name) != value}
        if not changes:
            checked.unchanged += 1
            return
        candidate = copy.copy(found)
        for name, value in changes.items():
            setattr(candidate, name, value)
        cells.model_errors(_model_errors(candidate, set()))
        if not cells.errors:
            checked.to_update.append((found, changes))


def check_contracts(actor: AnyUser, rows: list[dict[str, str]]) -> CheckedContracts:
    """Every row read and checked; nothing written."""
    reader = _Reader(actor, rows)
    checked = CheckedContracts(actor=actor)
    for index, row in numbered_rows(rows, None):
        cells = Cells(row, index)
        reader.check(cells, checked)
        checked.errors.extend(cells.errors)
    return checked
