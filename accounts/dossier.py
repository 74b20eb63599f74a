"""The dossier: section edits with optimistic concurrency, and its completeness score.

Completeness is explainable: every section is filled / partly filled / empty and
fresh / stale, each worth ``100 / 10`` points (half for partly filled; half again
when stale), and the score comes with the list of what is missing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from core.people import person_or_none
from core.types import AnyUser

from .models import (
    STRUCTURED_SECTIONS,
    Account,
    CustomerProcess,
    DossierSection,
    KeyPersonLevel,
    MajorEvent,
    ProcessKind,
    PurchasedProduct,
    SalesPromise,
    SectionKey,
    Stakeholder,
)

FILLED, PARTIAL, EMPTY = "filled", "partial", "empty"
POINTS = {FILLED: 10, PARTIAL: 5, EMPTY: 0}
# Notes shorter than this are "partly filled": a line is not a dossier section.
MIN_NOTES_CHARS = 60

ROW_MODELS: dict[str, type[models.Model]] = {
    SectionKey.PURCHASED_PRODUCTS: PurchasedProduct,
    SectionKey.SALES_PROMISES: SalesPromise,
    SectionKey.CUSTOMER_PROCESSES: CustomerProcess,
    SectionKey.MAJOR_EVENTS: MajorEvent,
}
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    SectionKey.PURCHASED_PRODUCTS: ("product", "modules", "seats", "start_date"),
    SectionKey.SALES_PROMISES: ("promise", "due_date", "status"),
    SectionKey.CUSTOMER_PROCESSES: ("kind", "notes", "typical_days"),
    SectionKey.MAJOR_EVENTS: ("date", "title", "description"),
}


def stale_after_days() -> int:
    return int(getattr(settings, "HOURGLASS_DOSSIER_STALE_DAYS", 90))


@dataclass(frozen=True)
class SectionStatus:
    key: str
    label: str
    fill: str
    stale: bool
    points: int
    reason: str  # what is missing, in words; empty when complete and fresh
    updated_at: datetime | None


@dataclass(frozen=True)
class Completeness:
    score: int
    sections: list[SectionStatus] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [f"{s.label}: {s.reason}" for s in self.sections if s.reason]


class DossierConflict(Exception):
    """Somebody saved the section after the version this edit started from."""

    def __init__(self, section: DossierSection) -> None:
        super().__init__(f"section {section.key} is at version {section.version}")
        self.section = section


# --- scoring ------------------------------------------------------------------------


def _notes_fill(text: str) -> str:
    text = (text or "").strip()
    if not text:
        return EMPTY
    return FILLED if len(text) >= MIN_NOTES_CHARS else PARTIAL


def _section_fill(key: str, section: DossierSection | None, account: Account) -> tuple[str, str]:
    """(fill, reason) for one section, from prefetched relations only (no queries)."""
    notes = section.content if section else ""
    if key == SectionKey.PURCHASED_PRODUCTS:
        products = list(account.purchased_products.all())
        if not products:
            return EMPTY, _("no products recorded")
        if any(p.seats is None or p.start_date is None for p in products):
            return PARTIAL, _("seats or start date missing")
        return FILLED, ""
    if key == SectionKey.SALES_PROMISES:
        promises = list(account.sales_promises.all())
        if not promises:
            # "Sales promised nothing special" written down is a complete answer.
            return (
                (FILLED, "")
                if (notes or "").strip()
                else (EMPTY, _("no promises recorded (or note that there were none)"))
            )
        if any(p.due_date is None for p in promises):
            return PARTIAL, _("a promise has no due date")
        return FILLED, ""
    if key == SectionKey.CUSTOMER_PROCESSES:
        described = {p.kind for p in account.customer_processes.all() if (p.notes or "").strip()}
        missing = [str(label) for value, label in ProcessKind.choices if value not in described]
        if not described:
            return EMPTY, _("no processes described")
        if missing:
            return PARTIAL, _("not described: %(list)s") % {"list": ", ".join(missing)}
        return FILLED, ""
    if key == SectionKey.MAJOR_EVENTS:
        return (FILLED, "") if account.major_events.all() else (EMPTY, _("no events logged"))
    if key == SectionKey.KEY_PEOPLE:
        people = [p for p in account.stakeholders.all() if p.is_active]
        levels = {p.key_level for p in people}
        if not people:
            return EMPTY, _("no stakeholders")
        gaps = []
        if KeyPersonLevel.DECISION_MAKER not in levels:
            gaps.append(_("no level-1 decision maker"))
        if KeyPersonLevel.DAY_TO_DAY not in levels:
            gaps.append(_("no level-2 day-to-day contact"))
        if any(not (p.demands.strip() and p.personality.strip()) for p in people if p.key_level):
            gaps.append(_("a key person lacks demands or personality notes"))
        return (PARTIAL, "; ".join(gaps)) if gaps else (FILLED, "")
    fill = _notes_fill(notes)
    reason = {EMPTY: _("empty"), PARTIAL: _("only a line or two"), FILLED: ""}[fill]
    return fill, reason


def _section_updated(key: str, section: DossierSection | None, account: Account) -> datetime | None:
    moments = [section.updated_at] if section and section.updated_at else []
    if key == SectionKey.KEY_PEOPLE:
        moments += [p.updated_at for p in account.stakeholders.all()]
    return max(moments) if moments else None


def completeness(account: Account, *, now: datetime | None = None) -> Completeness:
    """Score an account whose dossier relations are prefetched (see ``with_dossier``)."""
    now = now or timezone.now()
    stale_before = now - timedelta(days=stale_after_days())
    sections = {s.key: s for s in account.dossier_sections.all()}
    statuses = []
    for key, label in SectionKey.choices:
        section = sections.get(key)
        fill, reason = _section_fill(key, section, account)
        updated = _section_updated(key, section, account)
        stale = fill != EMPTY and (updated is None or updated < stale_before)
        points = POINTS[fill] // (2 if stale else 1)
        if stale:
            stale_note = _("not updated for %(days)s days") % {"days": stale_after_days()}
            reason = f"{reason}; {stale_note}" if reason else stale_note
        statuses.append(SectionStatus(key, str(label), fill, stale, points, reason, updated))
    return Completeness(score=sum(s.points for s in statuses), sections=statuses)


def with_dossier(accounts: models.QuerySet[Account]) -> models.QuerySet[Account]:
    """Prefetch everything ``completeness`` reads: a fixed number of queries per batch."""
    return accounts.prefetch_related(
        Prefetch("dossier_sections", queryset=DossierSection.objects.select_related("updated_by")),
        "purchased_products",
        "sales_promises",
        "customer_processes",
        "major_events",
        Prefetch("stakeholders", queryset=Stakeholder.objects.order_by("pk")),
    )


def dossier_rescore(*, account_ids: Iterable[int], chunk: int = 1000) -> int:
    """Recompute and store ``Account.dossier_score`` set-wise (nightly for staleness)."""
    ids = list(account_ids)
    changed = 0
    for start in range(0, len(ids), chunk):
        batch = list(with_dossier(Account.objects.filter(pk__in=ids[start : start + chunk])))
        updates = []
        for account in batch:
            score = completeness(account).score
            if score != account.dossier_score:
                account.dossier_score = score
                updates.append(account)
        # bulk_update writes only the score: no history row, no updated_at bump.
        Account.objects.bulk_update(updates, ["dossier_score"], batch_size=chunk)
        changed += len(updates)
    return changed


def account_completeness(*, account: Account) -> Completeness:
    fresh = with_dossier(Account.objects.filter(pk=account.pk)).get()
    return completeness(fresh)


# --- editing ------------------------------------------------------------------------


def dossier_sections_for(*, account: Account) -> dict[str, DossierSection]:
    """Every section of the dossier, created on first use (all ten, always)."""
    existing = {s.key: s for s in DossierSection.objects.filter(account=account)}
    missing = [DossierSection(account=account, key=key) for key in SectionKey.values if key not in existing]
    if missing:
        DossierSection.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {s.key: s for s in DossierSection.objects.filter(account=account)}
    return existing


def _apply_rows(account: Account, key: str, rows: Sequence[dict[str, Any]]) -> None:
    """Make the section's rows exactly ``rows`` (each with an optional ``id``)."""
    model = ROW_MODELS[key]
    fields = ROW_FIELDS[key]
    current = {obj.pk: obj for obj in model.objects.filter(account=account)}  # type: ignore[attr-defined]
    kept: set[int] = set()
    errors: dict[str, list[str]] = {}
    for index, row in enumerate(rows):
        row_id = row.get("id")
        obj = current.get(row_id) if row_id else model(account=account)
        if obj is None:
            errors[f"rows[{index}].id"] = [_("This row does not belong to this section.")]
            continue
        for name in fields:
            if name in row:
                setattr(obj, name, row[name])
        try:
            obj.full_clean(exclude=["account"])
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors[f"rows[{index}].{name}"] = messages
            continue
        obj.save()
        kept.add(obj.pk)
    if errors:
        raise ValidationError(errors)
    for pk, obj in current.items():
        if pk not in kept:
            obj.delete()


