"""What global search looks in: one ``Source`` per result type.

Each source names its model, the text columns a query matches, the user's scope (the
same selectors the pages use, so search never shows a hit the page would 404), the few
columns a hit shows, and how a row becomes a hit. The engine (``engine.py``) does the
matching and ranking the same way for every source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.access import visible_accounts_q
from accounts.models import Account, DossierSection, SectionKey, Stakeholder, TimelineEntry
from accounts.selectors import account_scope
from core.types import AnyUser
from knowledge.models import Case, CaseStatus
from knowledge.selectors import case_list
from playbooks.models import Task, TaskStatus
from playbooks.selectors import task_scope

SNIPPET_CHARS = 120


@dataclass(frozen=True)
class SearchHit:
    kind: str
    pk: int
    title: str
    subtitle: str
    url: str


@dataclass(frozen=True)
class Source:
    kind: str
    label: Any  # a lazy translation, shown as the group's heading
    model: type[Model]
    fields: tuple[str, ...]  # matched columns; the first one ranks (exact, prefix, shorter)
    scope: Callable[[AnyUser], QuerySet[Any]]
    values: tuple[str, ...]
    to_hit: Callable[[dict[str, Any], str], SearchHit]
    recent_first: str = ""  # a date column that orders equally ranked hits, newest first


def _on_visible_accounts(model: type[Model]) -> Callable[[AnyUser], QuerySet[Any]]:
    """Rows of ``model`` on the accounts the user may see (admins: all, without a join)."""

    def scope(user: AnyUser) -> QuerySet[Any]:
        rows = model._default_manager.all()
        if sees_everything(user):
            return rows
        return rows.filter(account__in=account_scope(user=user).values("pk"))

    return scope


def sees_everything(user: AnyUser) -> bool:
    """Whether the user's scope is every account (an admin): no scope filter at all."""
    return bool(getattr(user, "is_authenticated", False)) and visible_accounts_q(user) is None


def _account_url(account_id: int, anchor: str = "") -> str:
    return reverse("accounts:detail", args=[account_id]) + (f"#{anchor}" if anchor else "")


def snippet(text: str, query: str, width: int = SNIPPET_CHARS) -> str:
    """The part of a long text around the first term of the query that it contains."""
    flat = " ".join(text.split())
    lowered = flat.lower()
    at = next((i for term in query.lower().split() if (i := lowered.find(term)) >= 0), 0)
    start = max(at - width // 3, 0)
    piece = flat[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(flat) else "")


def _account_hit(row: dict[str, Any], query: str) -> SearchHit:
    return SearchHit("account", row["pk"], row["name"], row["external_id"] or "", _account_url(row["pk"]))


def _stakeholder_hit(row: dict[str, Any], query: str) -> SearchHit:
    details = " · ".join(part for part in (row["title"], row["email"], row["account__name"]) if part)
    return SearchHit("stakeholder", row["pk"], row["name"], details, _account_url(row["account_id"], "stakeholders"))


SECTION_LABELS = dict(SectionKey.choices)


def _dossier_hit(row: dict[str, Any], query: str) -> SearchHit:
    section = SECTION_LABELS.get(row["key"], row["key"])
    return SearchHit(
        "dossier",
        row["pk"],
        f"{row['account__name']} · {section}",
        snippet(row["content"], query),
        _account_url(row["account_id"], "dossier"),
    )


def _timeline_hit(row: dict[str, Any], query: str) -> SearchHit:
    when = row["occurred_at"].date().isoformat() if row["occurred_at"] else ""
    return SearchHit(
        "timeline",
        row["pk"],
        row["title"],
        " · ".join(part for part in (row["account__name"], when) if part),
        _account_url(row["account_id"], "timeline"),
    )


TASK_STATUS_LABELS = dict(TaskStatus.choices)
CASE_STATUS_LABELS = dict(CaseStatus.choices)


def _task_hit(row: dict[str, Any], query: str) -> SearchHit:
    status = str(TASK_STATUS_LABELS.get(row["status"], row["status"]))
    return SearchHit(
        "task",
        row["pk"],
        row["title"],
        " · ".join(part for part in (row["account__name"], status) if part),
        reverse("playbooks:task_detail", args=[row["pk"]]),
    )


def _case_hit(row: dict[str, Any], query: str) -> SearchHit:
    status = str(CASE_STATUS_LABELS.get(row["status"], row["status"]))
    return SearchHit("case", row["pk"], row["title"], status, reverse("knowledge:case_detail", args=[row["pk"]]))


def _accounts(user: AnyUser) -> QuerySet[Any]:
    return account_scope(user=user)


def _tasks(user: AnyUser) -> QuerySet[Any]:
    return task_scope(user=user)


def _cases(user: AnyUser) -> QuerySet[Any]:
    # Approved cases are the shared library; drafts stay with their author and reviewers.
    return case_list(user=user).select_related(None)


SOURCES: tuple[Source, ...] = (
    Source(
        "account",
        _("Accounts"),
        Account,
        ("name", "external_id"),
        _accounts,
        ("pk", "name", "external_id"),
        _account_hit,
    ),
    Source(
        "stakeholder",
        _("Stakeholders"),
        Stakeholder,
        ("name", "email"),
        _on_visible_accounts(Stakeholder),
        ("pk", "name", "title", "email", "account_id", "account__name"),
        _stakeholder_hit,
    ),
    Source(
        "dossier",
        pgettext_lazy("search results", "Dossiers"),
        DossierSection,
        ("content",),
        _on_visible_accounts(DossierSection),
        ("pk", "key", "content", "account_id", "account__name"),
        _dossier_hit,
        recent_first="updated_at",
    ),
    Source(
        "timeline",
        pgettext_lazy("search results", "Timeline"),
        TimelineEntry,
        ("title",),
        _on_visible_accounts(TimelineEntry),
        ("pk", "title", "occurred_at", "account_id", "account__name"),
        _timeline_hit,
        recent_first="occurred_at",
    ),
    Source(
        "task",
        pgettext_lazy("search results", "Tasks"),
        Task,
        ("title",),
        _tasks,
        ("pk", "title", "status", "account__name"),
        _task_hit,
        recent_first="due_date",
    ),
    Source(
        "case",
        pgettext_lazy("search results", "Best-practice cases"),
        Case,
        ("title",),
        _cases,
        ("pk", "title", "status"),
        _case_hit,
    ),
)
KINDS = tuple(source.kind for source in SOURCES)
