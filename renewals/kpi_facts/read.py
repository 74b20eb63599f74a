"""Reading the KPI cells for a request: one aggregate over a few thousand rows.

A user's scope is a condition on the cells' keys, as ``accounts.access`` draws it: an
admin every cell, a CSM the cells of their own accounts (``owner_key``), a manager
those of their own accounts, of the owners in the teams they lead and their teams'
unassigned queue (``owner_key`` 0 and ``queue_key``). Other roles (sales,
implementation) see accounts by fields the cells do not keep: their reports compute
directly, as do all reports while the cells are unbuilt or built with other settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, Q, Subquery, Sum

from accounts.access import AnyUser
from org.models import Team
from org.roles import Role, role_of

from ..adoption_kpis import BEFORE
from ..kpis import _GROUP_FIELDS, _NO_OWNER, _owners, quarter_start
from ..periods import add_months
from .build import fingerprint
from .models import FIGURES, KpiCell, KpiDirtyAccount, KpiFactState
from .services import INLINE_REFRESH_MAX, kpi_marked_refresh

# The cell column each grouping sums by (team: the owner, whose team is looked up).
GROUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "company": (),
    "team": ("owner_key",),
    "csm": ("owner_key",),
    "segment": ("segment",),
    "industry": ("industry",),
    "icp_fit": ("icp_fit",),
}


@dataclass(frozen=True)
class CubeRows:
    """The cells' sums per group and quarter for every quarter up to the last asked."""

    group_by: str
    rows: list[dict[str, Any]]


def _scope(user: AnyUser) -> Q | None | bool:
    """The cells ``user`` may read: a condition, None for all, False when the cells cannot
    express the user's scope."""
    role = role_of(user)
    if role == Role.ADMIN:
        return None
    if role == Role.CSM:
        return Q(owner_key=user.pk)
    if role == Role.MANAGER:
        members = get_user_model().objects.filter(cs_profile__team__lead_id=user.pk).values("pk")
        teams = Team.objects.filter(lead_id=user.pk).values("pk")
        return Q(owner_key=user.pk) | Q(owner_key__in=Subquery(members)) | Q(owner_key=0, queue_key__in=Subquery(teams))
    return False


def ledger_scope_sql(user: AnyUser) -> tuple[str, tuple[Any, ...]] | None:
    """SQL over the ledger cells ``c`` for ``user``'s scope (None: all); only for the roles
    ``_scope`` expresses (``cube_rows`` answered)."""
    role = role_of(user)
    if role == Role.ADMIN:
        return None
    if role == Role.MANAGER:
        members, member_params = (
            get_user_model().objects.filter(cs_profile__team__lead_id=user.pk).values("pk").query.sql_with_params()
        )
        teams, team_params = Team.objects.filter(lead_id=user.pk).values("pk").query.sql_with_params()
        sql = f"c.owner_key = %s OR c.owner_key IN ({members}) OR (c.owner_key = 0 AND c.queue_key IN ({teams}))"
        return sql, (user.pk, *member_params, *team_params)
    return "c.owner_key = %s", (user.pk,)


def _ready() -> bool:
    """Whether the cells answer: built with today's settings, nothing marked left over
    (a few marked accounts are refreshed first). One query when nothing is marked."""
    state = (
        KpiFactState.objects.filter(key="facts")
        .annotate(marked=Exists(KpiDirtyAccount.objects.all()))
        .values_list("fingerprint", "marked")
        .first()
    )
    if state is None or state[0] != fingerprint():
        return False
    if state[1]:
        if KpiDirtyAccount.objects.count() > INLINE_REFRESH_MAX:
            return False
        kpi_marked_refresh()
    return True


def cube_rows(*, user: AnyUser, last: date, group_by: str) -> CubeRows | None:
    """The sums per group and quarter up to ``last``'s quarter in ``user``'s scope, or
    None when the reports must compute directly."""
    scope = _scope(user)
    if scope is False or group_by not in GROUP_COLUMNS or not _ready():
        return None
    cells = KpiCell.objects.filter(quarter__lte=last).order_by()
    if scope is not None:
        assert isinstance(scope, Q)
        cells = cells.filter(scope)
    columns = GROUP_COLUMNS[group_by]
    found = cells.values(*columns, "quarter").annotate(**{f"s_{name}": Sum(name) for name in FIGURES})
    rows = [_named(group_by, values) for values in found]
    if group_by in ("team", "csm"):
        owners = _owners({row["account__owner"] for row in rows} - {None})
        for row in rows:
            row.update(owners.get(row["account__owner"], _NO_OWNER))
    return CubeRows(group_by=group_by, rows=rows)


# The names the reports' direct aggregates give each grouping's key.
_KEY_NAMES = {
    "owner_key": "account__owner",
    "segment": "kpi_segment",
    "industry": "account__industry",
    "icp_fit": "account__icp_fit",
}


def _named(group_by: str, values: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {name: values[f"s_{name}"] for name in FIGURES}
    row["quarter"] = values["quarter"]
    for column in GROUP_COLUMNS[group_by]:
        key = values[column]
        row[_KEY_NAMES[column]] = (key or None) if column == "owner_key" else key
    return row


def _quarter_end(quarter: date) -> date:
    return add_months(quarter, 3) - timedelta(days=1)


def renewal_results(cube: CubeRows, *, start: date, end: date) -> list[dict[str, Any]] | None:
    """The rows of ``kpis.retention_report``'s aggregate (per group and due quarter) from
    the cells, when ``[start, end]`` is whole quarters; else None (compute directly)."""
    if start != quarter_start(start) or end != _quarter_end(quarter_start(end)):
        return None
    rows = []
    for row in cube.rows:
        quarter = _day(row["quarter"])
        if start <= quarter <= end:
            rows.append({**row, "quarter": quarter})
    return rows


def adoption_results(cube: CubeRows, *, quarters: list[date]) -> list[dict[str, Any]]:
    """The rows of ``adoption_kpis._figures`` (per group and go-live bucket) from the cells."""
    index_of = {quarter: index for index, quarter in enumerate(quarters)}
    names = _GROUP_FIELDS[cube.group_by]
    rows = []
    # A group is there when an account in it is live by the last quarter (the direct
    # aggregate groups those accounts): cells of renewals alone make no row.
    live: set[tuple[Any, ...]] = set()
    for row in cube.rows:
        if row["launched"]:
            live.add(tuple(row[name] for name in names))
    for row in cube.rows:
        quarter = _day(row["quarter"])
        index = index_of.get(quarter, BEFORE)
        if (index == BEFORE and quarter >= quarters[0]) or tuple(row[name] for name in names) not in live:
            continue  # after the last quarter shown (the query stops at its end), or no one live
        values: dict[str, Any] = {f"g{position}": row[name] for position, name in enumerate(names)}
        values["adoption_quarter"] = index
        values["n"] = row["launched"]
        values["n_activated"] = row["activated"] if index != BEFORE else 0
        for position in range(len(quarters)):
            values[f"active_{position}"] = row["active"] if position == index else 0
        rows.append(values)
    return rows


def _day(value: Any) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value)
    return value.date() if hasattr(value, "date") else value