@transaction.atomic
def dossier_section_save(
    *,
    actor: AnyUser,
    account: Account,
    key: str,
    base_version: int,
    content: str,
    rows: Sequence[dict[str, Any]] | None = None,
) -> DossierSection:
    """Save one section if nobody saved it since ``base_version``; else DossierConflict.

    The row lock makes check-and-bump atomic: of two concurrent saves from the same
    version exactly one wins; the other gets the winner's version to compare with.
    """
    if key not in SectionKey.values:
        raise ValidationError({"key": _("Unknown dossier section.")})
    if rows is not None and key not in STRUCTURED_SECTIONS:
        raise ValidationError({"rows": _("This section has no rows.")})
    dossier_sections_for(account=account)
    section = (
        DossierSection.objects.select_for_update(of=("self",))
        .select_related("updated_by")
        .get(account=account, key=key)
    )
    if section.version != base_version:
        raise DossierConflict(section)
    if rows is not None:
        _apply_rows(account, key, rows)
    section.content = content
    section.version += 1
    section.updated_at = timezone.now()
    section.updated_by = person_or_none(actor)
    section._history_user = section.updated_by  # type: ignore[attr-defined]
    section.save()
    dossier_rescore(account_ids=[account.pk])
    return section


@dataclass(frozen=True)
class DossierPanel:
    key: str
    label: str
    section: DossierSection
    status: SectionStatus
    rows: list[Any]
    structured: bool


