from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, DossierReview, SectionKey, TimelineEntry
from accounts.reviews import dossier_quality_by_owner, dossier_review_create, review_queue
from accounts.signals import dossier_reviewed
from core.models import Notification

pytestmark = pytest.mark.django_db

ALL_FOUR = dict.fromkeys(SectionKey.values, (4, ""))


def test_only_managers_and_admins_review(org):
    account = org.accounts["csm_a1"][0]
    with pytest.raises(PermissionDenied):
        dossier_review_create(reviewer=org.csm_a1, account=account, verdict="approved", ratings=ALL_FOUR)
    with pytest.raises(PermissionDenied):
        review_queue(user=org.csm_a1)


def test_every_section_must_be_rated_1_to_5(org):
    account = org.accounts["csm_a1"][0]
    ratings = dict(ALL_FOUR)
    ratings.pop("internal_politics")
    ratings["company_overview"] = (9, "")
    with pytest.raises(ValidationError) as error:
        dossier_review_create(reviewer=org.manager_a, account=account, verdict="approved", ratings=ratings)
    assert {"rating_internal_politics", "rating_company_overview"} <= set(error.value.message_dict)
    assert not DossierReview.objects.exists()


def test_review_notifies_owner_in_app_and_by_email_and_signals(
    org, smtp_server, celery_eager, django_capture_on_commit_callbacks
):
    account = org.accounts["csm_a1"][0]
    heard = []
    dossier_reviewed.connect(lambda **kw: heard.append(kw["verdict"]), weak=False, dispatch_uid="rv")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            review = dossier_review_create(
                reviewer=org.manager_a, account=account, verdict="needs_work", comment="Fill in the processes.",
                ratings={**ALL_FOUR, "customer_processes": (1, "Empty")},
            )  # fmt: skip
    finally:
        dossier_reviewed.disconnect(dispatch_uid="rv")
    assert heard == ["needs_work"]
    assert review.ratings.count() == 10
    note = Notification.objects.get(recipient=org.csm_a1)
    assert "Needs work" in note.title and account.name in note.title
    assert TimelineEntry.objects.filter(account=account, kind="dossier_reviewed").count() == 1
    mail = smtp_server.wait_for(1)
    assert len(mail) == 1 and mail[0]["To"] == org.csm_a1.email


def test_queue_orders_by_arr_incompleteness_and_review_age(org):
    now = timezone.now()
    a1, a2 = org.accounts["csm_a1"]
    b1 = org.accounts["csm_a2"][0]
    Account.objects.filter(pk=a1.pk).update(arr=Decimal(1_000_000), dossier_score=90)
    Account.objects.filter(pk=a2.pk).update(arr=Decimal(100_000), dossier_score=10)
    Account.objects.filter(pk=b1.pk).update(arr=Decimal(1_000_000), dossier_score=10)
    rows = review_queue(user=org.manager_a, now=now)
    assert [r.account.pk for r in rows][:1] == [b1.pk]  # big and empty
    assert {r.account.owner_id for r in rows} <= {org.csm_a1.pk, org.csm_a2.pk}
    # Reviewing it moves it down the queue.
    dossier_review_create(
        reviewer=org.manager_a, account=Account.objects.get(pk=b1.pk), verdict="needs_work", ratings=ALL_FOUR
    )
    assert review_queue(user=org.manager_a)[0].account.pk != b1.pk


def test_quality_summary_per_csm(org):
    a1, a2 = org.accounts["csm_a1"]
    Account.objects.filter(pk=a1.pk).update(dossier_score=80)
    Account.objects.filter(pk=a2.pk).update(dossier_score=40)
    dossier_review_create(reviewer=org.manager_a, account=a1, verdict="approved", ratings=ALL_FOUR)
    old = dossier_review_create(
        reviewer=org.manager_a, account=a2, verdict="approved", ratings=dict.fromkeys(SectionKey.values, (2, ""))
    )
    DossierReview.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=200))
    summary = dossier_quality_by_owner(user=org.manager_a)
    mine = summary[org.csm_a1.pk]
    assert mine.accounts == 2
    assert mine.average_completeness == 60.0
    assert mine.average_rating == 3.0  # latest review of each account: 4 and 2
    assert mine.overdue_reviews == 1
    assert summary[org.csm_a2.pk].overdue_reviews == 2  # never reviewed
    assert org.csm_b1.pk not in summary  # other team


def test_review_pages_permissions_and_flow(client, org):
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_a1)
    assert client.get(reverse("accounts:review_queue")).status_code == 404
    assert client.get(reverse("accounts:review", args=[account.pk])).status_code == 404
    assert "Dossier reviews" not in client.get("/my-day/").content.decode()
    client.force_login(org.manager_b)
    assert client.get(reverse("accounts:review", args=[account.pk])).status_code == 404  # other team
    client.force_login(org.manager_a)
    assert "Dossier reviews" in client.get("/my-day/").content.decode()
    queue = client.get(reverse("accounts:review_queue")).content.decode()
    assert account.name in queue
    data = {"verdict": "approved", "comment": "Solid."}
    data |= {f"rating_{key}": "5" for key in SectionKey.values}
    response = client.post(reverse("accounts:review", args=[account.pk]), data)
    assert response.status_code == 302
    client.force_login(org.csm_a1)
    dossier = reverse("accounts:tab", args=[account.pk, "dossier"])  # the account page's Dossier tab
    page = client.get(dossier, headers={"HX-Request": "true"}).content.decode()
    assert "Solid." in page and 'data-testid="latest-review"' in page


def test_review_form_errors_name_fields(client, org):
    account = org.accounts["csm_a1"][0]
    client.force_login(org.manager_a)
    response = client.post(reverse("accounts:review", args=[account.pk]), {"verdict": "maybe"})
    errors = response.context["form"].errors
    assert "verdict" in errors and "rating_company_overview" in errors
    assert not DossierReview.objects.exists()
