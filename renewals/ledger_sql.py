"""The ARR ledger's SQL, in one place: the rebuild from contracts and amendments, and the
cohort report the KPI page reads. Portable SQL (PostgreSQL and SQLite ≥ 3.28, window
functions); only the month of a date and "the day after" differ, see ``_Dialect``.

How the ledger is computed (docs/renewals.md, "ARR in force"):

- every contract that is not cancelled adds its ARR on its start date and takes it away
  the day after its end date; every amendment effective within its contract adds its
  delta on its effective date and takes it away the day after the contract's end;
- those steps are summed per account and month (the month the step's date falls in),
  up to the ledger's horizon (the current month); the running sum is the month-end ARR;
- a month whose month-end ARR differs from the previous month's is a movement:
  new (from 0, never had ARR), reactivation (from 0, had ARR before), churn (to 0),
  expansion or contraction. Changes inside one month net out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from accounts.models import Account
from accounts.segments import segment_bands
from core.pg_tuning import set_local

from .models import ArrMovement, Contract, ContractAmendment, ContractStatus

MOVEMENT = ArrMovement._meta.db_table
CONTRACT = Contract._meta.db_table
AMENDMENT = ContractAmendment._meta.db_table
ACCOUNT = Account._meta.db_table
ACCOUNT_HISTORY = Account.history.model._meta.db_table


@dataclass(frozen=True)
class _Dialect:
    month: str  # format string over one date expression: the first day of its month
    day_after: str  # format string: the day after a date expression

    def month_of(self, expression: str) -> str:
        return self.month.format(expression)

    def month_after(self, expression: str) -> str:
        return self.month.format(self.day_after.format(expression))


# Day arithmetic on dates, cheaper than date_trunc (which goes through a timestamp);
# date_part (a double) is cheaper than EXTRACT (a numeric).
_POSTGRES = _Dialect(month="({0} - CAST(date_part('day', {0}) AS integer) + 1)", day_after="({0} + 1)")
_SQLITE = _Dialect(month="date({0}, 'start of month')", day_after="date({0}, '+1 day')")


def _dialect() -> _Dialect:
    return _POSTGRES if connection.vendor == "postgresql" else _SQLITE


def _date(value: date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _number(value: Decimal) -> Any:
    # SQLite compares a float column with a text parameter as text: bind a float there.
    return value if connection.vendor == "postgresql" else float(value)


COLUMNS = "account_id, month, kind, amount, arr_before, arr_after"


def rebuild_sql(*, horizon: date, account_id: int | None = None) -> tuple[str, list[Any]]:
    """``INSERT … SELECT`` of the movements up to ``horizon`` (a first of month), for every
    account or one. The caller deletes the rows it replaces first."""
    sql, params = movements_sql(horizon=horizon, account_id=account_id)
    return f"INSERT INTO {MOVEMENT} ({COLUMNS}) {sql}", params


def movements_sql(*, horizon: date, account_id: int | None = None) -> tuple[str, list[Any]]:
    """The ``SELECT`` of the movements (columns ``COLUMNS``) up to ``horizon``."""
    d = _dialect()
    only = " AND c.account_id = %s" if account_id is not None else ""
    one: list[Any] = [account_id] if account_id is not None else []
    cancelled = ContractStatus.CANCELLED.value
    # Each contract and each amendment steps twice (in, then out the day after the
    # contract's end): one pass over each table, each row joined to both sides.
    sides = "(SELECT 0 AS side UNION ALL SELECT 1)"
    in_force = f"c.status <> %s{only}"
    sql = f"""
    WITH steps AS (
        SELECT c.account_id,
               CASE WHEN s.side = 0 THEN {d.month_of("c.start_date")} ELSE {d.month_after("c.end_date")} END AS month,
               CASE WHEN s.side = 0 THEN c.arr ELSE -c.arr END AS delta
          FROM {CONTRACT} c CROSS JOIN {sides} s WHERE {in_force}
        UNION ALL
        SELECT c.account_id,
               CASE WHEN s.side = 0 THEN {d.month_of("a.effective_date")} ELSE {d.month_after("c.end_date")} END,
               CASE WHEN s.side = 0 THEN a.arr_delta ELSE -a.arr_delta END
          FROM {AMENDMENT} a JOIN {CONTRACT} c ON c.id = a.contract_id CROSS JOIN {sides} s
         WHERE {in_force} AND a.effective_date <= c.end_date
    ),
    monthly AS (
        SELECT account_id, month, SUM(delta) AS change
          FROM steps WHERE month <= %s GROUP BY account_id, month
    ),
    running AS (
        SELECT account_id, month, change,
               ROUND(SUM(change) OVER (PARTITION BY account_id ORDER BY month), 2) AS arr_after
          FROM monthly
    ),
    framed AS (
        SELECT account_id, month, arr_after, ROUND(arr_after - change, 2) AS arr_before,
               COALESCE(MAX(arr_after) OVER (
                   PARTITION BY account_id ORDER BY month ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
               ), 0) AS peak_before
          FROM running
    )
    SELECT account_id, month,
           CASE WHEN arr_before = 0 AND peak_before = 0 THEN 'new'
                WHEN arr_before = 0 THEN 'reactivation'
                WHEN arr_after = 0 THEN 'churn'
                WHEN arr_after > arr_before THEN 'expansion'
                ELSE 'contraction' END AS kind,
           ABS(arr_after - arr_before) AS amount, arr_before, arr_after
      FROM framed
     WHERE arr_after <> arr_before
    """  # noqa: S608 - table names and placeholders only
    params = [cancelled, *one, cancelled, *one, _date(horizon)]
    return sql, params


# The cohort report ------------------------------------------------------------------

# Per (bucket, account): the figures of the account over the bucket's months.
_FIGURES = ("start_arr", "end_arr", "expansion", "contraction", "churn", "reactivation", "new")


@dataclass(frozen=True)
class Bucket:
    """Months ``first`` … ``last`` (first days), the cohort being the accounts with ARR at
    the end of the month before ``first``; ``owners_at`` is when its owner is read."""

    first: date
    last: date
    owners_at: datetime


def _signed() -> str:
    return "CASE WHEN m.kind IN ('contraction', 'churn') THEN -m.amount ELSE m.amount END"


def _group_key(group_by: str) -> tuple[str, list[Any]]:
    """The SQL giving each (bucket, account) row its group; ``k.*`` are the row's figures."""
    if group_by == "company":
        return "'all'", []
    if group_by in ("csm", "team"):
        # The owner at the period's start keeps the figure: the last history row before
        # it, else (the account did not exist yet) today's owner.
        before = f"FROM {ACCOUNT_HISTORY} h WHERE h.id = a.id AND h.history_date < b.owners_at"
        sql = (
            f"CASE WHEN EXISTS (SELECT 1 {before}) "
            f"THEN (SELECT h.owner_id {before} ORDER BY h.history_date DESC LIMIT 1) "
            "ELSE a.owner_id END"
        )
        return sql, []
    if group_by == "segment":
        bands = segment_bands()
        arr = "(CASE WHEN k.start_arr > 0 THEN k.start_arr ELSE k.end_arr END)"
        whens = " ".join(f"WHEN {arr} >= %s THEN '{key}'" for key, _lower in bands)
        return f"CASE {whens} ELSE '{bands[-1][0]}' END", [_number(lower) for _key, lower in bands]
    if group_by == "industry":
        return "a.industry", []
    if group_by == "icp_fit":
        return "a.icp_fit", []
    raise ValueError(f"unknown grouping {group_by!r}")