@dataclass(frozen=True)
class DossierOverview:
    completeness: Completeness
    panels: list[DossierPanel]

    def panel(self, key: str) -> DossierPanel:
        return next(p for p in self.panels if p.key == key)


def dossier_overview(*, account: Account) -> DossierOverview:
    """Everything the dossier card shows, in a fixed number of queries."""
    dossier_sections_for(account=account)
    loaded = with_dossier(Account.objects.filter(pk=account.pk)).get()
    result = completeness(loaded)
    sections = {s.key: s for s in loaded.dossier_sections.all()}
    rows_for: dict[str, list[Any]] = {
        SectionKey.PURCHASED_PRODUCTS: list(loaded.purchased_products.all()),
        SectionKey.SALES_PROMISES: list(loaded.sales_promises.all()),
        SectionKey.CUSTOMER_PROCESSES: list(loaded.customer_processes.all()),
        SectionKey.MAJOR_EVENTS: list(loaded.major_events.all()),
        SectionKey.KEY_PEOPLE: [p for p in loaded.stakeholders.all() if p.is_active and p.key_level],
    }
    panels = [
        DossierPanel(
            key=status.key,
            label=status.label,
            section=sections[status.key],
            status=status,
            rows=rows_for.get(status.key, []),
            structured=status.key in STRUCTURED_SECTIONS,
        )
        for status in result.sections
    ]
    return DossierOverview(completeness=result, panels=panels)


@dataclass(frozen=True)
class SectionRevision:
    version: int
    when: datetime | None
    who: Any
    lines: list[tuple[str, str]]  # (kind, text): kind is "added", "removed" or "same"


def section_history(*, account: Account, key: str, limit: int = 30) -> list[SectionRevision]:
    """Each saved version of a section's notes with a line diff against the one before.

    Read from django-simple-history: one query for the versions, one for their authors.
    """
    section = DossierSection.objects.get(account=account, key=key)
    records = list(section.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    revisions = []
    for index, record in enumerate(records[:limit]):
        before = records[index + 1].content if index + 1 < len(records) else ""
        if record.version == 0 and not record.content:
            continue  # the empty section created on first view
        diff = difflib.ndiff((before or "").splitlines(), (record.content or "").splitlines())
        lines = [
            ("added" if line[0] == "+" else "removed" if line[0] == "-" else "same", line[2:])
            for line in diff
            if line[:1] in ("+", "-", " ")
        ]
        revisions.append(SectionRevision(record.version, record.history_date, record.history_user, lines))
    return revisions
