"""The expansion pipeline's chart: per quarter of expected close, stacked by stage.

Open stages count weighted (amount × probability), won ones in full; each bar links to
the pipeline filtered to its quarter (with the page's other filters kept).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _

from core.charts import ChartSpec, Colour, Series, bar_chart

from .expansion_selectors import PipelineQuarter
from .models import ExpansionStage

STAGE_COLOURS: list[tuple[str, Colour]] = [
    (ExpansionStage.IDENTIFIED, "grey"),
    (ExpansionStage.QUALIFIED, "blue"),
    (ExpansionStage.PROPOSAL, "orange"),
    (ExpansionStage.WON, "green"),
]


def quarter_key(row: PipelineQuarter) -> str:
    """The ``quarter`` filter's value for the row's quarter: ``2026-Q1``."""
    return f"{row.quarter.year}-Q{(row.quarter.month - 1) // 3 + 1}"


def expansion_pipeline_chart(rows: Sequence[PipelineQuarter], *, base_query: QueryDict | None) -> ChartSpec | None:
    if not rows:
        return None
    labels = [quarter_key(row).replace("-", " ") for row in rows]
    links = []
    for row in rows:
        query = base_query.copy() if base_query is not None else QueryDict(mutable=True)
        for name in ("page", "quarter"):
            query.pop(name, None)
        query["quarter"] = quarter_key(row)
        links.append(f"{reverse('renewals:expansions')}?{query.urlencode()}")
    series = [
        Series(
            str(ExpansionStage(stage).label)
            if stage == ExpansionStage.WON
            else _("%(stage)s (weighted)") % {"stage": ExpansionStage(stage).label},
            [row.by_stage.get(stage) or 0 for row in rows],
            colour=colour,
        )
        for stage, colour in STAGE_COLOURS
    ]
    return bar_chart(
        _("Expansion pipeline by quarter of expected close"),
        labels,
        series,
        stacked=True,
        y_format="money",
        links=links,
    )
