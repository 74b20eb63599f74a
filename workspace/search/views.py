"""The search pages: the full results page and the quick-jump dialog's results."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.http import HtmxHttpRequest

from . import MAX_QUERY_LENGTH, SearchQueryError, SearchResults, search_for_user

PAGE_LIMIT_PER_TYPE = 20
QUICK_LIMIT_PER_TYPE = 5


def _search(request: HtmxHttpRequest, limit: int) -> tuple[str, SearchResults | None, str]:
    query = request.GET.get("q", "")
    try:
        return query, search_for_user(request.user, query, limit_per_type=limit), ""
    except SearchQueryError as error:
        return query, None, str(error)


@require_GET
@login_required
def search_view(request: HtmxHttpRequest) -> HttpResponse:
    """``/search/?q=``: every type's best 20 hits (an empty query shows the search form)."""
    query, results, error = _search(request, PAGE_LIMIT_PER_TYPE)
    context = {"query": query[: MAX_QUERY_LENGTH * 2], "results": results, "error": error if query else ""}
    return render(request, "workspace/search.html", context)


@require_GET
@login_required
def search_quick_view(request: HtmxHttpRequest) -> HttpResponse:
    """The quick-jump dialog's results (htmx): the best 5 of each type."""
    query, results, error = _search(request, QUICK_LIMIT_PER_TYPE)
    return render(request, "workspace/_search_results.html", {"query": query, "results": results, "error": error})
