"""The ledger per account and calendar quarter (``ArrQuarter``) and its company-wide
totals (``ArrQuarterTotal``): written with the movements, read by the KPI page.

An account's figures over a period of whole quarters ``q1 … qn`` add up from its
quarter rows: its starting ARR is ``arr_start`` of ``q1``, it is in the cohort when that
is > 0 (bit ``number − q1`` of ``held`` on every later row), its ARR at the end is
``arr_end`` of ``qn`` and its movements are those of the rows in between. So a group's
figures are plain sums over the rows of the period, and the company's over the totals
(summed per quarter and ``held`` pattern): no pass over every account's ledger.
Portable SQL (PostgreSQL and SQLite ≥ 3.28, window functions).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db import connection

from .ledger_models import ArrMovement, ArrQuarter, ArrQuarterTotal
from .ledger_sql import _STATIC_KEYS, ACCOUNT, ACCOUNT_HISTORY, Bucket, _run, _segment_of

MOVEMENT = ArrMovement._meta.db_table
QUARTER = ArrQuarter._meta.db_table
TOTAL = ArrQuarterTotal._meta.db_table
KINDS = ("expansion", "contraction", "churn", "reactivation", "new")
QUARTER_COLUMNS = f"account_id, quarter, number, held, arr_start, arr_end, {', '.join(KINDS)}"
TOTAL_SUMS = ("accounts", "retained", "arr_start", "arr_end", *KINDS)


def quarter_number(day: date) -> int:
    return day.year * 4 + (day.month - 1) // 3


def quarter_of_number(number: int) -> date:
    return date(number // 4, 3 * (number % 4) + 1, 1)


def _quarter_number_sql(expression: str) -> str:
    """SQL: ``quarter_number`` of a date expression."""
    if connection.vendor == "postgresql":
        # date_part (a double) rather than EXTRACT (a numeric): cheaper per row.
        year, month = (f"CAST(date_part('{part}', {expression}) AS integer)" for part in ("year", "month"))
    else:
        # %% because the statement goes with parameters (a literal % would be a placeholder).
        year, month = (f"CAST(strftime('{part}', {expression}) AS integer)" for part in ("%%Y", "%%m"))
    return f"({year} * 4 + ({month} - 1) / 3)"


# The ``held`` bits are computed on a ring of ``_RING`` bits (a power of two, at least
# twice ``HELD_QUARTERS``): quarter j's bit sits at position (−j) mod ``_RING``, so that
# the bits of up to ``_RING − 1`` consecutive quarters never collide and add up as an OR.
_HELD = ArrQuarter.HELD_QUARTERS
_RING = 2 * _HELD
assert _RING & (_RING - 1) == 0, "HELD_QUARTERS must be a power of two"
_RING_MASK, _HELD_MASK = (1 << _RING) - 1, (1 << _HELD) - 1


def _rotate(value: str, by: str, *, left: bool) -> str:
    """SQL: ``value`` (< 2^_RING) rotated by ``by`` (0 … _RING − 1) positions on the ring."""
    first, second = ("<<", ">>") if left else (">>", "<<")
    return f"((({value}) {first} ({by})) | (({value}) {second} ({_RING} - ({by})))) & {_RING_MASK}"


def _at_most(value: str, limit: int) -> str:
    return f"(CASE WHEN {value} > {limit} THEN {limit} ELSE {value} END)"


def quarters_sql(*, horizon: date, account_id: int | None = None, source: str = MOVEMENT) -> tuple[str, list[Any]]:
    """The ``SELECT`` of the quarter rows (``QUARTER_COLUMNS``) from the movements in
    ``source`` (a table with ``ArrMovement``'s columns), every account's or one's, for the
    quarters up to the one of ``horizon``.

    Set-based over the account's quarters *with* movements (``mq``), then each of those
    spread over the quiet quarters up to the next one (``JOIN qs``): their ARR is the
    one it ended with, nothing moves. ``held`` takes one window over the ring of bits:
    each movement quarter contributes the quarter starts since the previous one at
    which the account had ARR (clipped to ``HELD_QUARTERS``); the contributions of the
    movement quarters of the last ``HELD_QUARTERS`` summed and rotated give the bits
    at that quarter; a quiet quarter d quarters later shifts them by d and fills in
    the ARR it carries.
    """
    only = " WHERE m.account_id = %s" if account_id is not None else ""
    one: list[Any] = [account_id] if account_id is not None else []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(m.month) FROM {source} m{only}", one)  # noqa: S608 - names only
        (earliest,) = cursor.fetchone()
    last = quarter_number(horizon)
    if earliest is None:
        return f"SELECT {QUARTER_COLUMNS} FROM {QUARTER} WHERE 1 = 0", []  # noqa: S608 - names only
    if isinstance(earliest, str):
        earliest = date.fromisoformat(earliest)
    numbers = list(range(quarter_number(earliest), last + 1)) or [last]
    values = ", ".join("(%s, %s)" for _number in numbers)
    params: list[Any] = []
    for number in numbers:
        params += [connection.ops.adapt_datefield_value(quarter_of_number(number)), number]
    sums = ", ".join(f"SUM(CASE WHEN m.kind = '{kind}' THEN m.amount ELSE 0 END) AS {kind}" for kind in KINDS)
    here = "q.number = x.number"
    picked = ", ".join(f"CASE WHEN {here} THEN x.{kind} ELSE 0 END AS {kind}" for kind in KINDS)
    since = _at_most("r.number - r.previous", _HELD)
    later = _at_most("q.number - x.number", _HELD)
    ring = f"((-{{0}}.number) & {_RING - 1})"
    window = f"PARTITION BY e.account_id ORDER BY e.number RANGE BETWEEN {_HELD - 1} PRECEDING AND CURRENT ROW"
    sql = f"""
    WITH qs (quarter, number) AS (VALUES {values}),
    mq AS (
        SELECT m.account_id, {_quarter_number_sql("m.month")} AS number,
               SUM(CASE WHEN m.kind IN ('contraction', 'churn') THEN -m.amount ELSE m.amount END) AS change, {sums}
          FROM {source} m{only} GROUP BY 1, 2
    ),
    runs AS (
        SELECT x.*, ROUND(SUM(x.change) OVER w, 2) AS arr_end,
               COALESCE(LAG(x.number) OVER w, x.number - {_HELD}) AS previous,
               COALESCE(LEAD(x.number) OVER w, {last + 1}) AS next
          FROM mq x WINDOW w AS (PARTITION BY x.account_id ORDER BY x.number)
    ),
    ended AS (
        SELECT r.*, ROUND(r.arr_end - r.change, 2) AS arr_start,
               CASE WHEN ROUND(r.arr_end - r.change, 2) > 0
                    THEN {_rotate(f"(1 << {since}) - 1", ring.format("r"), left=True)} ELSE 0 END AS bits
          FROM runs r
    ),
    ringed AS (SELECT e.*, SUM(e.bits) OVER ({window}) AS ring FROM ended e)
    SELECT x.account_id, q.quarter, q.number,
           (((({_rotate("x.ring", ring.format("x"), left=False)}) & {_HELD_MASK}) << {later})
            | CASE WHEN x.arr_end > 0 THEN (1 << {later}) - 1 ELSE 0 END) & {_HELD_MASK} AS held,
           CASE WHEN {here} THEN x.arr_start ELSE x.arr_end END AS arr_start, x.arr_end, {picked}
      FROM ringed x JOIN qs q ON q.number >= x.number AND q.number < x.next
     WHERE {here} OR x.arr_end <> 0
    """  # noqa: S608 - table names, fixed SQL and placeholders only
    return sql, [*params, *one]


def _totals_select(source: str = QUARTER, where: str = "") -> str:
    return (
        f"SELECT number, held, COUNT(*) AS accounts, SUM(CASE WHEN arr_end > 0 THEN 1 ELSE 0 END) AS retained, "  # noqa: S608
        f"SUM(arr_start) AS arr_start, SUM(arr_end) AS arr_end, {', '.join(f'SUM({k}) AS {k}' for k in KINDS)} "
        f"FROM {source}{where} GROUP BY number, held"
    )


def quarters_rebuild(*, horizon: date) -> int:
    """Every account's quarter rows and the totals from the movements table, replaced
    row by row in the caller's transaction (SQLite, and the migration that added them;
    PostgreSQL's nightly rebuild replaces them in bulk: ``renewals.ledger``)."""
    sql, params = quarters_sql(horizon=horizon)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {QUARTER}")  # noqa: S608 - names only
        cursor.execute(f"INSERT INTO {QUARTER} ({QUARTER_COLUMNS}) {sql}", params)
        rows = max(cursor.rowcount, 0)
        totals_replace(cursor, source=QUARTER)
    return rows


def totals_replace(cursor: Any, *, source: str) -> None:
    """The totals, all rewritten from the quarter rows in ``source`` (a few hundred rows:
    deleted and inserted, so readers see the old totals until the commit)."""
    cursor.execute(f"DELETE FROM {TOTAL}")  # noqa: S608 - names only
    cursor.execute(f"INSERT INTO {TOTAL} (number, held, {', '.join(TOTAL_SUMS)}) {_totals_select(source)}")


def quarters_account_update(*, account_id: int, horizon: date | None) -> int:
    """Replace one account's quarter rows (``horizon`` None: remove them) and move the
    totals by the difference.

    The difference (old rows out, new rows in) goes into the totals in one upsert in key
    order, so concurrent updates of other accounts lock the total rows they share in the
    same order and never deadlock. Totals left at zero accounts stay (they add nothing)
    until the nightly rebuild rewrites them: deleting them would lock rows in no order.
    """
    new_sql, new_params = quarters_sql(horizon=horizon, account_id=account_id) if horizon else ("", [])
    sums = ", ".join(TOTAL_SUMS)
    signed = ", ".join(
        [
            "SUM(sign) AS accounts",
            "SUM(CASE WHEN arr_end > 0 THEN sign ELSE 0 END) AS retained",
            *(f"SUM(sign * {name}) AS {name}" for name in ("arr_start", "arr_end", *KINDS)),
        ]
    )
    assign = ", ".join(f"{name} = {TOTAL}.{name} + excluded.{name}" for name in TOTAL_SUMS)
    added = f" UNION ALL SELECT 1, {QUARTER_COLUMNS} FROM ({new_sql}) n" if new_sql else ""  # noqa: S608
    rows = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TOTAL} (number, held, {sums}) SELECT number, held, {signed} FROM ("  # noqa: S608 - fixed SQL
            f"SELECT -1 AS sign, {QUARTER_COLUMNS} FROM {QUARTER} WHERE account_id = %s{added}"
            f") d WHERE 1 = 1 GROUP BY number, held ORDER BY number, held "
            f"ON CONFLICT (number, held) DO UPDATE SET {assign}",
            [account_id, *new_params],
        )
        cursor.execute(f"DELETE FROM {QUARTER} WHERE account_id = %s", [account_id])  # noqa: S608 - names only
        if new_sql:
            cursor.execute(f"INSERT INTO {QUARTER} ({QUARTER_COLUMNS}) {new_sql}", new_params)
            rows = max(cursor.rowcount, 0)
    return rows


