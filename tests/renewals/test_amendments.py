"""Contract amendments: validation, timeline and history, won expansions once, the
contraction page and API, and the ledger update after commit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.models import TimelineEntry
from renewals.amendments import contract_amend
from renewals.models import ArrMovement, ContractAmendment, ContractStatus, ExpansionStage, RenewalOpportunity
from renewals.services import contract_create, contract_update, expansion_create, expansion_update, expansion_win

pytestmark = pytest.mark.django_db

YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def yearly(account, arr: str = "100"):
    return contract_create(actor=None, account=account, start_date=YEAR[0], end_date=YEAR[1], arr=Decimal(arr))


def refused(field: str, **kwargs) -> None:
    with pytest.raises(ValidationError) as caught:
        contract_amend(**{"actor": None, **kwargs})
    assert field in caught.value.message_dict, caught.value.message_dict


def test_bad_input_is_refused_on_the_field(org):
    deal = yearly(org.accounts["csm_a1"][0])
    refused("arr_delta", contract=deal, effective_date=date(2025, 3, 1), arr_delta="0")
    refused("arr_delta", contract=deal, effective_date=date(2025, 3, 1), arr_delta="lots")
    refused("arr_delta", contract=deal, effective_date=date(2025, 3, 1), arr_delta=None)
    refused("effective_date", contract=deal, effective_date=date(2026, 1, 1), arr_delta="10")
    refused("effective_date", contract=deal, effective_date=None, arr_delta="10")
    refused("reason", contract=deal, effective_date=date(2025, 3, 1), arr_delta="-10", reason="  ")
    refused("arr_delta", contract=deal, effective_date=date(2025, 3, 1), arr_delta="-101", reason="Too much")
    contract_amend(contract=deal, effective_date=date(2025, 6, 1), arr_delta="-60", reason="Seats", actor=None)
    # 100 until June, 40 after: taking 50 from March would leave −10 from June on.
    refused("arr_delta", contract=deal, effective_date=date(2025, 3, 1), arr_delta="-50", reason="More")
    contract_update(actor=None, contract=deal, status=ContractStatus.CANCELLED)
    refused("contract", contract=deal, effective_date=date(2025, 3, 1), arr_delta="10")
    assert ContractAmendment.objects.count() == 1


def test_an_amendment_writes_timeline_history_and_moves_the_forecast(org):
    deal = yearly(org.accounts["csm_a1"][0])
    amendment = contract_amend(
        contract=deal, effective_date=date(2025, 4, 1), arr_delta=Decimal("-30"), reason="Fewer users", actor=org.csm_a1
    )
    assert (amendment.kind, amendment.created_by, amendment.account_id) == ("contraction", org.csm_a1, deal.account_id)
    entry = TimelineEntry.objects.get(account=deal.account, kind="contract_amended")
    assert entry.data["arr_delta"] == "-30.00" and entry.body == "Fewer users"
    assert amendment.history.get().history_user == org.csm_a1
    assert RenewalOpportunity.objects.get(contract=deal).forecast_arr == Decimal("70")


def test_a_won_expansion_amends_the_contract_exactly_once(org):
    account = org.accounts["csm_a1"][0]
    deal = yearly(account)
    expansion = expansion_create(
        account=account, title="Seats", kind="upsell", amount=Decimal("40"), actor=None, expected_close=date(2025, 7, 3)
    )
    assert not ContractAmendment.objects.exists()
    expansion_update(expansion=expansion, actor=org.csm_a1, stage=ExpansionStage.WON)
    # A won expansion is closed: it does not move back, and winning it again is a no-op.
    with pytest.raises(ValidationError):
        expansion_update(expansion=expansion, actor=org.csm_a1, stage=ExpansionStage.LOST)
    expansion_win(expansion=expansion, actor=org.csm_a1)
    (amendment,) = ContractAmendment.objects.all()
    assert (amendment.contract, amendment.effective_date, amendment.arr_delta) == (
        deal,
        date(2025, 7, 3),
        Decimal("40"),
    )
    assert amendment.expansion == expansion and amendment.kind == "expansion"
    # Raised as won straight away: amended on creation.
    expansion_create(
        account=account, title="BI", kind="cross_sell", amount=Decimal("5"), actor=None,
        stage=ExpansionStage.WON, expected_close=date(2025, 9, 1),
    )  # fmt: skip
    assert ContractAmendment.objects.count() == 2
    # Won while no contract is in force: nothing to raise.
    expansion_create(
        account=account, title="Late", kind="upsell", amount=Decimal("5"), actor=None,
        stage=ExpansionStage.WON, expected_close=date(2027, 1, 1),
    )  # fmt: skip
    assert ContractAmendment.objects.count() == 2


def test_contract_and_amendment_changes_update_the_ledger_after_commit(
    org, celery_eager, django_capture_on_commit_callbacks
):
    account = org.accounts["csm_a1"][0]
    with django_capture_on_commit_callbacks(execute=True):
        deal = yearly(account)
    assert list(ArrMovement.objects.filter(account=account).values_list("kind", "amount")) == [
        ("new", Decimal("100")),
        ("churn", Decimal("100")),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        contract_amend(contract=deal, effective_date=date(2025, 3, 1), arr_delta="25", actor=None)
    assert list(ArrMovement.objects.filter(account=account).values_list("month", "kind", "arr_after")) == [
        (date(2025, 1, 1), "new", Decimal("100")),
        (date(2025, 3, 1), "expansion", Decimal("125")),
        (date(2026, 1, 1), "churn", Decimal("0")),
    ]


def test_the_contraction_page(org, client):
    deal = yearly(org.accounts["csm_a1"][0])
    url = f"/renewals/contracts/{deal.pk}/amendments/"
    client.force_login(org.csm_a1)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"effective_date": "2025-05-01", "reduction": "500", "reason": "Cut"})
    assert bad.status_code == 400 and 'data-testid="error-reduction"' in bad.content.decode()
    no_reason = client.post(url, {"effective_date": "2025-05-01", "reduction": "20", "reason": ""})
    assert no_reason.status_code == 400 and 'data-testid="error-reason"' in no_reason.content.decode()
    outside = client.post(url, {"effective_date": "2026-05-01", "reduction": "20", "reason": "Cut"})
    assert outside.status_code == 400 and 'data-testid="error-effective_date"' in outside.content.decode()
    done = client.post(url, {"effective_date": "2025-05-01", "reduction": "20", "reason": "Cut"})
    assert done.status_code == 302
    assert ContractAmendment.objects.get().arr_delta == Decimal("-20")
    assert 'data-testid="amendment-row"' in client.get(url).content.decode()
    renewal = RenewalOpportunity.objects.get(contract=deal)
    assert url in client.get(f"/renewals/{renewal.pk}/").content.decode()
    client.force_login(org.csm_a2)
    assert client.get(url).status_code == 404
    assert client.post(url, {"effective_date": "2025-05-01", "reduction": "1", "reason": "x"}).status_code == 404
    assert ContractAmendment.objects.count() == 1


def test_the_api(org, client):
    deal = yearly(org.accounts["csm_a1"][0])
    url = f"/api/v1/contracts/{deal.pk}/amendments/"
    client.force_login(org.csm_a1)
    created = client.post(
        url, {"effective_date": "2025-02-01", "arr_delta": "-10", "reason": "Seats"}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["kind"] == "contraction"
    missing = client.post(url, {"effective_date": "2025-02-01", "arr_delta": "-10"}, content_type="application/json")
    assert missing.status_code == 400 and "reason" in missing.json()
    zero = client.post(url, {"effective_date": "2025-02-01", "arr_delta": "0"}, content_type="application/json")
    assert zero.status_code == 400 and "arr_delta" in zero.json()
    assert [row["arr_delta"] for row in client.get(url).json()] == ["-10.00"]
    retention = client.get("/api/v1/arr-retention/?start=2025-04-01&end=2025-06-30&group_by=csm")
    assert retention.status_code == 200 and retention.json()["group_by"] == "csm"
    assert client.get("/api/v1/arr-retention/?group_by=galaxy").status_code == 400
    client.force_login(org.csm_b1)
    assert client.get(url).status_code == 404
    assert (
        client.post(
            url, {"effective_date": "2025-02-01", "arr_delta": "5"}, content_type="application/json"
        ).status_code
        == 404
    )
    client.logout()
    assert client.get(url).status_code in (401, 403)


def test_the_nightly_rebuild_is_on_beat():
    from config.celery_app import app

    entry = app.conf.beat_schedule["renewals-arr-ledger-rebuild"]
    assert entry["task"] == "renewals.arr_ledger_rebuild_task"
    assert "renewals.arr_ledger_rebuild_task" in app.tasks and "renewals.arr_ledger_account_task" in app.tasks
