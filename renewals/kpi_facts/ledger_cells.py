"""The ARR-in-force rates from cells: the ledger's quarter rows summed per key.

``ledger_quarters.quarters_report`` answers a period of whole quarters from every
account's quarter rows in scope; its figures are sums over rows whose group depends on
the period: the owner at the period's start (``o<k>``: at the start of the quarter k
before the row's), the segment of the ARR at the start (``s<k>``) or, for an account
not in the cohort, at the end (``e<k>``: of the quarter k after). Each quarter row
carries those keys for every offset a period can have (at most ``HELD`` quarters), so
rows with the same keys add up into one cell and a request sums a few thousand cells
with the same SQL sums (``ledger_quarters._sums`` over totals-shaped rows).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Account
from accounts.segments import segment_bands, segment_for_arr

from ..ledger_models import ArrQuarter
from ..ledger_quarters import KINDS, _buckets_cte, _in_buckets, _kept, _sums, cohort_flag, quarter_of_number
from ..ledger_sql import Bucket, _run
from .models import HELD, LEDGER_KEYS, LEDGER_SUMS, KpiLedgerCell, KpiLedgerFact

ZERO = Decimal("0")
CELL = KpiLedgerCell._meta.db_table


def _owners_at(account_ids: Sequence[int] | None) -> dict[int, list[tuple[datetime, int]]]:
    """Each account's history of owners: (recorded at, owner id or 0), oldest first."""
    history = Account.history.model.objects.order_by("id", "history_date", "history_id")
    if account_ids is not None:
        history = history.filter(id__in=list(account_ids))
    found: dict[int, list[tuple[datetime, int]]] = {}
    for pk, at, owner in history.values_list("id", "history_date", "owner_id").iterator(chunk_size=20000):
        found.setdefault(pk, []).append((at, owner or 0))
    return found


def _owner_at(history: list[tuple[datetime, int]], at: datetime, current: int) -> int:
    """The owner of the last history row before ``at``, else today's (as ``_owners_sql``)."""
    owner = None
    for recorded, value in history:
        if recorded >= at:
            break
        owner = value
    return current if owner is None else owner


def _quarter_start(number: int) -> datetime:
    return timezone.make_aware(datetime.combine(quarter_of_number(number), time.min))