def whole_quarters(first_month: date, last_month: date, today: date) -> tuple[int, int] | None:
    """The quarter numbers of a ledger period when it is whole quarters the quarter rows
    can answer: at most ``HELD_QUARTERS`` of them, all ended before ``today``'s quarter
    (the current one is still moving with the horizon). None otherwise."""
    if (first_month.month - 1) % 3 or last_month.month % 3:
        return None
    first, last = quarter_number(first_month), quarter_number(last_month)
    if last - first >= ArrQuarter.HELD_QUARTERS or last >= quarter_number(today):
        return None
    return first, last


def _buckets_cte(buckets: Sequence[Bucket]) -> tuple[str, list[Any]]:
    placeholders = ", ".join("(%s, %s, %s, %s)" for _bucket in buckets)
    params: list[Any] = []
    for index, bucket in enumerate(buckets):
        first, last = quarter_number(bucket.first), quarter_number(bucket.last)
        params += [index, first, last, connection.ops.adapt_datetimefield_value(bucket.owners_at)]
    return f"qb (bucket, first_number, last_number, owners_at) AS (VALUES {placeholders})", params


def _sums(row: str, *, totals: bool = False) -> list[str]:
    """The cohort report's columns over quarter rows (``totals``: total rows) ``row`` of
    bucket ``b``, plus ``moved``: whether anything moved in the bucket."""
    cohort = cohort_flag(row)
    at_first, at_last = f"{row}.number = b.first_number", f"{row}.number = b.last_number"
    started = f"{row}.accounts" if totals else "1"
    kept = f"{row}.retained" if totals else f"CASE WHEN {row}.arr_end > 0 THEN 1 ELSE 0 END"
    return [
        f"SUM(CASE WHEN {at_first} THEN {row}.arr_start ELSE 0 END) AS start_arr",
        f"SUM(CASE WHEN {at_first} AND {row}.held %% 2 = 1 THEN {started} ELSE 0 END) AS n_start",
        f"SUM(CASE WHEN {at_last} AND {cohort} THEN {kept} ELSE 0 END) AS n_retained",
        f"SUM(CASE WHEN {at_last} AND {cohort} THEN {row}.arr_end ELSE 0 END) AS end_arr",
        *(f"SUM(CASE WHEN {cohort} THEN {row}.{kind} ELSE 0 END) AS {kind}" for kind in KINDS[:4]),
        f"SUM({row}.new) AS new",
        f"SUM({' + '.join(f'{row}.{kind}' for kind in KINDS)}) AS moved",
    ]


