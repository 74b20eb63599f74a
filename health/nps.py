"""NPS responses: recording them (API, CSV) and the NPS figure (domain.md §4).

NPS = % promoters (9-10) − % detractors (0-6), from -100 to 100. With no responses
there is no NPS: the figure is ``None``, never 0 (0 is a real, middling NPS).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from accounts.access import AnyUser
from accounts.models import Account, Stakeholder
from accounts.segments import segment_case
from accounts.selectors import account_scope
from core.dates import date_in_range, date_range_message
from core.people import person_or_none

from .models import DETRACTOR_MAX, NPS_COMMENT_MAX_LENGTH, PROMOTER_MIN, NpsResponse
from .signals import nps_detractor_received, nps_response_received

GROUPINGS = {
    "account": "account_id",
    "owner": "account__owner_id",
    "segment": "segment_key",
    "company": None,
}


# --- Writes ---------------------------------------------------------------------------


def _announce(response: NpsResponse) -> None:
    """After commit, once per new response: ``nps_response_received``, and for a detractor
    ``nps_detractor_received`` too (one callback)."""

    def send() -> None:
        nps_response_received.send(sender=NpsResponse, response=response, account=response.account)
        if response.score <= DETRACTOR_MAX:
            nps_detractor_received.send(sender=NpsResponse, response=response, account=response.account)

    transaction.on_commit(send)


@transaction.atomic
def nps_response_record(
    *,
    actor: Any,
    account: Account,
    score: int,
    responded_on: date,
    comment: str = "",
    stakeholder: Stakeholder | None = None,
    external_id: str | None = None,
) -> tuple[NpsResponse, bool]:
    """Store one response; the same ``external_id`` for the account again is ignored.

    Returns ``(response, created)``. The caller checked that ``actor`` may see the
    account. A detractor (0-6) sends ``nps_detractor_received`` after commit.
    """
    if stakeholder is not None and stakeholder.account_id != account.pk:
        raise ValidationError({"stakeholder": _("The stakeholder must belong to this account.")})
    external_id = (external_id or "").strip() or None
    if external_id is not None:
        existing = NpsResponse.objects.filter(account=account, external_id=external_id).first()
        if existing is not None:
            return existing, False
    response = NpsResponse(
        account=account,
        stakeholder=stakeholder,
        score=score,
        comment=comment,
        responded_on=responded_on,
        external_id=external_id,
        created_by=person_or_none(actor),
    )
    response.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:  # a concurrent request stored the same external id first
        return NpsResponse.objects.get(account=account, external_id=external_id), False
    _announce(response)
    return response, True


@transaction.atomic
def nps_response_update(*, response: NpsResponse, score: int, comment: str) -> NpsResponse:
    """Change a response's score and comment (a survey answer edited by its author soon
    after). A score that turns it into a detractor sends ``nps_detractor_received`` then."""
    was_detractor = response.score <= DETRACTOR_MAX
    response.score, response.comment = score, comment
    response.full_clean(validate_unique=False, validate_constraints=False)
    response.save(update_fields=["score", "comment"])
    if score <= DETRACTOR_MAX and not was_detractor:
        transaction.on_commit(
            lambda: nps_detractor_received.send(sender=NpsResponse, response=response, account=response.account)
        )
    return response


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line number in the file, the header being line 1
    column: str
    reason: str


class NpsImportError(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


@dataclass
class ImportResult:
    created: int = 0
    duplicates: int = 0
    rows: list[int] = field(default_factory=list)


CSV_COLUMNS = ("account_external_id", "score", "responded_on", "comment", "stakeholder_email", "external_id")
REQUIRED_COLUMNS = ("account_external_id", "score", "responded_on")


def _parse_rows(*, actor: AnyUser, rows: Sequence[Mapping[str, str]]) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Check every row (scope, score, date, stakeholder) in a fixed number of queries."""
    errors: list[RowError] = []
    external_ids = {(row.get("account_external_id") or "").strip() for row in rows} - {""}
    accounts = {a.external_id: a for a in account_scope(user=actor).filter(external_id__in=external_ids)}
    emails = {(row.get("stakeholder_email") or "").strip().lower() for row in rows} - {""}
    stakeholders: dict[tuple[int, str], Stakeholder] = {}
    if emails and accounts:
        # Emails are compared case-insensitively; an active stakeholder wins over one who left.
        people = Stakeholder.objects.filter(account__in=list(accounts.values())).exclude(email="")
        for person in people.order_by("-is_active", "pk"):
            if person.email.lower() in emails:
                stakeholders.setdefault((person.account_id, person.email.lower()), person)
    parsed: list[dict[str, Any]] = []
    for index, row in enumerate(rows, start=2):
        row_errors: list[RowError] = []
        account = accounts.get((row.get("account_external_id") or "").strip())
        if account is None:
            row_errors.append(RowError(index, "account_external_id", _("No such account in your scope.")))
        raw_score = (row.get("score") or "").strip()
        score = int(raw_score) if raw_score.isdigit() else None
        if score is None or score > 10:
            row_errors.append(RowError(index, "score", _("Give a whole number from 0 to 10.")))
        raw_day = (row.get("responded_on") or "").strip()
        try:
            day = parse_date(raw_day)
        except ValueError:
            day = None
        if day is None:
            row_errors.append(RowError(index, "responded_on", _("Give a date as YYYY-MM-DD.")))
        elif not date_in_range(day):
            row_errors.append(RowError(index, "responded_on", date_range_message()))
        email = (row.get("stakeholder_email") or "").strip().lower()
        stakeholder = None
        if email and account is not None:
            stakeholder = stakeholders.get((account.pk, email))
            if stakeholder is None:
                row_errors.append(RowError(index, "stakeholder_email", _("No stakeholder with this email.")))
        external_id = (row.get("external_id") or "").strip()
        if len(external_id) > 100:
            row_errors.append(RowError(index, "external_id", _("At most 100 characters.")))
        comment = (row.get("comment") or "").strip()
        if len(comment) > NPS_COMMENT_MAX_LENGTH:
            limit = {"limit": NPS_COMMENT_MAX_LENGTH}
            row_errors.append(RowError(index, "comment", _("At most %(limit)s characters.") % limit))
        errors.extend(row_errors)
        if not row_errors:
            parsed.append(
                {
                    "row": index,
                    "account": account,
                    "score": score,
                    "responded_on": day,
                    "comment": comment,
                    "stakeholder": stakeholder,
                    "external_id": external_id or None,
                }
            )
    return parsed, errors


