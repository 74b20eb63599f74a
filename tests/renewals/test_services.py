from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import TimelineEntry
from org.models import SettingsSection
from org.operations_settings import operations_settings_update
from renewals.models import ChurnReason, Contract, RenewalOpportunity, RenewalStatus
from renewals.periods import next_period
from renewals.selectors import account_renewal_summary, renewal_list, renewal_pipeline
from renewals.services import (
    contract_create,
    contract_update,
    renewal_close,
    renewal_mark_at_risk,
    renewal_override_forecast,
    renewal_set_stage,
)
from renewals.signals import renewal_marked_at_risk
from tests.factories import AccountFactory
from tests.renewals.conftest import TODAY, churn_reason, make_renewal

pytestmark = pytest.mark.django_db


def test_contract_create_opens_its_renewal():
    account = AccountFactory()
    contract = contract_create(
        actor=None, account=account, start_date=date(2025, 1, 1), end_date=date(2025, 12, 31), arr=Decimal("50000")
    )
    renewal = RenewalOpportunity.objects.get(contract=contract)
    assert renewal.account == account
    assert renewal.due_date == date(2025, 12, 31)
    assert renewal.forecast_arr == Decimal("50000")
    assert renewal.status == RenewalStatus.OPEN
    assert contract.currency == "CNY"
    assert contract.history.count() == 1


def test_contract_end_before_start_is_refused():
    with pytest.raises(ValidationError) as error:
        contract_create(
            actor=None, account=AccountFactory(), start_date=date(2025, 1, 2), end_date=date(2025, 1, 1), arr=1
        )
    assert "end_date" in error.value.message_dict
    assert not Contract.objects.exists()


def test_contract_update_keeps_the_renewal_in_sync():
    renewal = make_renewal(days_left=40)
    contract_update(actor=None, contract=renewal.contract, end_date=date(2025, 6, 30), arr=Decimal("120000"))
    renewal.refresh_from_db()
    assert renewal.due_date == date(2025, 6, 30)
    assert renewal.forecast_arr == Decimal("120000")
    # Once the CSM has made their own call, a contract change leaves their forecast alone.
    renewal_override_forecast(
        renewal=renewal, probability=Decimal("0.5"), forecast_arr=Decimal("90000"), reason="Cutting seats", actor=None
    )
    contract_update(actor=None, contract=renewal.contract, arr=Decimal("130000"))
    renewal.refresh_from_db()
    assert renewal.forecast_arr == Decimal("90000")
    with pytest.raises(ValidationError):
        contract_update(actor=None, contract=renewal.contract, account=AccountFactory())


def test_mark_at_risk_records_timeline_and_signals_after_commit(django_capture_on_commit_callbacks):
    renewal = make_renewal(days_left=40)
    received = []

    def receiver(sender, renewal, reason, actor, **kwargs):
        received.append((renewal.pk, reason))

    renewal_marked_at_risk.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            updated = renewal_mark_at_risk(renewal=renewal, reason="Usage halved", actor=None)
        assert received == []  # not before the commit
        for callback in callbacks:
            callback()
        assert received == [(renewal.pk, "Usage halved")]
    finally:
        renewal_marked_at_risk.disconnect(receiver)
    assert updated.status == RenewalStatus.AT_RISK
    assert updated.risk_reason == "Usage halved"
    entry = TimelineEntry.objects.get(account=renewal.account, kind="renewal_at_risk")
    assert entry.body == "Usage halved"
    with pytest.raises(ValidationError):
        renewal_mark_at_risk(renewal=renewal, reason="  ", actor=None)


def test_signal_and_csm_forecast_and_their_disagreement():
    renewal = make_renewal(days_left=40, arr="100000")
    assert renewal.signal_probability == Decimal("0.80")
    assert renewal.signal_forecast == Decimal("80000.00")
    assert renewal.csm_forecast is None and not renewal.disagrees
    with pytest.raises(ValidationError) as error:
        renewal_override_forecast(renewal=renewal, probability=Decimal("0.5"), reason="", actor=None)
    assert "reason" in error.value.message_dict
    renewal = renewal_override_forecast(
        renewal=renewal, probability=Decimal("0.55"), reason="QBR went badly", actor=None
    )
    assert renewal.csm_forecast == Decimal("55000.00")
    assert renewal.disagrees  # exactly 0.25 apart: flagged
    renewal = renewal_override_forecast(renewal=renewal, probability=Decimal("0.60"), reason="Better", actor=None)
    assert not renewal.disagrees
    # At risk moves the signal to 0.40: now the CSM's 0.60 is within 0.25 of it.
    renewal = renewal_mark_at_risk(renewal=renewal, reason="Budget freeze", actor=None)
    assert renewal.signal_probability == Decimal("0.40") and not renewal.disagrees
    renewal = renewal_override_forecast(renewal=renewal, probability=None, reason="", actor=None)
    assert renewal.override_probability is None and renewal.probability == Decimal("0.40")
    annotated = renewal_list(user=_admin()).get(pk=renewal.pk)
    assert annotated.forecast_weighted == Decimal("40000")


def _admin():
    from tests.factories import make_person

    return make_person("admin", username="renewals-admin")