def _in_buckets(row: str, buckets: Sequence[Bucket]) -> tuple[str, list[Any]]:
    first = min(quarter_number(bucket.first) for bucket in buckets)
    last = max(quarter_number(bucket.last) for bucket in buckets)
    join = f"JOIN qb b ON {row}.number >= b.first_number AND {row}.number <= b.last_number"
    return f"{join} WHERE {row}.number >= %s AND {row}.number <= %s", [first, last]


def quarters_report(
    *, buckets: Sequence[Bucket], group_by: str, scope: tuple[str, Sequence[Any]] | None
) -> list[dict[str, Any]]:
    """``ledger_sql.cohort_report`` for buckets of whole quarters (``whole_quarters``),
    from the quarter rows: the totals for every account's company figures, else the
    rows of the accounts in scope (one per account and quarter), grouped."""
    cte, params = _buckets_cte(buckets)
    if scope is None and group_by == "company":
        where, where_params = _in_buckets("t", buckets)
        sql = (
            f"WITH {cte} SELECT b.bucket, 'all' AS group_key, {', '.join(_sums('t', totals=True))} "  # noqa: S608
            f"FROM {TOTAL} t {where} GROUP BY b.bucket"
        )
        return _kept(_run(sql, [*params, *where_params]))
    where, where_params = _in_buckets("r", buckets)
    in_scope, scope_params = ("", [])
    if scope is not None:
        in_scope, scope_params = f" AND r.account_id IN ({scope[0]})", list(scope[1])
    static = _STATIC_KEYS.get(group_by)
    if static is not None:
        join = f" JOIN {ACCOUNT} a ON a.id = r.account_id" if group_by != "company" else ""
        by_key = "" if group_by == "company" else f", {static}"  # PostgreSQL refuses GROUP BY 'all'
        sql = (
            f"WITH {cte} SELECT b.bucket, {static} AS group_key, {', '.join(_sums('r'))} "  # noqa: S608
            f"FROM {QUARTER} r{join} {where}{in_scope} GROUP BY b.bucket{by_key}"
        )
        return _kept(_run(sql, [*params, *where_params, *scope_params]))
    if group_by in ("csm", "team"):
        if len(buckets) != 1:
            raise ValueError("by owner, one bucket: the owners are read at its start")
        return _kept(_run(*_owners_sql(cte, params, where, where_params, in_scope, scope_params)))
    if group_by != "segment":
        raise ValueError(f"unknown grouping {group_by!r}")
    # Segment: an account's group follows its ARR at the start, else (not in the cohort)
    # at the end.
    key_sql, key_params = _segment_of("(CASE WHEN k.start_arr > 0 THEN k.start_arr ELSE k.last_arr END)")
    names = ("start_arr", "n_start", "n_retained", "end_arr", *KINDS, "moved")
    sql = f"""
    WITH {cte},
    pa AS (
        SELECT b.bucket, r.account_id, {", ".join(_sums("r"))},
               SUM(CASE WHEN r.number = b.last_number THEN r.arr_end ELSE 0 END) AS last_arr
          FROM {QUARTER} r {where}{in_scope} GROUP BY b.bucket, r.account_id
    ),
    keyed AS (SELECT k.*, {key_sql} AS group_key FROM pa k)
    SELECT k.bucket, k.group_key, {", ".join(f"SUM(k.{name}) AS {name}" for name in names)}
      FROM keyed k GROUP BY k.bucket, k.group_key
    """  # noqa: S608 - table names, fixed SQL and placeholders only
    return _kept(_run(sql, [*params, *where_params, *scope_params, *key_params]))


