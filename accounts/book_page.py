"""The accounts list page (a CSM's book): its table rows and sort links, built in Python.

The page shows 50 rows of a dozen cells. Built in the template, every row paid for a
``{% url %}``, four ``get_FOO_display``, three filters, a ``{% blocktranslate %}`` and
some thirty template nodes at ~10 µs each on the production machines: the rows alone
cost more than all of the page's database work. Here what is the same for every row
(translated labels, the detail URL around the pk) is worked out once, and each row is
one ``format_html`` (``core.markup``'s faster twin) of the markup below: the template
prints ``{{ row }}``.

Columns that other apps annotate (``HOURGLASS_ACCOUNT_LIST_ANNOTATORS``: health score,
next renewal, lifecycle stage) are read by attribute name: ``accounts`` imports no
other app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Any

from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, ngettext

from core.formatting import money
from core.markup import format_html_fast
from core.people import display_name

from .models import Account, AccountStatus, IcpFit, Industry
from .segments import Segment

# Columns the headers sort by: ``?ordering=<key>``, the same key again for descending.
SORT_KEYS = (
    "name",
    "industry",
    "arr",
    "health_score",
    "next_renewal_date",
    "dossier_score",
    "stage",
    "status",
    "go_live_date",
)

NO_VALUE = "—"

# One table row; the cells in the order of the headers in ``_account_table.html``.
ROW_HTML = """
      <tr data-testid="account-row">
        <td><a href="{url}">{name}</a>
          {external_id}</td>
        <td><span class="badge text-bg-light hg-badge-segment">{segment}</span></td>
        <td>{industry}</td>
        <td class="text-end">{arr}</td>
        <td class="text-end text-nowrap">{health}</td>
        <td>{next_renewal}</td>
        <td class="text-end"><span class="badge {dossier_badge}">{dossier_score}</span></td>
        <td>{icp_fit}</td>
        <td>{owner}</td>
        <td class="text-nowrap" data-testid="account-stage">{stage}</td>
        <td>{status}</td>
        <td>{go_live}</td>
      </tr>
"""
EXTERNAL_ID_HTML = '<span class="text-muted small ms-1">{}</span>'
MUTED_HTML = '<span class="text-muted">{}</span>'
HEALTH_HTML = '<span class="badge hg-health-{}">{}</span>'
HEALTH_TREND_HTML = '<span class="badge hg-health-{}">{}</span> <span class="small {}">{}</span>'
STAGE_HTML = '<span class="badge text-bg-light hg-stage-{}">{}</span>'
STAGE_DAYS_HTML = STAGE_HTML + ' <span class="small text-muted" title="{}">{}</span>'
NO_VALUE_HTML = format_html_fast(MUTED_HTML, NO_VALUE)

# The columns the rows print (``QuerySet.only()``): the list's queryset carries every
# column of the account and its owner, which the page would fetch and convert for nothing.
ROW_COLUMNS = (
    "name",
    "external_id",
    "industry",
    "arr",
    "icp_fit",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
    "go_live_date",
    "status",
    "dossier_score",
)


@dataclass(frozen=True)
class PageLabels:
    """The page's translated labels in one language: ``get_FOO_display`` in bulk."""

    language: str | None
    segment: dict[str, str]
    industry: dict[str, str]
    icp_fit: dict[str, str]
    status: dict[str, str]
    unassigned: SafeString
    days_in_stage: str


