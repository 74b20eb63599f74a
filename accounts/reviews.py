"""Managers review dossier quality (经理审阅档案质量): queue, reviews, per-CSM summary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Exists, Max, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.messages import choice, message
from core.notifications import notification_send, user_language
from core.people import display_name

from .access import AnyUser, can_review_dossiers
from .models import Account, AccountStatus, DossierReview, DossierReviewRating, SectionKey, Verdict
from .selectors import account_scope
from .signals import dossier_reviewed
from .timeline import timeline_record


def review_interval_days() -> int:
    return int(getattr(settings, "HOURGLASS_DOSSIER_REVIEW_INTERVAL_DAYS", 90))


def can_review(user: AnyUser) -> bool:
    return can_review_dossiers(user)


@dataclass(frozen=True)
class QueueRow:
    account: Account
    last_review_at: datetime | None
    days_since_review: int
    risk: Decimal


def review_queue(*, user: AnyUser, now: datetime | None = None) -> list[QueueRow]:
    """The reviewer's dossiers, riskiest first: ARR × incompleteness × days since review.

    Never-reviewed dossiers count as one review interval old, twice over: they are the
    ones a manager knows least about.
    """
    if not can_review(user):
        raise PermissionDenied
    now = now or timezone.now()
    interval = review_interval_days()
    accounts = (
        account_scope(user=user)
        .exclude(status=AccountStatus.CHURNED)
        .select_related("owner")
        .annotate(last_review_at=Max("dossier_reviews__created_at"))
    )
    rows = []
    for account in accounts:
        last = account.last_review_at  # type: ignore[attr-defined]
        days = (now - last).days if last else 2 * interval
        incompleteness = Decimal(100 - account.dossier_score) / 100
        risk = (account.arr or Decimal(0)) * max(incompleteness, Decimal("0.05")) * Decimal(max(days, 1))
        rows.append(QueueRow(account, last, days, risk))
    rows.sort(key=lambda row: (-row.risk, row.account.pk))
    return rows


@transaction.atomic
def dossier_review_create(
    *,
    reviewer: AnyUser,
    account: Account,
    verdict: str,
    comment: str = "",
    ratings: Mapping[str, tuple[int, str]],
) -> DossierReview:
    """Record a review with a 1-5 rating per section; tell the owner CSM (in-app + email)."""
    if not can_review(reviewer):
        raise PermissionDenied
    if verdict not in Verdict.values:
        raise ValidationError({"verdict": _("Choose approved or needs work.")})
    errors = {}
    for key in SectionKey.values:
        if key not in ratings:
            errors[f"rating_{key}"] = [_("Rate every section.")]
        elif not 1 <= int(ratings[key][0]) <= 5:
            errors[f"rating_{key}"] = [_("Ratings go from 1 to 5.")]
    if errors:
        raise ValidationError(errors)
    review = DossierReview.objects.create(
        account=account,
        reviewer=reviewer,  # type: ignore[misc]
        verdict=verdict,
        comment=comment,
        score_at_review=account.dossier_score,
    )
    DossierReviewRating.objects.bulk_create(
        [
            DossierReviewRating(review=review, section=key, rating=int(ratings[key][0]), comment=ratings[key][1])
            for key in SectionKey.values
        ]
    )
    timeline_record(
        account=account,
        kind="dossier_reviewed",
        message=message(
            gettext_noop("Dossier reviewed: %(verdict)s"), verdict=choice(DossierReview, "verdict", verdict)
        ),
        body=comment,
        actor=reviewer,
        data={"review_id": review.pk, "verdict": verdict},
        dedupe_key=f"dossier-review:{review.pk}",
    )
    owner = account.owner
    if owner is not None and owner != reviewer:
        with translation.override(user_language(owner)):
            notification_send(
                recipient=owner,
                kind="dossier_review",
                message=message(
                    gettext_noop("%(reviewer)s reviewed the dossier of %(account)s: %(verdict)s"),
                    reviewer=display_name(reviewer),
                    account=account.name,
                    verdict=choice(DossierReview, "verdict", verdict),
                ),
                body=comment,
                url=settings.HOURGLASS_BASE_URL.rstrip("/") + reverse("accounts:detail", args=[account.pk]),
                dedupe_key=f"dossier-review:{review.pk}",
                email=True,
            )
    transaction.on_commit(
        lambda: dossier_reviewed.send(sender=DossierReview, review=review, account=account, verdict=verdict)
    )
    return review


def latest_review(*, account: Account) -> DossierReview | None:
    return (
        DossierReview.objects.filter(account=account)
        .select_related("reviewer")
        .prefetch_related("ratings")
        .order_by("-created_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class OwnerQuality:
    owner_id: int
    accounts: int
    average_completeness: float
    average_rating: float | None
    overdue_reviews: int


def dossier_quality_by_owner(*, user: AnyUser, now: datetime | None = None) -> dict[int, OwnerQuality]:
    """Per CSM: average completeness, average rating of the latest reviews, overdue reviews.

    Two aggregate queries whatever the number of CSMs or accounts.
    """
    now = now or timezone.now()
    scope = account_scope(user=user).exclude(owner=None).exclude(status=AccountStatus.CHURNED).order_by()
    overdue_before = now - timedelta(days=review_interval_days())
    # Overdue = never reviewed, or the latest review is older than the interval; i.e. no
    # review since the cut-off: an anti-join, not a latest-review subquery per account.
    reviewed_since = DossierReview.objects.filter(account=OuterRef("pk"), created_at__gte=overdue_before)
    result: dict[int, dict[str, Any]] = {}
    for row in scope.values("owner_id").annotate(
        n=Count("pk"), completeness=Avg("dossier_score"), overdue=Count("pk", filter=~Exists(reviewed_since))
    ):
        result[row["owner_id"]] = {
            "accounts": row["n"],
            "completeness": float(row["completeness"] or 0),
            "overdue": row["overdue"],
        }
    latest = DossierReview.objects.filter(account=OuterRef("pk")).order_by("-created_at", "-pk")
    base = scope.filter(Exists(DossierReview.objects.filter(account=OuterRef("pk")))).annotate(
        last_review_id=Subquery(latest.values("pk")[:1])
    )
    ratings = (
        DossierReviewRating.objects.filter(review_id__in=base.values("last_review_id"))
        .order_by()
        .values("review__account__owner_id")
        .annotate(avg=Avg("rating"))
    )
    for row in ratings:
        result[row["review__account__owner_id"]]["rating"] = float(row["avg"])
    return {
        owner_id: OwnerQuality(
            owner_id=owner_id,
            accounts=data["accounts"],
            average_completeness=round(data["completeness"], 1),
            average_rating=round(data["rating"], 2) if "rating" in data else None,
            overdue_reviews=data.get("overdue", 0),
        )
        for owner_id, data in result.items()
    }
