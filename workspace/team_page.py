"""The team page: books of business per CSM with every app's columns; its figures are
computed once and kept for a few minutes.

The page aggregates every visible account several ways (book, segments, industries,
health colours, renewals due, dossier quality, renewal rates over four quarters,
activation and active rates, NPS, expansion, process quality, hiring triggers): about
forty set-based queries, a second or more for an admin over 50,000 accounts. Managers
open it many times a day and the figures move slowly, so — like the scorecards of
Gainsight or ChurnZero — it shows figures "as of" a time and keeps them for
``HOURGLASS_TEAM_FIGURES_CACHE_SECONDS`` (default 300; 0 turns the cache off).

- Cached per viewer (their scope), day and language; never shared between people.
- "Refresh" (``?refresh=1``) recomputes at once.
- Changes made from the capacity pages (rebalancing applied, preset or settings,
  ratios, profiles) bump a generation number (``capacity.team_cache``), so the next
  view recomputes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.access import AnyUser
from accounts.reviews import OwnerQuality
from capacity.compensation import CompensationView, compensation_form_hint
from capacity.forms import PresetForm
from capacity.selectors import TeamBooks, book_of_business, hiring_recommendations, sort_books
from capacity.team_cache import team_figures_generation
from capacity.team_columns import (
    TeamColumn,
    expansion_and_nps_columns,
    overdue_contacts_column,
    process_quality_columns,
    renewal_columns,
    usage_columns,
)
from config.http import HtmxHttpRequest
from core.charts import ChartSpec, Colour, Series, bar_chart
from core.people import display_name
from org.models import Role
from org.roles import is_manager_or_admin, role_of
from playbooks.team_columns import overdue_tasks_by_assignee

# Part of every key: bump it when ``TeamFigures`` (or what it holds) changes shape, so a
# deploy never reads figures pickled by the previous version.
FIGURES_VERSION = 3


@dataclass
class TeamFigures:
    books: TeamBooks
    columns: list[TeamColumn]
    recommendations: list[Any]
    # The compensation hint from the company's own figures (managers; None for a CSM).
    compensation: CompensationView | None
    computed_at: datetime
    cached: bool = False


def cache_seconds() -> int:
    return int(getattr(settings, "HOURGLASS_TEAM_FIGURES_CACHE_SECONDS", 300))


def _key(user: AnyUser, today: date, manager: bool) -> str:
    viewer = f"{user.pk}:{int(manager)}:{today.isoformat()}:{get_language()}"
    return f"workspace:team:v{FIGURES_VERSION}:{team_figures_generation()}:{viewer}"


def team_columns(
    *, user: AnyUser, user_ids: Sequence[int], today: date, quality: Mapping[int, OwnerQuality]
) -> list[TeamColumn]:
    """Every column with data: outcomes, the overdue work, then process quality."""
    columns = [
        *renewal_columns(user=user, user_ids=user_ids, today=today),
        *usage_columns(user_ids=user_ids, today=today),
        *expansion_and_nps_columns(user_ids=user_ids, today=today),
        *overdue_contacts_column(user_ids=user_ids, today=today),
        TeamColumn(
            "overdue_tasks", _("Overdue tasks"), overdue_tasks_by_assignee(user_ids=user_ids, today=today), "count"
        ),
        *process_quality_columns(user_ids=user_ids, today=today, quality=quality),
    ]
    return [column for column in columns if column.present]


def team_figures(*, user: AnyUser, manager: bool, today: date | None = None, refresh: bool = False) -> TeamFigures:
    """Books, columns, hiring recommendations and compensation hint for ``user``'s team page."""
    today = today or timezone.localdate()
    seconds = cache_seconds()
    key = _key(user, today, manager)
    if seconds > 0 and not refresh:
        found = cache.get(key)
        if isinstance(found, TeamFigures):
            found.cached = True
            return found
    books = book_of_business(user=user, today=today)
    quality = {row.user.pk: row.quality for row in books.rows if row.quality}
    columns = team_columns(user=user, user_ids=[row.user.pk for row in books.rows], today=today, quality=quality)
    figures = TeamFigures(
        books=books,
        columns=columns,
        recommendations=hiring_recommendations(user=user, books=books) if manager else [],
        compensation=compensation_form_hint(user=user, data={}, csms=len(books.rows), today=today) if manager else None,
        computed_at=timezone.now(),
    )
    if seconds > 0:
        cache.set(key, figures, seconds)
    return figures


def team_charts(*, rows: Sequence[Any], columns: Sequence[TeamColumn], band_max: Decimal | None) -> list[ChartSpec]:
    """ARR per CSM against the band, and the renewal rates per CSM (when present)."""
    if not rows:
        return []
    labels = [display_name(row.user) for row in rows]
    series = [Series(_("ARR"), [float(row.arr) for row in rows], colour="blue")]
    if band_max is not None:
        series.append(Series(_("Band maximum"), [float(band_max)] * len(rows), colour="red", kind="line", dashed=True))
    charts = [bar_chart(_("Book per CSM"), labels, series, y_format="money")]
    rates = [column for column in columns if column.key in ("logo_renewal", "revenue_renewal")]
    if rates:
        colours: list[Colour] = ["green", "teal"]
        charts.append(
            bar_chart(
                _("Renewal rates per CSM"),
                labels,
                [
                    Series(column.label, [float(column.values.get(row.user.pk) or 0) for row in rows], colour=colour)
                    for column, colour in zip(rates, colours, strict=False)
                ],
                y_format="percent",
            )
        )
    return charts


def attach_columns(rows: Sequence[Any], columns: Sequence[TeamColumn]) -> None:
    """Give each ``CsmBook`` row its ``(column, figure)`` pairs for the template."""
    for row in rows:
        row.extra = [(column, column.values.get(row.user.pk)) for column in columns]


@login_required
def team_view(request: HtmxHttpRequest) -> HttpResponse:
    """Books of business with load vs floor, ceiling and band: own (CSM), team, all."""
    manager = is_manager_or_admin(request.user)
    today = timezone.localdate()
    figures = team_figures(user=request.user, manager=manager, today=today, refresh=bool(request.GET.get("refresh")))
    books, columns = figures.books, figures.columns
    ordering = request.GET.get("ordering", "")
    rows = sort_books(books.rows, ordering)
    attach_columns(rows, columns)
    context = {
        "books": books,
        "rows": rows,
        "ordering": ordering,
        "is_manager": manager,
        "figures": figures,
        "config": books.config,
        "hours": list(books.hours.values()),
        "recommendations": figures.recommendations,
        "preset_form": PresetForm(initial={"preset": books.config.preset})
        if role_of(request.user) == Role.ADMIN
        else None,
        "ratios": list(books.config.ratios.values()),
        "columns": [column for column in columns if column.group == "outcome"],
        "process_columns": [column for column in columns if column.group == "process"],
        "charts": team_charts(rows=books.rows, columns=columns, band_max=books.config.band_max),
        "compensation": (
            compensation_form_hint(user=request.user, data=request.GET, csms=len(books.rows), today=today)
            if request.GET.get("contracts") or request.GET.get("renewal_rate")
            else figures.compensation
        )
        if manager
        else None,
    }
    template = (
        "workspace/_team_table.html" if request.htmx and request.htmx.target == "team-table" else "workspace/team.html"
    )
    return render(request, template, context)
