"""The one table mechanism of every list page: sortable column headers.

Pagination is the other half: ``{% include "partials/_pagination.html" %}``.
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

# Query parameters that are one-off actions or positions, not the state a sort keeps.
NOT_KEPT = ("page", "refresh")


@register.inclusion_tag("partials/_sort_header.html", takes_context=True)
def sort_header(
    context: template.Context, key: str, label: str, target: str, css: str = "", col: str = ""
) -> dict[str, Any]:
    """``<th>`` linking to the list sorted by ``key`` (``?ordering=key``), or reversed
    (``-key``) when it is sorted by it already; keeps the filters, back to page 1.
    ``target``: the CSS selector of the table's container, which htmx swaps; ``col``: the
    key of an optional column the column chooser may hide (``org.columns``)."""
    query = context["request"].GET.copy()
    for name in NOT_KEPT:
        query.pop(name, None)
    current = query.get("ordering", "")
    query["ordering"] = f"-{key}" if current == key else key
    direction = "ascending" if current == key else "descending" if current == f"-{key}" else ""
    return {
        "query": query.urlencode(),
        "key": key,
        "label": label,
        "target": target,
        "css": css,
        "sorted": direction,
        "col": col,
    }
