"""The audit log: one chronological list over the history of every model that has one.

Each historical model is asked for the page window on its own (newest first, the
previous row's id annotated by a subquery), the answers are merged in Python and cut
to the page; then the previous rows of the page are fetched per model and diffed. So a
page costs at most two queries per model plus one for people's names, whatever the
number of rows. Paging is a keyset cursor on ``(history_date, model, history_id)``.

Scope: an admin sees everything; a manager the changes to the accounts in their scope,
the changes made by their team's people (and themselves), and changes to those people's
own records (profile, user); anyone else nothing (the view answers 403).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from accounts.access import visible_accounts_q
from accounts.models import Account
from core.audit_source import SourceKind, source_label, split_source
from core.clock import local_day_start
from core.types import AnyUser
from org.models import Role
from org.roles import role_of

from .diffs import FieldChange, builtin_translated, changes_of, people_ids, people_names, render_changes
from .registry import AuditedModel, audited_by_key, audited_models

PAGE_SIZE = 50
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
ACTION_LABELS = {"created": _("Created"), "changed": _("Changed"), "deleted": _("Deleted")}


def can_view_audit(user: AnyUser) -> bool:
    return role_of(user) in (Role.MANAGER, Role.ADMIN)


def audit_people(*, user: AnyUser) -> QuerySet[Any]:
    """The people whose changes ``user`` may filter on: everyone for an admin, a manager's team."""
    people = get_user_model().objects.order_by("first_name", "last_name", "username")
    if role_of(user) == Role.ADMIN:
        return people
    if role_of(user) == Role.MANAGER:
        return people.filter(Q(pk=user.pk) | Q(cs_profile__team__lead_id=user.pk))
    return people.none()


@dataclass(frozen=True)
class Cursor:
    when: datetime
    key: str
    history_id: int

    def encode(self) -> str:
        return f"{self.when.isoformat()}|{self.key}|{self.history_id}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Raises ``ValueError`` on anything but a cursor this page wrote."""
        when_text, key, history_id = text.split("|")
        when = datetime.fromisoformat(when_text)
        number = int(history_id)
        if when.tzinfo is None or key not in audited_by_key() or not 0 < number < 2**63:
            raise ValueError(text)
        return cls(when, key, number)


@dataclass(frozen=True)
class AuditQuery:
    person_id: int | None = None
    account_id: int | None = None
    model_key: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    source: str | None = None
    before: Cursor | None = None


@dataclass
class AuditEntry:
    audited: AuditedModel
    row: Any
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def when(self) -> datetime:
        return self.row.history_date

    @property
    def who(self) -> Any:
        return self.row.history_user

    @property
    def action(self) -> str:
        return ACTIONS.get(self.row.history_type, "changed")

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS[self.action])

    @property
    def object_id(self) -> Any:
        return getattr(self.row, self.audited.model._meta.pk.attname)

    @property
    def object_title(self) -> str:
        title = getattr(self.row, self.audited.title_field, "") if self.audited.title_field else ""
        return str(builtin_translated(title) or "")[:120]

    @property
    def account_id(self) -> int | None:
        return getattr(self.row, self.audited.account_field) if self.audited.account_field else None

    @property
    def account_name(self) -> str:
        if self.audited.model is Account:
            return str(self.row.name)
        related = getattr(self.row, self.audited.account_relation) if self.audited.account_relation else None
        return str(related.name) if related is not None else ""

    @property
    def source_kind(self) -> str:
        return split_source(self.row.history_change_reason)[0]

    @property
    def source(self) -> str:
        return source_label(self.row.history_change_reason)

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.row.history_date, self.audited.key, self.row.history_id)

    def sort_key(self) -> tuple[datetime, str, int]:
        return (self.row.history_date, self.audited.key, self.row.history_id)


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: Cursor | None


def _team_people(user: AnyUser) -> QuerySet[Any]:
    return get_user_model().objects.filter(Q(pk=user.pk) | Q(cs_profile__team__lead_id=user.pk)).values("pk")


def _scope_q(audited: AuditedModel, user: AnyUser) -> Q | None:
    """``None``: everything (admin)."""
    if role_of(user) == Role.ADMIN:
        return None
    if role_of(user) != Role.MANAGER:
        return Q(pk__in=[])
    team = _team_people(user)
    scope = Q(history_user_id__in=team)
    if audited.account_field:
        accounts = Account.objects.filter(visible_accounts_q(user) or Q()).values("pk")
        scope |= Q(**{f"{audited.account_field}__in": accounts})
    if audited.person_field:
        scope |= Q(**{f"{audited.person_field}__in": team})
    return scope


