"""The signal forecast: stage and health score, beside the CSM's call."""

from __future__ import annotations

from decimal import Decimal

import pytest

from health.models import HealthScore
from renewals.models import RenewalOpportunity, RenewalStatus, signal_probability_for
from renewals.selectors import get_renewal_for_user, renewal_list
from renewals.services import renewal_override_forecast, renewal_set_stage
from tests.renewals.conftest import TODAY, make_renewal


def score(renewal: RenewalOpportunity, value: int | None) -> None:
    HealthScore.objects.create(account=renewal.account, day=TODAY, score=value)


@pytest.mark.parametrize(
    ("status", "health", "expected"),
    [
        (RenewalStatus.OPEN, None, "0.80"),  # no score yet: the stage alone
        (RenewalStatus.OPEN, 100, "0.90"),
        (RenewalStatus.OPEN, 70, "0.90"),  # green from 70
        (RenewalStatus.OPEN, 69, "0.70"),
        (RenewalStatus.OPEN, 40, "0.70"),  # yellow from 40
        (RenewalStatus.OPEN, 39, "0.45"),
        (RenewalStatus.OPEN, 0, "0.45"),
        (RenewalStatus.AT_RISK, None, "0.40"),
        (RenewalStatus.AT_RISK, 85, "0.55"),
        (RenewalStatus.AT_RISK, 55, "0.40"),
        (RenewalStatus.AT_RISK, 10, "0.25"),
        (RenewalStatus.COMMITTED, 10, "0.95"),  # the customer said yes: health does not move it
        (RenewalStatus.RENEWED, 10, "1"),
        (RenewalStatus.CHURNED, 95, "0"),
    ],
)
def test_signal_probability_from_stage_and_health(status, health, expected):
    assert signal_probability_for(status, health) == Decimal(expected)


@pytest.mark.django_db
@pytest.mark.parametrize("health", [None, 0, 39, 40, 69, 70, 100])
@pytest.mark.parametrize("at_risk", [False, True])
def test_sql_and_python_signal_agree(org, health, at_risk):
    renewal = make_renewal(org.csm_a1, days_left=40, at_risk=at_risk)
    if health is not None:
        score(renewal, health)
    row = renewal_list(user=org.admin).get(pk=renewal.pk)
    assert row.health_score == health
    assert row.signal_p == row.signal_probability == signal_probability_for(row.status, health)
    assert row.signal_weighted == row.forecast_arr * row.signal_p
    assert row.signal_forecast == (row.forecast_arr * row.signal_p).quantize(Decimal("0.01"))


@pytest.mark.django_db
def test_the_latest_score_counts(org):
    renewal = make_renewal(org.csm_a1, days_left=40)
    HealthScore.objects.create(account=renewal.account, day=TODAY.replace(day=1), score=20)
    score(renewal, 80)
    assert get_renewal_for_user(org.csm_a1, renewal.pk).signal_probability == Decimal("0.90")


@pytest.mark.django_db
def test_disagreement_is_measured_against_the_health_signal(org):
    healthy = make_renewal(org.csm_a1, days_left=40, arr="100000")
    score(healthy, 90)  # signal 0.90
    renewal_override_forecast(renewal=healthy, probability=Decimal("0.65"), reason="Budget freeze", actor=None)
    row = get_renewal_for_user(org.csm_a1, healthy.pk)
    assert row.signal_probability == Decimal("0.90") and row.disagrees  # 25 points apart
    assert (row.signal_forecast, row.csm_forecast) == (Decimal("90000.00"), Decimal("65000.00"))

    unscored = make_renewal(org.csm_a1, days_left=40)
    renewal_override_forecast(renewal=unscored, probability=Decimal("0.65"), reason="Budget freeze", actor=None)
    assert not get_renewal_for_user(org.csm_a1, unscored.pk).disagrees  # 0.80 vs 0.65

    # Committing the renewal moves the signal to 0.95 whatever the health.
    renewal_set_stage(renewal=healthy, status=RenewalStatus.COMMITTED, actor=None)
    assert get_renewal_for_user(org.csm_a1, healthy.pk).signal_probability == Decimal("0.95")


@pytest.mark.django_db
def test_without_a_health_score_the_stage_alone_decides(org):
    renewal = make_renewal(org.csm_a1, days_left=40)
    row = renewal_list(user=org.admin).get(pk=renewal.pk)
    assert row.health_score is None
    assert row.signal_p == row.signal_probability == Decimal("0.80")


@pytest.mark.django_db
def test_pages_and_api_show_signal_and_call_side_by_side(org, client):
    renewal = make_renewal(org.csm_a1, days_left=40, arr="200000")
    score(renewal, 30)  # red: signal 0.45
    renewal_override_forecast(renewal=renewal, probability=Decimal("0.90"), reason="Signed LOI", actor=None)
    client.force_login(org.csm_a1)
    detail = client.get(f"/renewals/{renewal.pk}/").content.decode()
    assert 'data-testid="signal">45% ·' in detail and "health 30" in detail
    assert 'data-testid="disagreement"' in detail and "Signed LOI" in detail
    listing = client.get("/renewals/").content.decode()
    assert "45%" in listing and "90%" in listing and 'data-testid="disagreement"' in listing
    row = client.get(f"/api/v1/renewals/{renewal.pk}/").json()
    assert (row["signal_probability"], row["probability"], row["disagrees"]) == ("0.45", "0.90", True)
    assert row["signal_forecast"] == "90000.00" and row["csm_forecast"] == "180000.00"


@pytest.mark.django_db
def test_pipeline_forecast_uses_the_health_signal(org):
    from renewals.selectors import renewal_pipeline

    red = make_renewal(org.csm_a1, days_left=40, arr="100000")
    score(red, 10)
    green = make_renewal(org.csm_a1, days_left=41, arr="100000")
    score(green, 90)
    (row,) = renewal_pipeline(renewals=renewal_list(user=org.admin).filter(pk__in=[red.pk, green.pk]))
    assert row.forecast == Decimal("135000")  # 0.45 × 100,000 + 0.90 × 100,000