def _keyed_sql(
    *, buckets: Sequence[Bucket], group_by: str, scope: tuple[str, Sequence[Any]] | None
) -> tuple[str, list[Any]]:
    """The CTEs ``buckets``, ``pa`` (per bucket and account) and ``keyed`` (plus its group)."""
    placeholders = ", ".join("(%s, %s, %s, %s)" for _bucket in buckets)
    params: list[Any] = []
    for index, bucket in enumerate(buckets):
        params += [
            index,
            _date(bucket.first),
            _date(bucket.last),
            connection.ops.adapt_datetimefield_value(bucket.owners_at),
        ]
    in_scope = ""
    if scope is not None:
        in_scope = f" WHERE m.account_id IN ({scope[0]})"
        params += list(scope[1])
    signed = _signed()
    inside = "m.month >= b.first_month"

    def kind_sum(kind: str) -> str:
        return f"SUM(CASE WHEN {inside} AND m.kind = '{kind}' THEN m.amount ELSE 0 END) AS {kind}"

    key_sql, key_params = _group_key(group_by)
    # Company and segment read nothing of the account row: no join for them.
    account_join = "" if group_by in ("company", "segment") else f" JOIN {ACCOUNT} a ON a.id = k.account_id"
    sql = f"""
    WITH buckets (bucket, first_month, last_month, owners_at) AS (VALUES {placeholders}),
    pa AS (
        SELECT b.bucket, m.account_id,
               SUM(CASE WHEN m.month < b.first_month THEN {signed} ELSE 0 END) AS start_arr,
               SUM({signed}) AS end_arr,
               {kind_sum("expansion")}, {kind_sum("contraction")}, {kind_sum("churn")},
               {kind_sum("reactivation")}, {kind_sum("new")},
               SUM(CASE WHEN {inside} THEN 1 ELSE 0 END) AS moves
          FROM {MOVEMENT} m JOIN buckets b ON m.month <= b.last_month{in_scope}
         GROUP BY b.bucket, m.account_id
    ),
    keyed AS (
        SELECT k.*, {key_sql} AS group_key
          FROM pa k{account_join} JOIN buckets b ON b.bucket = k.bucket
         WHERE k.start_arr > 0 OR k.moves > 0
    )
    """  # noqa: S608 - table names, fixed SQL and placeholders only
    return sql, params + key_params