def _cursor_q(audited: AuditedModel, cursor: Cursor) -> Q:
    """Rows strictly after ``cursor`` in the order (history_date, model key, history_id), newest first."""
    if audited.key < cursor.key:
        return Q(history_date__lte=cursor.when)
    if audited.key > cursor.key:
        return Q(history_date__lt=cursor.when)
    return Q(history_date__lt=cursor.when) | Q(history_date=cursor.when, history_id__lt=cursor.history_id)


def _source_q(kind: str) -> Q:
    return Q(history_change_reason=kind) | Q(history_change_reason__startswith=f"{kind} ")


def _filters_q(audited: AuditedModel, query: AuditQuery) -> Q:
    q = Q()
    if query.person_id is not None:
        q &= Q(history_user_id=query.person_id)
    if query.account_id is not None:
        q &= Q(**{audited.account_field: query.account_id}) if audited.account_field else Q(pk__in=[])
    if query.date_from is not None:
        q &= Q(history_date__gte=local_day_start(query.date_from))
    if query.date_to is not None:
        q &= Q(history_date__lt=local_day_start(query.date_to + timedelta(days=1)))
    if query.source in SourceKind.values:
        q &= _source_q(str(query.source))
    if query.before is not None:
        q &= _cursor_q(audited, query.before)
    return q


def _candidates(query: AuditQuery) -> list[AuditedModel]:
    models = list(audited_models())
    if query.model_key:
        models = [audited for audited in models if audited.key == query.model_key]
    if query.account_id is not None:
        models = [audited for audited in models if audited.account_field]
    return models


def _model_rows(audited: AuditedModel, user: AnyUser, query: AuditQuery, limit: int) -> list[Any]:
    historical: Any = audited.historical
    pk = audited.model._meta.pk.attname
    previous = (
        historical.objects.filter(**{pk: OuterRef(pk)})
        .filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    rows = historical.objects.filter(_filters_q(audited, query))
    scope = _scope_q(audited, user)
    if scope is not None:
        rows = rows.filter(scope)
    related = ["history_user", *([audited.account_relation] if audited.account_relation else [])]
    rows = rows.select_related(*related).annotate(audit_previous_pk=Subquery(previous))
    return list(rows.order_by("-history_date", "-history_id")[: limit + 1])


def _attach_changes(entries: list[AuditEntry], text_limit: int) -> None:
    by_model: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        by_model.setdefault(entry.audited.key, []).append(entry)
    for group in by_model.values():
        historical: Any = group[0].audited.historical
        previous_pks = [entry.row.audit_previous_pk for entry in group if entry.row.audit_previous_pk]
        previous = historical.objects.in_bulk(previous_pks) if previous_pks else {}
        for entry in group:
            entry.changes = changes_of(entry.audited, entry.row, previous.get(entry.row.audit_previous_pk))
    ids: set[int] = set()
    for entry in entries:
        ids |= people_ids(entry.audited, entry.changes)
    people = people_names(ids)
    for entry in entries:
        render_changes(entry.audited, entry.changes, people, text_limit)


def audit_page(*, user: AnyUser, query: AuditQuery, limit: int = PAGE_SIZE, text_limit: int = 300) -> AuditPage:
    """One page of the audit log for ``user``, newest first."""
    if not can_view_audit(user):
        return AuditPage([], None)
    entries = [
        AuditEntry(audited, row) for audited in _candidates(query) for row in _model_rows(audited, user, query, limit)
    ]
    entries.sort(key=AuditEntry.sort_key, reverse=True)
    more = len(entries) > limit
    entries = entries[:limit]
    _attach_changes(entries, text_limit)
    return AuditPage(entries, entries[-1].cursor if more and entries else None)


def audit_entries_all(*, user: AnyUser, query: AuditQuery, batch: int = 500, cap: int = 50_000) -> Any:
    """Every entry of the filtered log, newest first, page by page (the CSV export)."""
    done = 0
    while done < cap:
        page = audit_page(user=user, query=query, limit=min(batch, cap - done), text_limit=2000)
        yield from page.entries
        done += len(page.entries)
        if page.next_cursor is None:
            return
        query = replace(query, before=page.next_cursor)
