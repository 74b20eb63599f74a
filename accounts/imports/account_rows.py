"""Account rows: read each row's cells, then let ``accounts.services.AccountBatch`` check
and write them by the rules of ``account_create`` and ``account_update``.

Accounts are matched by external id: a known id in the importer's scope updates that
account, an unknown one creates it, and an id used by an account outside the scope
is refused as any bad value is, without saying why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from core.types import AnyUser

from ..batch_sql import values_in
from ..models import Account, AccountStatus, IcpFit, Industry
from ..selectors import account_scope, assignable_owners
from ..services import AccountBatch
from .parsing import Cells, Progress, RowError, choice_lookup, numbered_rows


@dataclass
class CheckedAccounts:
    batch: AccountBatch
    errors: list[RowError]
    unchanged: int

    @property
    def anything_to_write(self) -> bool:
        return bool(self.batch.to_create or self.batch.to_update or self.unchanged)

    def write(self) -> tuple[int, int, int]:
        """(created, updated, unchanged)."""
        created, updated = self.batch.save()
        return created, updated, self.unchanged


class _AccountReader:
    """What every row is read against: the lookups, and the accounts the file names."""

    def __init__(self, actor: AnyUser, rows: list[dict[str, str]]) -> None:
        self.industries = choice_lookup(Industry.choices)
        self.fits = choice_lookup(IcpFit.choices)
        self.statuses = choice_lookup(AccountStatus.choices)
        self.owners: dict[str, Any] = {}
        for user in assignable_owners(user=actor):
            self.owners[user.username.lower()] = user
            if user.email:
                self.owners[user.email.lower()] = user
        external_ids = [row["external_id"] for row in rows if row.get("external_id")]
        scope = account_scope(user=actor)
        self.existing = {a.external_id: a for a in scope.filter(external_id__in=values_in(external_ids))}
        self.taken = set(self.existing)
        if scope.query.where:  # a scope narrower than every account: who holds the other ids
            taken = Account.objects.filter(external_id__in=values_in(external_ids))
            self.taken.update(taken.values_list("external_id", flat=True))
        self.seen: dict[str, int] = {}

    def read(self, row: dict[str, str], index: int) -> Cells:
        cells = Cells(row, index)
        external_id = cells.required("external_id")
        if external_id in self.seen:
            cells.bad("external_id", _("Duplicate of row %(row)s.") % {"row": self.seen[external_id]})
        elif external_id in self.taken and external_id not in self.existing:
            # The words of any bad cell: naming the reason would confirm that an
            # account outside the importer's scope holds this id.
            cells.bad("external_id", _("Unknown value %(value)r.") % {"value": external_id})
        if external_id:
            self.seen.setdefault(external_id, index)
        cells.values["name"] = cells.required("name")
        cells.choice("industry", self.industries)
        cells.choice("icp_fit", self.fits)
        cells.choice("status", self.statuses)
        cells.money("arr")
        if row.get("owner"):
            owner = self.owners.get(row["owner"].lower())
            if owner is None:
                cells.bad("owner", _("No such user, or not one you may assign: %(value)r.") % {"value": row["owner"]})
            else:
                cells.values["owner"] = owner
        cells.day("go_live_date")
        return cells


def check_accounts(actor: AnyUser, rows: list[dict[str, str]], progress: Progress | None = None) -> CheckedAccounts:
    """Every row read and checked; the valid ones queued in the batch, nothing written."""
    reader = _AccountReader(actor, rows)
    batch = AccountBatch(actor=actor)
    errors: list[RowError] = []
    unchanged = 0
    for index, row in numbered_rows(rows, progress):
        cells = reader.read(row, index)
        external_id = row.get("external_id", "")
        account = reader.existing.get(external_id)
        verdict: dict[str, list[str]] | None
        if account is None:
            verdict = batch.create(skip=cells.bad_columns, external_id=external_id, **cells.values)
        else:
            verdict = batch.update(account, skip=cells.bad_columns, **cells.values)
            unchanged += verdict is None and not cells.errors
        cells.model_errors(verdict)
        errors.extend(cells.errors)
    return CheckedAccounts(batch=batch, errors=errors, unchanged=unchanged)