def _owners_sql(
    cte: str, params: list[Any], where: str, where_params: list[Any], in_scope: str, scope_params: list[Any]
) -> tuple[str, list[Any]]:
    """By the owner at the bucket's start (as ``ledger_sql._group_key`` has it: the last
    history row before it, else today's owner), looked up once per account in one pass
    over the history instead of a probe per account."""
    history_scope, account_scope = (in_scope.replace("r.account_id", name) for name in ("h.id", "a.id"))
    sql = f"""
    WITH {cte},
    before AS (
        SELECT h.id, h.owner_id,
               ROW_NUMBER() OVER (PARTITION BY h.id ORDER BY h.history_date DESC, h.history_id DESC) AS latest
          FROM {ACCOUNT_HISTORY} h JOIN qb b ON b.bucket = 0 WHERE h.history_date < b.owners_at{history_scope}
    ),
    owners AS (
        SELECT a.id AS account_id, CASE WHEN o.id IS NOT NULL THEN o.owner_id ELSE a.owner_id END AS group_key
          FROM {ACCOUNT} a LEFT JOIN before o ON o.id = a.id AND o.latest = 1 WHERE 1 = 1{account_scope}
    )
    SELECT b.bucket, w.group_key, {", ".join(_sums("r"))}
      FROM {QUARTER} r JOIN owners w ON w.account_id = r.account_id {where}{in_scope}
     GROUP BY b.bucket, w.group_key
    """  # noqa: S608 - table names, fixed SQL and placeholders only
    return sql, [*params, *scope_params, *scope_params, *where_params, *scope_params]


def _kept(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The groups with a cohort or a movement in the bucket, as ``cohort_report`` keeps them."""
    kept = []
    for row in rows:
        moved = row.pop("moved", 0)
        if row["n_start"] or moved:
            kept.append(row)
    return kept


def cohort_flag(row: str) -> str:
    """SQL: whether the account of quarter row ``row`` had ARR at bucket ``b``'s start."""
    powers = " ".join(f"WHEN {k} THEN {1 << k}" for k in range(ArrQuarter.HELD_QUARTERS))
    return f"(({row}.held / CASE {row}.number - b.first_number {powers} END) %% 2 = 1)"
