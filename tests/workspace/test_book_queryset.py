"""``book_accounts``: each user's scope, and columns that follow the language, the local
day and the settings of the request."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.utils import timezone, translation

from accounts.models import Account
from playbooks.models import AccountStage, Stage
from workspace.book import BookFilter, book_accounts

pytestmark = pytest.mark.django_db


def names(user) -> set[str]:
    return set(book_accounts(user=user).values_list("name", flat=True))


def test_each_user_gets_their_own_scope(org):
    own_a1 = {a.name for a in org.accounts["csm_a1"]}
    own_b1 = {a.name for a in org.accounts["csm_b1"]}

    assert names(org.csm_a1) == own_a1
    assert names(org.csm_b1) == own_b1
    assert names(org.manager_a) == own_a1 | {a.name for a in org.accounts["csm_a2"]}
    assert names(org.admin) == set(Account.objects.values_list("name", flat=True))
    assert names(org.csm_a1) == own_a1  # and again after the others


def test_an_evaluated_list_leaves_the_next_one_fresh(org):
    first = book_accounts(user=org.csm_a1)
    assert len(first) == 2
    Account.objects.filter(pk=org.accounts["csm_a1"][0].pk).update(name="Renamed")

    assert "Renamed" in names(org.csm_a1)


def test_labels_follow_the_active_language(org):
    account = org.accounts["csm_a1"][0]
    AccountStage.objects.create(account=account, stage=Stage.RENEWAL_WINDOW, entered_on=timezone.localdate())

    def label() -> str:
        return book_accounts(user=org.csm_a1).get(pk=account.pk).lifecycle_label

    with translation.override("en"):
        assert label() == "Renewal window"
    with translation.override("zh-hans"):
        chinese = label()
    assert chinese != "Renewal window" and not chinese.isascii()
    with translation.override("en"):
        assert label() == "Renewal window"


def test_days_and_health_follow_the_local_day(org):
    """Two zones whose local dates differ: each list counts from its own today."""
    account = org.accounts["csm_a1"][0]
    entered = timezone.now().date() - timedelta(days=10)
    AccountStage.objects.create(account=account, stage=Stage.STEADY, entered_on=entered)

    def days_in_stage(zone: str) -> tuple[int, date]:
        with timezone.override(zone):
            row = book_accounts(user=org.csm_a1).get(pk=account.pk)
            return row.lifecycle_days.days, timezone.localdate()

    east, east_today = days_in_stage("Pacific/Kiritimati")  # UTC+14
    west, west_today = days_in_stage("Pacific/Pago_Pago")  # UTC-11
    assert east_today != west_today
    assert east == (east_today - entered).days
    assert west == (west_today - entered).days


def test_segments_follow_the_settings(org, settings):
    account = org.accounts["csm_a1"][0]
    Account.objects.filter(pk=account.pk).update(arr=Decimal("5000"))
    assert book_accounts(user=org.csm_a1).get(pk=account.pk).segment_key == "tech_touch"

    settings.HOURGLASS_SEGMENT_BANDS = {"enterprise": Decimal(1000), "tech_touch": Decimal(0)}

    assert book_accounts(user=org.csm_a1).get(pk=account.pk).segment_key == "enterprise"


def test_each_filter_form_has_fields_of_its_own(org):
    def filterset(user) -> BookFilter:
        request = RequestFactory().get("/accounts/")
        request.user = user
        return BookFilter(None, queryset=book_accounts(user=user), request=request)

    first, second = filterset(org.csm_a1), filterset(org.manager_a)
    for name in first.form.fields:
        assert first.form.fields[name] is not second.form.fields[name]
        assert first.form.fields[name].widget is not second.form.fields[name].widget
    first.form.fields["industry"].widget.attrs["data-x"] = "1"
    assert "data-x" not in filterset(org.csm_a1).form.fields["industry"].widget.attrs
    # The owner choices are each user's: a CSM's own name only, a manager's team.
    assert [pk for pk, _ in first.form.fields["owner"].choices] == [org.csm_a1.pk]
    assert {pk.value for pk, _ in second.form.fields["owner"].choices} >= {org.csm_a1.pk, org.csm_a2.pk}
