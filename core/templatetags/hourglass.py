from __future__ import annotations

from typing import Any

import markdown as markdown_lib
import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

from core.formatting import money
from core.people import display_name

register = template.Library()

# The implementation lives in ``core.formatting`` so that views preparing rows in Python
# format amounts exactly as the filter does.
register.filter("money", money)


register.filter("person", display_name)


MARKDOWN_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "h3", "h4", "h5",
    "table", "thead", "tbody", "tr", "th", "td", "a", "hr",
}  # fmt: skip


@register.filter
def markdown(text: str | None) -> SafeString:
    """Markdown → HTML, sanitised (nh3/ammonia): users' notes can never inject script."""
    if not text:
        return mark_safe("")
    html = markdown_lib.markdown(text, extensions=["extra", "sane_lists", "nl2br"], output_format="html")
    cleaned = nh3.clean(html, tags=MARKDOWN_TAGS, attributes={"a": {"href", "title"}}, link_rel="noopener noreferrer")
    return mark_safe(cleaned)  # noqa: S308 - sanitised above


@register.filter
def health_delta(account: Any) -> int | None:
    """Score change over the last week, from the list annotations (None when unknown)."""
    now, before = getattr(account, "health_score", None), getattr(account, "health_score_week_ago", None)
    return None if now is None or before is None else int(now) - int(before)


@register.inclusion_tag("partials/_chart.html")
def chart(spec: Any, chart_id: str = "") -> dict[str, Any]:
    """Render a ``core.charts.ChartSpec``: ``{% chart spec "health-trend" %}``."""
    chart_id = chart_id or f"chart-{abs(hash(spec.title)) % 10**8}"
    return {
        "spec": spec.as_json(),
        "summary": spec.summary(),
        "chart_id": chart_id,
        "data_id": f"{chart_id}-data",
        "height": spec.height,
    }


@register.filter
def timedelta_minutes(value: Any) -> int:
    """A ``timedelta`` in whole minutes, rounded up (a lockout's wait: never "0 minutes")."""
    seconds = value.total_seconds() if hasattr(value, "total_seconds") else float(value or 0)
    return max(1, -(-int(seconds) // 60))
