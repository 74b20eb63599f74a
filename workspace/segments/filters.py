"""A saved segment's filter: the book's query parameters, checked by ``BookFilter``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _

from accounts.models import Account, SavedSegment
from accounts.saved_segments import clean_filters
from core.types import AnyUser

from ..book_filter import BookFilter, book_columns

# What a segment stores: the book's filters, and its sort (kept for opening it);
# never another segment's members (a segment of segments would depend on their order).
STORED = tuple(name for name in BookFilter.base_filters if name != "in_segment")


class _Reader:
    """The request a FilterSet reads its choices from (the owners one may filter by)."""

    def __init__(self, user: AnyUser) -> None:
        self.user = user


def filter_params(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """The book's filter parameters in ``data`` (a QueryDict or a JSON object)."""
    lists = data.lists() if isinstance(data, QueryDict) else data.items()
    params: dict[str, list[str]] = {}
    for name, values in lists:
        if name in BookFilter.base_filters:
            params[name] = values if isinstance(values, list) else [values]
    return params


def _query(filters: Mapping[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, values in filters.items():
        query.setlist(name, [str(value) for value in values])
    return query


def segment_filterset(filters: Mapping[str, list[str]], *, user: AnyUser | None = None) -> BookFilter:
    """The book's filter bound to ``filters``, over every account (members cover all;
    readers see them within their scope). ``user``: whose owner choices apply (saving);
    ``None`` for the refresh, where any person may be the owner filtered by."""
    filterset = BookFilter(
        _query(filters), queryset=book_columns(Account.objects.all()), request=_Reader(user) if user else None
    )
    if user is None:
        filterset.filters["owner"].queryset = get_user_model().objects.all()
    return filterset


class SegmentFilterInvalid(ValidationError):
    """The filter's problems by parameter (``errors``), e.g. ``{"stage": ["…"]}``."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__({"filters": [f"{name}: {' '.join(messages)}" for name, messages in errors.items()]})


def segment_filter_check(data: Any, *, user: AnyUser) -> dict[str, list[str]]:
    """``data``'s book filters (a QueryDict of the book's parameters, or the stored JSON),
    checked as the book would; ``SegmentFilterInvalid`` names each bad parameter."""
    filters = clean_filters(filter_params(data) if isinstance(data, QueryDict) else data)
    if "in_segment" in filters:
        raise SegmentFilterInvalid({"in_segment": [_("A segment's filter cannot name another saved segment.")]})
    if unknown := sorted(set(filters) - set(STORED)):
        raise SegmentFilterInvalid({name: [_("Not a filter of the book.")] for name in unknown})
    filterset = segment_filterset(filters, user=user)
    if not filterset.is_valid():
        raise SegmentFilterInvalid(
            {name: [str(error) for error in errors] for name, errors in filterset.errors.items()}
        )
    return filters


def disabled_labels(segment: SavedSegment) -> list[str]:
    """The labels of the filter parameters that stopped validating (``disabled_reason``
    holds their names, so the reason is read in the reader's language)."""
    names = [name for name in segment.disabled_reason.split(",") if name]
    return [str(BookFilter.base_filters[name].label) if name in BookFilter.base_filters else name for name in names]
