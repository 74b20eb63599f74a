"""Charts on the renewals and KPI pages; each bar or point opens the renewals behind it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from renewals.charts import period_end, period_label
from renewals.models import RenewalStatus
from renewals.periods import add_months
from renewals.services import renewal_set_stage
from tests.renewals.conftest import make_renewal
from tests.renewals.test_kpis import PERIOD, hand_worked_book

pytestmark = pytest.mark.django_db


def rows_behind(client, link):
    response = client.get(link)
    assert response.status_code == 200
    return [renewal.pk for renewal in response.context["page"].object_list]


def test_period_labels_and_ends():
    assert (period_label(date(2025, 4, 1), "quarter"), period_end(date(2025, 4, 1), "quarter")) == (
        "2025 Q2",
        date(2025, 6, 30),
    )
    assert (period_label(date(2024, 2, 1), "month"), period_end(date(2024, 2, 1), "month")) == (
        "2024-02",
        date(2024, 2, 29),
    )


def test_pipeline_charts_stack_by_stage_and_link_to_their_renewals(client, org):
    today = timezone.localdate()
    first_month = add_months(date(today.year, today.month, 1), 2)
    second_month = add_months(first_month, 1)
    accounts = org.accounts["csm_a1"]
    committed = make_renewal(account=accounts[0], days_left=(first_month - today).days + 3, arr="100", today=today)
    renewal_set_stage(renewal=committed, status=RenewalStatus.COMMITTED, actor=None)
    at_risk = make_renewal(
        account=accounts[1], days_left=(first_month - today).days + 9, arr="50", today=today, at_risk=True
    )
    plain = make_renewal(account=accounts[0], days_left=(second_month - today).days, arr="70", today=today)
    other_csm = make_renewal(org.csm_a2, days_left=(first_month - today).days + 1, arr="999", today=today)

    client.force_login(org.csm_a1)
    assert len(client.get("/renewals/").context["pipeline_charts"]) == 2  # no query string: the whole scope
    response = client.get("/renewals/?ordering=arr")
    body = response.content.decode()
    assert 'data-testid="chart-pipeline-stages"' in body and 'id="pipeline-stages-data"' in body
    stages, forecast = response.context["pipeline_charts"]
    assert stages.stacked and stages.y_format == "money"
    assert stages.labels == [f"{first_month:%Y-%m}", f"{second_month:%Y-%m}"]
    values = {series.label: list(series.values) for series in stages.series}
    assert values == {
        "Committed": [Decimal("100"), Decimal("0")],
        "Open": [Decimal("0"), Decimal("70")],
        "At risk": [Decimal("50"), Decimal("0")],
    }
    assert [series.label for series in forecast.series] == ["Forecast", "Committed", "At risk"]
    # 0.95 × 100 + 0.40 × 50 (no health score): the signal forecast, not the raw ARR.
    assert forecast.series[0].values == [Decimal("115"), Decimal("56")]
    # Each bar opens exactly the renewals it adds up, the page's own filters kept.
    assert "ordering=arr" in stages.links[0]
    assert sorted(rows_behind(client, stages.links[0])) == sorted([committed.pk, at_risk.pk])
    assert rows_behind(client, stages.links[1]) == [plain.pk]
    assert other_csm.pk not in rows_behind(client, forecast.links[0])

    by_quarter = client.get("/renewals/?pipeline=quarter").context["pipeline_charts"][0]
    assert by_quarter.labels == sorted({period_label(date(d.year, 3 * ((d.month - 1) // 3) + 1, 1), "quarter")
                                         for d in (first_month, second_month)})  # fmt: skip
    assert sum(len(rows_behind(client, link)) for link in by_quarter.links) == 3


def test_no_open_renewals_no_chart(client, org):
    client.force_login(org.csm_a1)
    response = client.get("/renewals/")
    assert response.context["pipeline_charts"] == []
    assert 'data-testid="pipeline-charts"' not in response.content.decode()


def test_kpi_trend_per_quarter_matches_the_hand_worked_book(client, org):
    hand_worked_book(org.accounts["csm_a1"][0])
    client.force_login(org.manager_a)
    response = client.get(f"/renewals/kpis/?{PERIOD}&group_by=icp_fit")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="chart-kpi-retention"' in body and 'data-testid="chart-kpi-rates"' in body
    retention, rates = response.context["charts"]
    assert retention.labels == ["2025 Q1", "2025 Q2", "2025 Q3", "2025 Q4"] and retention.y_format == "percent"
    grr, ndr = (list(series.values) for series in retention.series)
    # Q1: 100 → 120; Q2: 200 → 150; Q3: 100 churned; Q4: 40 → 40 (R4 still open).
    assert grr == [Decimal("1"), Decimal("0.75"), Decimal("0"), Decimal("1")]
    assert ndr == [Decimal("1.2"), Decimal("0.75"), Decimal("0"), Decimal("1")]
    logo, pure, expansion = (list(series.values) for series in rates.series)
    assert logo == [Decimal("1"), Decimal("1"), Decimal("0"), Decimal("1")]
    assert pure == grr and expansion == ndr
    # Each point opens the closed renewals of its quarter.
    counts = [len(rows_behind(client, link)) for link in retention.links]
    assert counts == [1, 1, 1, 1]
    assert "due_from=2025-04-01" in retention.links[1] and "due_to=2025-06-30" in retention.links[1]


def test_kpi_trend_clips_to_the_period_and_keeps_empty_quarters(client, org):
    client.force_login(org.admin)
    response = client.get("/renewals/kpis/?start=2025-02-15&end=2025-08-10")
    (retention, _rates) = response.context["charts"]
    assert retention.labels == ["2025 Q1", "2025 Q2", "2025 Q3"]
    assert all(value is None for series in retention.series for value in series.values)
    assert "due_from=2025-02-15" in retention.links[0] and "due_to=2025-08-10" in retention.links[2]


def test_team_filter_lists_the_visible_teams_and_filters(client, org):
    today = timezone.localdate()
    mine = make_renewal(org.csm_a1, days_left=20, today=today)
    theirs = make_renewal(org.csm_b1, days_left=20, today=today)
    client.force_login(org.admin)
    response = client.get("/renewals/")
    choices = dict(response.context["filter"].form.fields["team"].widget.choices)
    assert choices[str(org.team_a.pk)] == "Team A" and choices[str(org.team_b.pk)] == "Team B"
    listed = [r.pk for r in client.get(f"/renewals/?team={org.team_b.pk}").context["page"].object_list]
    assert theirs.pk in listed and mine.pk not in listed
    client.force_login(org.csm_a1)
    choices = dict(client.get("/renewals/").context["filter"].form.fields["team"].widget.choices)
    assert str(org.team_b.pk) not in choices
