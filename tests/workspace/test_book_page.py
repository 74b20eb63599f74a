"""The book page (``workspace.book``): every column of its rows, its sort headers, and
no query per row."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Account
from health.models import HealthScore
from playbooks.models import AccountStage, Stage
from tests.factories import AccountFactory


@pytest.mark.django_db
def test_sort_headers_toggle_the_current_column_and_keep_the_filters(client, org):
    client.force_login(org.csm_a1)

    html = client.get(reverse("accounts:list"), {"q": "a&b", "ordering": "arr", "page": "1"}).content.decode()

    assert 'aria-sort="ascending"><a href="?q=a%26b&amp;ordering=-arr"' in html
    assert 'href="?q=a%26b&amp;ordering=name"' in html
    html = client.get(reverse("accounts:list"), {"ordering": "-arr"}).content.decode()
    assert 'aria-sort="descending"><a href="?ordering=arr"' in html


@pytest.mark.django_db
def test_rows_show_every_column(client, org):
    today = timezone.localdate()
    scored, staged = org.accounts["csm_a1"]
    Account.objects.filter(pk=scored.pk).update(
        name="<Acme> & Sons", external_id="X-1", arr=Decimal("1234567.8"), go_live_date=today, dossier_score=85
    )
    HealthScore.objects.create(account=scored, day=today - timedelta(days=7), score=70, colour="green")
    HealthScore.objects.create(account=scored, day=today, score=58, colour="yellow")
    AccountStage.objects.create(account=staged, stage=Stage.RENEWAL_WINDOW, entered_on=today - timedelta(days=1))
    client.force_login(org.csm_a1)

    html = client.get(reverse("accounts:list")).content.decode()

    assert f'<a href="/accounts/{scored.pk}/">&lt;Acme&gt; &amp; Sons</a>' in html
    assert '<span class="text-muted small ms-1">X-1</span>' in html
    assert '<td class="text-end" data-col="arr" data-label="ARR">¥1,234,568</td>' in html
    assert '<span class="badge hg-health-yellow">58</span> <span class="small text-danger">-12</span>' in html
    assert '<span class="badge text-bg-success">85</span>' in html
    assert f'<td data-col="go_live" data-label="Go-live">{today.isoformat()}</td>' in html
    assert (
        '<span class="badge text-bg-light hg-stage-renewal_window">Renewal window</span> '
        '<span class="small text-muted" title="Days in stage">1 day</span>'
    ) in html
    assert html.count('data-testid="account-row"') == 2


@pytest.mark.django_db
def test_rows_in_chinese(client, org):
    AccountStage.objects.create(
        account=org.accounts["csm_a1"][0], stage=Stage.STEADY, entered_on=timezone.localdate() - timedelta(days=3)
    )
    client.force_login(org.admin)
    with translation.override("zh-hans"):
        html = client.get(reverse("accounts:list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "3 天" in html
    assert '<span class="text-muted">Unassigned</span>' not in html and 'title="Days in stage"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_query_count_is_the_same_for_one_row_and_a_full_page(client, org, htmx):
    client.force_login(org.csm_a1)
    Account.objects.all().delete()
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/accounts/?ordering=-health_score", **headers).status_code == 200
        return len(ctx.captured_queries)

    AccountFactory(owner=org.csm_a1)
    one = count()
    today = timezone.localdate()
    for i in range(59):
        account = AccountFactory(owner=org.csm_a1 if i % 3 else None, external_id=f"N-{i}")
        HealthScore.objects.create(account=account, day=today, score=50 + i % 40, colour="yellow")
        AccountStage.objects.create(account=account, stage=Stage.STEADY, entered_on=today - timedelta(days=i))
    assert count() == one


@pytest.mark.django_db
def test_a_bad_filter_value_is_named_above_the_table_not_a_500(client, org):
    client.force_login(org.csm_a1)

    response = client.get(reverse("accounts:list"), {"industry": "no-such-industry"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="alert alert-warning' in html
    assert "<strong>industry</strong>" in html