@transaction.atomic
def nps_responses_import(*, actor: AnyUser, rows: Sequence[Mapping[str, str]]) -> ImportResult:
    """Import all rows or none; errors name every bad row and column."""
    parsed, errors = _parse_rows(actor=actor, rows=rows)
    if errors:
        raise NpsImportError(errors)
    result = ImportResult()
    for item in parsed:
        row = item.pop("row")
        _, created = nps_response_record(actor=actor, **item)
        if created:
            result.created += 1
            result.rows.append(row)
        else:
            result.duplicates += 1
    return result


def read_csv(text: str) -> list[dict[str, str]]:
    """Rows of a CSV text with a header; unknown columns are ignored, missing required
    ones fail the whole file (reported on line 1)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise NpsImportError([RowError(1, name, _("Missing column.")) for name in missing])
    reader.fieldnames = header
    return [dict(row) for row in reader]


# --- Reads ----------------------------------------------------------------------------


def nps_responses_for_user(*, user: AnyUser) -> QuerySet[NpsResponse]:
    return (
        NpsResponse.objects.filter(account__in=account_scope(user=user))
        .select_related("account", "stakeholder")
        .order_by("-responded_on", "-pk")
    )


def nps_value(*, promoters: int, detractors: int, responses: int) -> float | None:
    if not responses:
        return None
    return round(100 * (promoters - detractors) / responses, 1)


def nps_counts() -> dict[str, Count]:
    """The aggregates every NPS figure is computed from (responses, promoters, detractors)."""
    return {
        "responses": Count("pk"),
        "promoters": Count("pk", filter=Q(score__gte=PROMOTER_MIN)),
        "detractors": Count("pk", filter=Q(score__lte=DETRACTOR_MAX)),
    }


@dataclass(frozen=True)
class NpsFigure:
    key: Any  # account id, owner id, segment, or None for the company
    responses: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None


def nps_summary(
    responses: QuerySet[NpsResponse],
    *,
    group_by: str = "company",
    start: date | None = None,
    end: date | None = None,
) -> list[NpsFigure]:
    """NPS of ``responses`` (already scoped) per group, for ``start``..``end`` inclusive.

    ``group_by``: account, owner, segment or company (one figure). One query.
    """
    if group_by not in GROUPINGS:
        raise ValueError(f"unknown grouping {group_by!r}")
    if start is not None:
        responses = responses.filter(responded_on__gte=start)
    if end is not None:
        responses = responses.filter(responded_on__lte=end)
    counts = nps_counts()
    responses = responses.order_by()
    rows: Iterable[dict[str, Any]]
    if group_by == "company":
        rows = [{"key": None, **responses.aggregate(**counts)}]
    else:
        if group_by == "segment":
            responses = responses.annotate(segment_key=segment_case("account__arr"))
        rows = responses.values(key=F(GROUPINGS[group_by] or "pk")).annotate(**counts).order_by("key")
    return [
        NpsFigure(
            key=row["key"],
            responses=row["responses"],
            promoters=row["promoters"],
            passives=row["responses"] - row["promoters"] - row["detractors"],
            detractors=row["detractors"],
            nps=nps_value(promoters=row["promoters"], detractors=row["detractors"], responses=row["responses"]),
        )
        for row in rows
    ]
