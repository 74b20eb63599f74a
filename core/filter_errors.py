"""A CSV export asked with a filter value it cannot use answers 400 naming the filter.

Pages show such errors above their table and the API answers 400 with them; an export
that ignored the bad filter would hand back rows the caller did not ask for.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBadRequest


def filter_errors_response(filterset: Any) -> HttpResponseBadRequest | None:
    if not filterset.is_bound or filterset.is_valid():
        return None
    lines = [f"{field}: {'; '.join(errors)}" for field, errors in filterset.errors.items()]
    return HttpResponseBadRequest("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