def ledger_facts_of(
    account_ids: Sequence[int] | None, keys: dict[int, Any]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(cell keys, sums) of each quarter row of these accounts (None: every account)."""
    rows = ArrQuarter.objects.order_by("account_id", "number")
    if account_ids is not None:
        rows = rows.filter(account_id__in=list(account_ids))
    history = _owners_at(account_ids)
    bands = segment_bands()
    columns = ("account_id", "number", "held", "arr_start", "arr_end", *KINDS)
    per_account: dict[int, list[tuple[Any, ...]]] = {}
    for values in rows.values_list(*columns).iterator(chunk_size=20000):
        per_account.setdefault(values[0], []).append(values)
    facts = []
    starts: dict[int, datetime] = {}
    for account_id, account_rows in per_account.items():
        account = keys.get(account_id)
        if account is None:
            continue
        by_number = {row[1]: row for row in account_rows}
        past = history.get(account_id, [])
        owners: dict[int, int] = {}
        start_segment = {row[1]: segment_for_arr(row[3], bands=bands) for row in account_rows}
        end_segment = {row[1]: segment_for_arr(row[4], bands=bands) for row in account_rows}
        nothing = segment_for_arr(0, bands=bands)
        for row in account_rows:
            number, held = row[1], row[2]
            key: dict[str, Any] = {
                "account_id": account_id,
                "number": number,
                "held": held,
                "owner_key": account.owner_key,
                "queue_key": account.queue_key,
                "industry": account.industry,
                "icp_fit": account.icp_fit,
            }
            # A row read outside the cohort adds only its movements: without any, its end
            # segments are never read (fewer distinct keys, fewer cells).
            moved = any(row[5:])
            for k in range(HELD):
                quarter = number - k
                if quarter not in owners:
                    at = starts.setdefault(quarter, _quarter_start(quarter))
                    owners[quarter] = _owner_at(past, at, account.owner_key)
                key[f"o{k}"] = owners[quarter]
                held_then = (held >> k) & 1 and quarter in by_number
                key[f"s{k}"] = start_segment[quarter] if held_then else ""
                # Read for a period ending k quarters on in which the account is not in
                # the cohort: one starting j ≤ 7 − k quarters back with bit j of held clear.
                outside = moved and any(not (held >> j) & 1 for j in range(HELD - k))
                key[f"e{k}"] = end_segment.get(number + k, nothing) if outside else ""
            sums = {
                "accounts": 1,
                "retained": 1 if row[4] > 0 else 0,
                "arr_start": row[3],
                "arr_end": row[4],
                **dict(zip(KINDS, row[5:], strict=True)),
            }
            facts.append((key, sums))
    return facts


def combo_of(key: dict[str, Any]) -> str:
    text = "|".join(str(key[name]) for name in LEDGER_KEYS)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def ledger_summed(facts: Iterable[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per combo: its keys and the summed figures."""
    cells: dict[str, dict[str, Any]] = {}
    for key, sums in facts:
        combo = combo_of(key)
        cell = cells.get(combo)
        if cell is None:
            cell = cells[combo] = {
                **key,
                **{name: 0 if name in ("accounts", "retained") else ZERO for name in LEDGER_SUMS},
            }
        for name in LEDGER_SUMS:
            cell[name] += sums[name]
    return cells


def ledger_fact_rows(facts: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[KpiLedgerFact]:
    """One row per account with what each of its quarter rows added to which cell."""
    per_account: dict[int, list[list[Any]]] = {}
    for key, sums in facts:
        per_account.setdefault(key["account_id"], []).append([combo_of(key), *(str(sums[n]) for n in LEDGER_SUMS)])
    return [KpiLedgerFact(account_id=pk, rows=json.dumps(rows)) for pk, rows in per_account.items()]


def ledger_fact_sums(facts: Iterable[KpiLedgerFact]) -> dict[str, dict[str, Any]]:
    """The stored contributions added up per cell (combo)."""
    found: dict[str, dict[str, Any]] = {}
    for fact in facts:
        for combo, *values in json.loads(fact.rows):
            total = found.setdefault(combo, {name: 0 if name in _COUNTS else ZERO for name in LEDGER_SUMS})
            for name, value in zip(LEDGER_SUMS, values, strict=True):
                total[name] += int(value) if name in _COUNTS else Decimal(value)
    return found


_COUNTS = ("accounts", "retained")


def _group_sql(group_by: str) -> str | None:
    """SQL: the group key of cell ``c`` in bucket ``b`` (None for the company)."""
    offset = "c.number - b.first_number"
    if group_by == "company":
        return None
    if group_by in ("industry", "icp_fit"):
        return f"c.{group_by}"
    if group_by in ("csm", "team"):
        whens = " ".join(f"WHEN {k} THEN c.o{k}" for k in range(HELD))
        return f"NULLIF(CASE {offset} {whens} END, 0)"
    if group_by == "segment":
        starts = " ".join(f"WHEN {k} THEN c.s{k}" for k in range(HELD))
        ends = " ".join(f"WHEN {k} THEN c.e{k}" for k in range(HELD))
        return (
            f"CASE WHEN {cohort_flag('c')} THEN (CASE {offset} {starts} END) "
            f"ELSE (CASE b.last_number - c.number {ends} END) END"
        )
    raise ValueError(f"unknown grouping {group_by!r}")


def cells_report(
    *, buckets: Sequence[Bucket], group_by: str, scope: tuple[str, Sequence[Any]] | None
) -> list[dict[str, Any]]:
    """``quarters_report`` from the cells (scope: SQL over the cells' ``c.owner_key`` and
    ``c.queue_key``, from ``read.ledger_scope_sql``): the same rows."""
    cte, params = _buckets_cte(buckets)
    where, where_params = _in_buckets("c", buckets)
    in_scope, scope_params = ("", [])
    if scope is not None:
        in_scope, scope_params = f" AND ({scope[0]})", list(scope[1])
    group = _group_sql(group_by)
    key = "'all'" if group is None else group
    by_key = "" if group is None else f", {group}"
    sql = (
        f"WITH {cte} SELECT b.bucket, {key} AS group_key, {', '.join(_sums('c', totals=True))} "  # noqa: S608
        f"FROM {CELL} c {where}{in_scope} GROUP BY b.bucket{by_key}"
    )
    return _kept(_run(sql, [*params, *where_params, *scope_params]))
