"""Reads of the outreach pages: surveys and their results, scoped to the reader's accounts.

Every figure counts only recipients and responses of accounts the user may see (a CSM's
own, a manager's team's, an admin's all), so two CSMs looking at one survey see their own
books' results. Response rate = answers / emails sent. NPS = % promoters (9-10) − %
detractors (0-6); CSAT = the share of 4-5 answers, beside the average score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncQuarter
from django.http import Http404

from accounts.segments import Segment, segment_case
from accounts.selectors import account_scope
from core.people import name_from_parts
from core.types import AnyUser
from health.models import DETRACTOR_MAX, PROMOTER_MIN

from .models import RecipientStatus, Survey, SurveyKind, SurveyRecipient, SurveyResponse

CSAT_SATISFIED_MIN = 4
VERBATIMS_SHOWN = 50


def _count(queryset: QuerySet, field: str = "survey") -> Coalesce:
    return Coalesce(
        Subquery(
            queryset.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("pk")).values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def survey_list(*, user: AnyUser) -> QuerySet[Survey]:
    """Every survey (they are company-wide), with the user's scope's sent and answered counts."""
    scope = account_scope(user=user).order_by().values("pk")
    sent = SurveyRecipient.objects.filter(status=RecipientStatus.QUEUED, account__in=scope)
    answered = SurveyResponse.objects.filter(account__in=scope)
    return (
        Survey.objects.select_related("created_by")
        .annotate(sent_count=_count(sent), answered_count=_count(answered))
        .order_by("-created_at", "-pk")
    )


def get_survey(pk: int | str) -> Survey:
    try:
        return Survey.objects.get(pk=pk)
    except (Survey.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such survey.") from exc


def scoped_responses(*, user: AnyUser, kind: str, survey: Survey | None = None) -> QuerySet[SurveyResponse]:
    responses = SurveyResponse.objects.filter(
        account__in=account_scope(user=user).order_by().values("pk"), survey__kind=kind
    )
    return responses.filter(survey=survey) if survey is not None else responses


def scoped_sent(*, user: AnyUser, kind: str, survey: Survey | None = None) -> QuerySet[SurveyRecipient]:
    sent = SurveyRecipient.objects.filter(
        account__in=account_scope(user=user).order_by().values("pk"), survey__kind=kind, status=RecipientStatus.QUEUED
    )
    return sent.filter(survey=survey) if survey is not None else sent


@dataclass(frozen=True)
class Figure:
    key: Any
    label: str
    sent: int | None
    responses: int
    score: float | None  # NPS (-100..100) or CSAT % satisfied (0..100)
    average: float | None
    promoters: int = 0
    detractors: int = 0

    @property
    def rate(self) -> float | None:
        return round(100 * self.responses / self.sent, 1) if self.sent else None


def _aggregates() -> dict[str, Any]:
    return {
        "responses": Count("pk"),
        "average": Avg("score"),
        "high": Count("pk", filter=Q(score__gte=PROMOTER_MIN)),
        "low": Count("pk", filter=Q(score__lte=DETRACTOR_MAX)),
        "satisfied": Count("pk", filter=Q(score__gte=CSAT_SATISFIED_MIN)),
    }


def _figure(kind: str, key: Any, label: str, row: dict[str, Any], sent: int | None) -> Figure:
    responses = row["responses"]
    if not responses:
        score = None
    elif kind == SurveyKind.NPS:
        score = round(100 * (row["high"] - row["low"]) / responses, 1)
    else:
        score = round(100 * row["satisfied"] / responses, 1)
    average = round(float(row["average"]), 2) if row["average"] is not None else None
    return Figure(key, label, sent, responses, score, average, row["high"], row["low"])


def _grouped(
    responses: QuerySet[SurveyResponse], sent: QuerySet[SurveyRecipient], key: Any, *, annotate: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[Any, int]]:
    rows = list(responses.order_by().annotate(**annotate).values(group=key).annotate(**_aggregates()).order_by("group"))
    sent_counts = {
        row["group"]: row["n"] for row in sent.order_by().annotate(**annotate).values(group=key).annotate(n=Count("pk"))
    }
    return rows, sent_counts


@dataclass(frozen=True)
class Results:
    kind: str
    total: Figure
    by_survey: list[Figure]
    by_segment: list[Figure]
    by_csm: list[Figure]
    by_quarter: list[Figure]
    verbatims: list[SurveyResponse]


def survey_results(*, user: AnyUser, kind: str, survey: Survey | None = None) -> Results:
    """All of a results page in a fixed number of queries, whatever the number of rows."""
    responses = scoped_responses(user=user, kind=kind, survey=survey)
    sent = scoped_sent(user=user, kind=kind, survey=survey)
    total_row = responses.order_by().aggregate(**_aggregates())
    total = _figure(kind, None, "", total_row, sent.count())

    rows, sent_counts = _grouped(responses, sent, F("survey_id"), annotate={})
    names = dict(
        Survey.objects.filter(pk__in=[row["group"] for row in rows] + list(sent_counts)).values_list("pk", "name")
    )
    by_survey = [
        _figure(kind, row["group"], names.get(row["group"], ""), row, sent_counts.get(row["group"], 0)) for row in rows
    ]

    segment = {"segment_key": segment_case("account__arr")}
    rows, sent_counts = _grouped(responses, sent, F("segment_key"), annotate=segment)
    labels = dict(Segment.choices)
    by_segment = [
        _figure(kind, row["group"], str(labels.get(row["group"], row["group"])), row, sent_counts.get(row["group"], 0))
        for row in rows
    ]

    owner = {"owner_key": F("account__owner_id")}
    rows, sent_counts = _grouped(responses, sent, F("owner_key"), annotate=owner)
    people = _people(row["group"] for row in rows)
    by_csm = [
        _figure(kind, row["group"], people.get(row["group"], "—"), row, sent_counts.get(row["group"], 0))
        for row in rows
    ]

    quarter = {"quarter": TruncQuarter("responded_at")}
    by_quarters = responses.order_by().annotate(**quarter).values("quarter")  # type: ignore[misc]
    quarters = list(by_quarters.annotate(**_aggregates()).order_by("quarter"))
    by_quarter = [
        _figure(kind, row["quarter"], _quarter_label(row["quarter"]), row, None) for row in quarters if row["quarter"]
    ]
    verbatims = list(
        responses.exclude(comment="")
        .select_related("account", "stakeholder", "survey")
        .order_by("-responded_at", "-pk")[:VERBATIMS_SHOWN]
    )
    return Results(kind, total, by_survey, by_segment, by_csm, by_quarter, verbatims)


def _quarter_label(value: Any) -> str:
    return f"{value.year} Q{(value.month - 1) // 3 + 1}"


def _people(ids: Iterable[Any]) -> dict[int, str]:
    from django.contrib.auth import get_user_model

    wanted = [pk for pk in ids if pk is not None]
    users = get_user_model().objects.filter(pk__in=wanted).values_list("pk", "first_name", "last_name", "username")
    return {pk: name_from_parts(first, last, username) for pk, first, last, username in users}


def export_rows(*, user: AnyUser, kind: str, survey: Survey | None = None) -> QuerySet[SurveyResponse]:
    return (
        scoped_responses(user=user, kind=kind, survey=survey)
        .select_related("account__owner", "survey", "stakeholder")
        .annotate(segment_key=segment_case("account__arr"))
        .order_by("-responded_at", "-pk")
    )
