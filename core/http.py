"""Redirects to a URL the request names (``next``), kept to this site."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: Any, *, field: str = "next") -> str:
    """The ``next`` URL of a POST (or GET) when it stays on this site, else ``default`` resolved.

    An absolute URL elsewhere would make the app an open redirect, and a ``javascript:``
    URL is refused by ``redirect()`` with a 500; both fall back to ``default`` (a URL,
    a URL name or a model, as ``redirect()`` takes).
    """
    url = request.POST.get(field) or request.GET.get(field) or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(default)
