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

from django.db.models import F, Lookup, Model, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.access import visible_accounts_q
from accounts.models import Account, DossierSection, SectionKey, Stakeholder, TimelineEntry
from accounts.selectors import account_scope
from core.messages import message_render
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


class OneOfIds(Lookup):
    """``lhs`` is one of the ids, sent as one parameter (an array; SQLite: a JSON list)
    rather than a placeholder each: thousands of ids cost no more to compile and send."""

    lookup_name = "one_of_ids"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        # One text parameter, not a list the driver adapts id by id.
        ids = ",".join(str(int(pk)) for pk in self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", [*params, f"{{{ids}}}"]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*params, f"[{ids}]"]  # noqa: S608 - ours


# A scope of up to this many accounts is named by its ids: the search then walks those
# accounts' rows by index, bounded by the book, instead of every match in the database.
NAMED_SCOPE_LIMIT = 5000


@dataclass(frozen=True)
class Scope:
    """The accounts one search runs over: every account, the user's accounts named by id
    (a book or a team: read once per search), or the selector's subquery (a larger scope)."""

    user: AnyUser
    everything: bool = False
    account_ids: tuple[int, ...] | None = None

    @property
    def named(self) -> bool:
        return self.account_ids is not None

    def on_accounts(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        """``rows`` (of a model with an ``account`` foreign key) on the scope's accounts."""
        if self.everything:
            return rows
        if self.account_ids is not None:
            return rows.filter(OneOfIds(F("account_id"), self.account_ids))
        return rows.filter(account__in=account_scope(user=self.user).values("pk"))


def scope_of(user: AnyUser) -> Scope:
    """The user's scope, as ``account_scope`` draws it: one query unless it is everything."""
    if sees_everything(user):
        return Scope(user, everything=True)
    ids = tuple(account_scope(user=user).order_by().values_list("pk", flat=True)[: NAMED_SCOPE_LIMIT + 1])
    return Scope(user, account_ids=ids if len(ids) <= NAMED_SCOPE_LIMIT else None)


@dataclass(frozen=True)
class Source:
    kind: str
    label: Any  # a lazy translation, shown as the group's heading
    model: type[Model]
    fields: tuple[str, ...]  # matched columns; the first one ranks (exact, prefix, shorter)
    scope: Callable[[Scope], QuerySet[Any]]
    values: tuple[str, ...]
    to_hit: Callable[[dict[str, Any], str], SearchHit]
    recent_first: str = ""  # a date column that orders equally ranked hits, newest first
    # Rows found through their account (``Scope.on_accounts``): for a named scope the
    # engine walks the accounts' rows (index-only where an index covers the columns).
    by_account: bool = False
    # Whether hits starting with the query are looked for among many matches (a btree
    # index on the first column's upper case makes that a range scan); not for long texts.
    prefix_first: bool = True


def _on_visible_accounts(model: type[Model]) -> Callable[[Scope], QuerySet[Any]]:
    """Rows of ``model`` on the accounts the user may see (admins: all, without a join)."""

    def scope(scope: Scope) -> QuerySet[Any]:
        return scope.on_accounts(model._default_manager.all())

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
    # A generated entry's title in the reader's language, as the timeline shows it
    # (``TimelineEntry.display_title``); a touchpoint's subject as it was typed.
    title = message_render(row["message_key"], row["message_params"], fallback=row["title"])
    return SearchHit(
        "timeline",
        row["pk"],
        title,
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


def _accounts(scope: Scope) -> QuerySet[Any]:
    return account_scope(user=scope.user)


def _tasks(scope: Scope) -> QuerySet[Any]:
    if scope.everything:
        # Every task is on an account, so an admin's scope is all of them: no scope
        # filter (task_scope's "on a visible account" would test each match against
        # every account id).
        return Task.objects.all()
    if scope.account_ids is not None:
        # task_scope's rule (tests/search prove the two agree) with the accounts named,
        # so that PostgreSQL reads the book's tasks by the account index.
        return Task.objects.filter(Q(OneOfIds(F("account_id"), scope.account_ids)) | Q(assignee_id=scope.user.pk))
    return task_scope(user=scope.user)


def _cases(scope: Scope) -> QuerySet[Any]:
    # Approved cases are the shared library; drafts stay with their author and reviewers.
    return case_list(user=scope.user).select_related(None)


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
        by_account=True,
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
        by_account=True,
        prefix_first=False,
    ),
    Source(
        "timeline",
        pgettext_lazy("search results", "Timeline"),
        TimelineEntry,
        ("title",),
        _on_visible_accounts(TimelineEntry),
        ("pk", "title", "message_key", "message_params", "occurred_at", "account_id", "account__name"),
        _timeline_hit,
        recent_first="occurred_at",
        by_account=True,
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