@cache
def page_labels(language: str | None) -> PageLabels:
    """The labels for ``language`` (the active one when called): constant for the life of
    the process, so translated once per language rather than on every row."""

    def labels(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
        return {value: str(label) for value, label in choices}

    return PageLabels(
        language=language,
        segment=labels(Segment.choices),
        industry=labels(Industry.choices),
        icp_fit=labels(IcpFit.choices),
        status=labels(AccountStatus.choices),
        unassigned=format_html_fast(MUTED_HTML, gettext("Unassigned")),
        days_in_stage=gettext("Days in stage"),
    )


def pk_url_builder(url_name: str) -> Callable[[Any], str]:
    """``pk -> reverse(url_name, args=[pk])`` for a URL whose only argument is the pk.

    One ``reverse()`` per page instead of one per row: the URL is reversed for a
    placeholder pk and split around it.
    """
    placeholder = "2147483647"
    head, _, tail = reverse(url_name, args=[placeholder]).rpartition(placeholder)
    return lambda pk: f"{head}{pk}{tail}"


def account_rows(accounts: Iterable[Account]) -> list[SafeString]:
    """The ``<tr>`` of each of ``accounts`` (annotated by ``selectors.account_list``)."""
    labels = page_labels(get_language())
    detail_url = pk_url_builder("accounts:detail")
    return [_row_html(account, labels, detail_url) for account in accounts]


@lru_cache(maxsize=4096)
def _days_text(language: str | None, days: int) -> str:
    """The stage column's "12 days" in the active language, ``language`` (the cache key):
    gettext's plural lookup once per number of days, not on every row."""
    return ngettext("%(days)s day", "%(days)s days", days) % {"days": days}


def _row_html(account: Account, labels: PageLabels, detail_url: Callable[[Any], str]) -> SafeString:
    return format_html_fast(
        ROW_HTML,
        url=detail_url(account.pk),
        name=account.name,
        external_id=format_html_fast(EXTERNAL_ID_HTML, account.external_id) if account.external_id else "",
        segment=labels.segment[account.segment_key],  # type: ignore[attr-defined]  # with_segment()
        industry=labels.industry.get(account.industry, account.industry),
        arr=money(account.arr),
        health=_health_html(account),
        next_renewal=_iso_date(getattr(account, "next_renewal_date", None)),
        dossier_badge=_dossier_badge(account.dossier_score),
        dossier_score=account.dossier_score,
        icp_fit=labels.icp_fit.get(account.icp_fit, account.icp_fit),
        owner=display_name(account.owner) if account.owner_id else labels.unassigned,
        stage=_stage_html(account, labels),
        status=labels.status.get(account.status, account.status),
        go_live=_iso_date(account.go_live_date),
    )


def _health_html(account: Account) -> SafeString:
    """The latest score in its colour, and its change over the last week unless none."""
    score = getattr(account, "health_score", None)
    if score is None:
        return NO_VALUE_HTML
    colour = getattr(account, "health_colour", None) or ""
    week_ago = getattr(account, "health_score_week_ago", None)
    trend = None if week_ago is None else int(score) - int(week_ago)
    if not trend:
        return format_html_fast(HEALTH_HTML, colour, score)
    css = "text-danger" if trend < 0 else "text-success"
    return format_html_fast(HEALTH_TREND_HTML, colour, score, css, f"{trend:+d}")


def _stage_html(account: Account, labels: PageLabels) -> SafeString:
    """The lifecycle stage and, when its start day is known, the days in it."""
    stage = getattr(account, "lifecycle_stage", None)
    if not stage:
        return NO_VALUE_HTML
    label = getattr(account, "lifecycle_label", None) or ""
    days = getattr(account, "lifecycle_days", None)
    if days is None:
        return format_html_fast(STAGE_HTML, stage, label)
    days_text = _days_text(labels.language, days.days)
    return format_html_fast(STAGE_DAYS_HTML, stage, label, labels.days_in_stage, days_text)


def _dossier_badge(score: int) -> str:
    if score >= 80:
        return "text-bg-success"
    return "text-bg-warning" if score >= 50 else "text-bg-danger"


def _iso_date(value: date | None) -> str:
    """``|date:"Y-m-d"|default:"—"`` for a date."""
    return value.isoformat() if value else NO_VALUE


def sort_queries(query: str, current: str) -> dict[str, str]:
    """``{key: query string}`` for each column header: sorts by the column, or reverses
    the order when the page is sorted by it already."""
    return {key: f"{query}&ordering={'-' if current == key else ''}{key}" for key in SORT_KEYS}