# Groupings whose group an account keeps whatever the date (or that follow its ARR):
# their starting figures add up movement by movement (``_telescoped_report``).
TELESCOPED = ("company", "industry", "icp_fit", "segment")


def cohort_report(
    *, buckets: Sequence[Bucket], group_by: str, scope: tuple[str, Sequence[Any]] | None
) -> list[dict[str, Any]]:
    """One row per (bucket, group): the cohort's figures (``start_arr``, ``n_start``,
    ``n_retained``, ``end_arr``, movements of cohort accounts) and ``new`` (every account)."""
    if group_by in TELESCOPED:
        return _run(*_telescoped_sql(buckets=buckets, group_by=group_by, scope=scope))
    cte, params = _keyed_sql(buckets=buckets, group_by=group_by, scope=scope)
    cohort = "k.start_arr > 0"
    columns = [
        f"SUM(CASE WHEN {cohort} THEN k.start_arr ELSE 0 END) AS start_arr",
        f"SUM(CASE WHEN {cohort} THEN 1 ELSE 0 END) AS n_start",
        f"SUM(CASE WHEN {cohort} AND k.end_arr > 0 THEN 1 ELSE 0 END) AS n_retained",
        f"SUM(CASE WHEN {cohort} THEN k.end_arr ELSE 0 END) AS end_arr",
        *(f"SUM(CASE WHEN {cohort} THEN k.{name} ELSE 0 END) AS {name}" for name in _FIGURES[2:6]),
        "SUM(k.new) AS new",
    ]
    sql = f"{cte} SELECT k.bucket, k.group_key, {', '.join(columns)} FROM keyed k GROUP BY k.bucket, k.group_key"  # noqa: S608 - fixed SQL and placeholders only
    return _run(sql, params)