def test_close_renewed_creates_the_next_period():
    account = AccountFactory()
    contract = contract_create(
        actor=None, account=account, start_date=date(2024, 1, 1), end_date=date(2024, 12, 31), arr=Decimal("80000")
    )
    renewal = RenewalOpportunity.objects.get(contract=contract)
    closed = renewal_close(renewal=renewal, outcome=RenewalStatus.RENEWED, outcome_arr=Decimal("88000"), actor=None)
    assert closed.status == RenewalStatus.RENEWED and closed.closed_at is not None
    assert closed.outcome_arr == Decimal("88000")
    following = Contract.objects.get(previous=contract)
    assert (following.start_date, following.end_date) == (date(2025, 1, 1), date(2025, 12, 31))
    assert following.arr == Decimal("88000") and following.products == contract.products
    assert RenewalOpportunity.objects.get(contract=following).due_date == date(2025, 12, 31)
    assert TimelineEntry.objects.filter(account=account, kind="renewal_closed").count() == 1
    with pytest.raises(ValidationError):  # closed once
        renewal_close(renewal=closed, outcome=RenewalStatus.RENEWED, outcome_arr=Decimal("1"), actor=None)
    summary = account_renewal_summary(account=account, today=date(2025, 2, 1))
    assert summary.next_renewal_date == date(2025, 12, 31)
    assert summary.active_arr == Decimal("88000") and summary.active_contracts == 1


def test_close_downgraded_needs_a_lower_arr_and_churned_a_reason():
    renewal = make_renewal(days_left=10, arr="100000")
    with pytest.raises(ValidationError) as error:
        renewal_close(renewal=renewal, outcome=RenewalStatus.DOWNGRADED, outcome_arr=Decimal("100000"), actor=None)
    assert "outcome_arr" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        renewal_close(renewal=renewal, outcome=RenewalStatus.CHURNED, actor=None)
    assert "churn_reason" in error.value.message_dict
    with pytest.raises(ValidationError):
        renewal_close(renewal=renewal, outcome=RenewalStatus.OPEN, actor=None)
    closed = renewal_close(renewal=renewal, outcome=RenewalStatus.CHURNED, churn_reason=churn_reason(), actor=None)
    assert closed.outcome_arr == Decimal("0")
    assert not Contract.objects.filter(previous=renewal.contract).exists()
    other = make_renewal(days_left=10, arr="100000")
    renewal_close(renewal=other, outcome=RenewalStatus.DOWNGRADED, outcome_arr=Decimal("70000"), actor=None)
    assert Contract.objects.get(previous=other.contract).arr == Decimal("70000")


def test_stage_moves_between_open_and_committed_only():
    renewal = make_renewal(days_left=10)
    assert renewal_set_stage(renewal=renewal, status=RenewalStatus.COMMITTED, actor=None).status == "committed"
    with pytest.raises(ValidationError):
        renewal_set_stage(renewal=renewal, status=RenewalStatus.RENEWED, actor=None)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2024, 1, 1), date(2024, 12, 31), (date(2025, 1, 1), date(2025, 12, 31))),
        (date(2023, 3, 1), date(2024, 2, 29), (date(2024, 3, 1), date(2025, 2, 28))),
        (date(2025, 1, 15), date(2025, 7, 14), (date(2025, 7, 15), date(2026, 1, 14))),
        (date(2025, 1, 1), date(2025, 1, 10), (date(2025, 1, 11), date(2025, 1, 20))),
    ],
)
def test_next_period_keeps_the_term(start, end, expected):
    assert next_period(start, end) == expected


def test_churn_reasons_are_seeded_and_shown_translated():
    from django.utils import translation

    codes = set(ChurnReason.objects.values_list("code", flat=True))
    assert {"price", "competitor", "low_usage", "other"} <= codes
    with translation.override("en"):
        assert str(ChurnReason.objects.get(code="price")) == "Price or budget"


def test_pipeline_by_month_and_quarter():
    admin = _admin()
    make_renewal(days_left=5, arr="100000")  # 2025-03-08
    make_renewal(days_left=20, arr="50000", at_risk=True)  # 2025-03-23
    committed = make_renewal(days_left=40, arr="10000")  # 2025-04-12
    renewal_set_stage(renewal=committed, status=RenewalStatus.COMMITTED, actor=None)
    rows = renewal_pipeline(renewals=renewal_list(user=admin), by="month")
    assert [(r.period.isoformat()[:7], r.renewals) for r in rows] == [("2025-03", 2), ("2025-04", 1)]
    march = rows[0]
    assert march.arr == Decimal("150000")
    assert march.forecast == Decimal("100000")  # 100k * 0.8 + 50k * 0.4
    assert march.at_risk == Decimal("50000") and march.committed == 0
    assert rows[1].committed == Decimal("10000")
    quarters = renewal_pipeline(renewals=renewal_list(user=admin), by="quarter")
    assert [(q.period, q.renewals) for q in quarters] == [(date(2025, 1, 1), 2), (date(2025, 4, 1), 1)]
    assert TODAY.month == 3


def test_a_new_contract_takes_the_currency_of_the_settings_area(org):
    operations_settings_update(actor=org.admin, section=SettingsSection.CURRENCY, values={"currency": "USD"})
    contract = contract_create(
        actor=None, account=AccountFactory(), start_date=date(2025, 1, 1), end_date=date(2025, 12, 31), arr=1000
    )
    assert contract.currency == "USD"