def _run(sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # One group per account before the final one: room to hash them in memory.
            set_local(cursor, "SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        for name in ("start_arr", "end_arr", *_FIGURES[2:]):
            row[name] = _money(row[name])
        row["n_start"], row["n_retained"] = int(row["n_start"] or 0), int(row["n_retained"] or 0)
    return rows


def _buckets_cte(buckets: Sequence[Bucket]) -> tuple[str, list[Any]]:
    placeholders = ", ".join("(%s, %s, %s)" for _bucket in buckets)
    params: list[Any] = []
    for index, bucket in enumerate(buckets):
        params += [index, _date(bucket.first), _date(bucket.last)]
    return f"buckets (bucket, first_month, last_month) AS (VALUES {placeholders})", params


def _segment_of(arr: str) -> tuple[str, list[Any]]:
    bands = segment_bands()
    whens = " ".join(f"WHEN {arr} >= %s THEN '{key}'" for key, _lower in bands)
    return f"CASE {whens} ELSE '{bands[-1][0]}' END", [_number(lower) for _key, lower in bands]


_STATIC_KEYS = {"company": "'all'", "industry": "a.industry", "icp_fit": "a.icp_fit"}


def _movements_by_month_sql(
    *, group_by: str, latest: date, in_scope: str, scope_params: list[Any]
) -> tuple[str, list[Any]]:
    """Per month and group: the change of the ARR in force (``d_arr``) and of the
    accounts with ARR (``d_logo``) that the month's movements make."""
    join = f" JOIN {ACCOUNT} a ON a.id = m.account_id" if group_by in ("industry", "icp_fit") else ""
    static = _STATIC_KEYS.get(group_by)
    if static is not None:
        sql = f"""
        SELECT m.month, {static} AS group_key, SUM(m.arr_after - m.arr_before) AS d_arr,
               SUM(CASE WHEN m.arr_after > 0 THEN 1 ELSE 0 END - CASE WHEN m.arr_before > 0 THEN 1 ELSE 0 END) AS d_logo
          FROM {MOVEMENT} m{join} WHERE m.month <= %s{in_scope} GROUP BY 1, 2
        """  # noqa: S608 - table names, fixed SQL and placeholders only
        return sql, [_date(latest), *scope_params]
    after, after_params = _segment_of("m.arr_after")
    before, before_params = _segment_of("m.arr_before")
    sql = f"""
    SELECT month, group_key, SUM(d_arr) AS d_arr, SUM(d_logo) AS d_logo FROM (
        SELECT m.month, {after} AS group_key, m.arr_after AS d_arr,
               CASE WHEN m.arr_after > 0 THEN 1 ELSE 0 END AS d_logo
          FROM {MOVEMENT} m WHERE m.month <= %s{in_scope}
        UNION ALL
        SELECT m.month, {before}, -m.arr_before, -(CASE WHEN m.arr_before > 0 THEN 1 ELSE 0 END)
          FROM {MOVEMENT} m WHERE m.month <= %s{in_scope}
    ) sides GROUP BY month, group_key
    """  # noqa: S608 - table names, fixed SQL and placeholders only
    return sql, [*after_params, _date(latest), *scope_params, *before_params, _date(latest), *scope_params]


def _telescoped_sql(
    *, buckets: Sequence[Bucket], group_by: str, scope: tuple[str, Sequence[Any]] | None
) -> tuple[str, list[Any]]:
    """The cohort report without a pass over every account's whole ledger per bucket.

    An account's ARR in force at a bucket's start is the sum of its movements before it,
    so a group's starting ARR and accounts are sums over the movements before the start
    (``_movements_by_month_sql``), grouped by month and group first, so the buckets join
    a few rows per month. Only the accounts that moved inside a bucket are
    followed one by one (``inside``): their first movement's ``arr_before`` tells whether
    they are in the cohort, their last one's ``arr_after`` whether they kept ARR.
    """
    cte, params = _buckets_cte(buckets)
    in_scope, scope_params = ("", [])
    if scope is not None:
        in_scope, scope_params = f" AND m.account_id IN ({scope[0]})", list(scope[1])
    static = _STATIC_KEYS.get(group_by)
    base, base_params = _movements_by_month_sql(
        group_by=group_by, latest=max(bucket.last for bucket in buckets), in_scope=in_scope, scope_params=scope_params
    )

    def kind_sum(kind: str) -> str:
        return f"SUM(CASE WHEN i.kind = '{kind}' THEN i.amount ELSE 0 END) AS {kind}"

    key_params: list[Any] = []
    if static is not None:
        group_key = static
    else:
        group_key, key_params = _segment_of("(CASE WHEN p.start_arr > 0 THEN p.start_arr ELSE p.end_arr END)")
    account_join = f" JOIN {ACCOUNT} a ON a.id = p.account_id" if group_by in ("industry", "icp_fit") else ""
    cohort = "p.start_arr > 0"
    sql = f"""
    WITH {cte},
    base AS ({base}),
    starting AS (
        SELECT b.bucket, s.group_key, SUM(s.d_arr) AS start_arr, SUM(s.d_logo) AS n_start
          FROM base s JOIN buckets b ON s.month < b.first_month
         GROUP BY b.bucket, s.group_key
    ),
    inside AS (
        SELECT b.bucket, m.account_id, m.kind, m.amount, m.arr_before, m.arr_after,
               ROW_NUMBER() OVER (PARTITION BY b.bucket, m.account_id ORDER BY m.month) AS from_start,
               ROW_NUMBER() OVER (PARTITION BY b.bucket, m.account_id ORDER BY m.month DESC) AS from_end
          FROM {MOVEMENT} m JOIN buckets b ON m.month >= b.first_month AND m.month <= b.last_month
         WHERE 1 = 1{in_scope}
    ),
    pa AS (
        SELECT i.bucket, i.account_id,
               SUM(CASE WHEN i.from_start = 1 THEN i.arr_before ELSE 0 END) AS start_arr,
               SUM(CASE WHEN i.from_end = 1 THEN i.arr_after ELSE 0 END) AS end_arr,
               {kind_sum("expansion")}, {kind_sum("contraction")}, {kind_sum("churn")},
               {kind_sum("reactivation")}, {kind_sum("new")}
          FROM inside i GROUP BY i.bucket, i.account_id
    ),
    moved AS (
        SELECT p.bucket, {group_key} AS group_key,
               SUM(CASE WHEN {cohort} THEN p.end_arr - p.start_arr ELSE 0 END) AS change,
               SUM(CASE WHEN {cohort} AND p.end_arr <= 0 THEN 1 ELSE 0 END) AS lost,
               SUM(CASE WHEN {cohort} THEN p.expansion ELSE 0 END) AS expansion,
               SUM(CASE WHEN {cohort} THEN p.contraction ELSE 0 END) AS contraction,
               SUM(CASE WHEN {cohort} THEN p.churn ELSE 0 END) AS churn,
               SUM(CASE WHEN {cohort} THEN p.reactivation ELSE 0 END) AS reactivation,
               SUM(p.new) AS new
          FROM pa p{account_join} GROUP BY 1, 2
    ),
    keys AS (SELECT bucket, group_key FROM starting UNION SELECT bucket, group_key FROM moved)
    SELECT k.bucket, k.group_key,
           COALESCE(s.start_arr, 0) AS start_arr, COALESCE(s.n_start, 0) AS n_start,
           COALESCE(s.n_start, 0) - COALESCE(d.lost, 0) AS n_retained,
           COALESCE(s.start_arr, 0) + COALESCE(d.change, 0) AS end_arr,
           COALESCE(d.expansion, 0) AS expansion, COALESCE(d.contraction, 0) AS contraction,
           COALESCE(d.churn, 0) AS churn, COALESCE(d.reactivation, 0) AS reactivation,
           COALESCE(d.new, 0) AS new
      FROM keys k
      LEFT JOIN starting s ON s.bucket = k.bucket AND s.group_key = k.group_key
      LEFT JOIN moved d ON d.bucket = k.bucket AND d.group_key = k.group_key
     WHERE COALESCE(s.n_start, 0) <> 0 OR d.bucket IS NOT NULL
    """  # noqa: S608 - table names, fixed SQL and placeholders only
    in_params = [*params, *base_params, *scope_params, *key_params]
    return sql, in_params


def _money(value: Any) -> Decimal:
    # SQLite sums decimals as floats: round back to cents.
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def group_accounts_sql(
    *,
    bucket: Bucket,
    group_by: str,
    keys: Sequence[Any] | None,
    cohort: bool | None,
    scope: tuple[str, Sequence[Any]] | None,
) -> tuple[str, list[Any]]:
    """``SELECT account_id`` of the accounts of the groups ``keys`` (None: all) in the
    bucket, the cohort only (True), outside it (False) or both (None): for the movements
    list, so that it shows exactly the rows behind a figure."""
    cte, params = _keyed_sql(buckets=[bucket], group_by=group_by, scope=scope)
    where = ["1 = 1"]
    if keys is not None:
        none_key = any(key is None for key in keys)
        real = [key for key in keys if key is not None]
        parts = []
        if real:
            parts.append(f"k.group_key IN ({', '.join('%s' for _key in real)})")
            params += real
        if none_key:
            parts.append("k.group_key IS NULL")
        where.append("(" + (" OR ".join(parts) or "1 = 0") + ")")
    if cohort is True:
        where.append("k.start_arr > 0")
    elif cohort is False:
        where.append("k.start_arr <= 0")
    return f"{cte} SELECT k.account_id FROM keyed k WHERE {' AND '.join(where)}", params  # noqa: S608 - fixed SQL and placeholders only
