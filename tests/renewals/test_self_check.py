from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import (
    DossierSection,
    KeyPersonLevel,
    PromiseStatus,
    RiskFlag,
    RiskKind,
    SalesPromise,
    SectionKey,
    Stakeholder,
    TimelineEntry,
    TouchpointKind,
)
from renewals.selectors import renewal_self_check
from tests.renewals.conftest import make_renewal

pytestmark = pytest.mark.django_db


def verdicts(renewal) -> dict[str, bool]:
    return {item.key: item.ok for item in renewal_self_check(renewal)}


def test_an_empty_dossier_fails_goals_and_value_only(org):
    renewal = make_renewal(account=org.accounts["csm_a1"][0], today=timezone.localdate())
    assert verdicts(renewal) == {
        "purchase_goals": False,
        "decision_chain": True,
        "sales_promises": True,
        "value_presented": False,
    }


def test_each_item_turns_on_its_evidence(org):
    account = org.accounts["csm_a1"][0]
    renewal = make_renewal(account=account, today=timezone.localdate())
    today = timezone.localdate()
    DossierSection.objects.create(account=account, key=SectionKey.PURCHASE_GOALS, content="  ")
    assert verdicts(renewal)["purchase_goals"] is False  # blank is not written
    DossierSection.objects.filter(account=account).update(content="Cut order processing time by half")
    # Left long ago, or not a key person: the decision chain stands.
    Stakeholder.objects.create(
        account=account, name="Old CFO", key_level=KeyPersonLevel.DECISION_MAKER, is_active=False,
        left_on=today - timedelta(days=500),
    )  # fmt: skip
    Stakeholder.objects.create(
        account=account, name="Intern", key_level=KeyPersonLevel.NONE, is_active=False, left_on=today
    )
    SalesPromise.objects.create(account=account, promise="SSO", status=PromiseStatus.OPEN, due_date=today)
    SalesPromise.objects.create(account=account, promise="API", status=PromiseStatus.FULFILLED)
    TimelineEntry.objects.create(
        account=account, is_touchpoint=True, kind=TouchpointKind.VALUE_REPORT, title="QBR Q1",
        occurred_at=timezone.now() - timedelta(days=30),
    )  # fmt: skip
    assert all(verdicts(renewal).values())

    Stakeholder.objects.create(
        account=account, name="Ms Wang", key_level=KeyPersonLevel.DAY_TO_DAY, is_active=False,
        left_on=today - timedelta(days=40),
    )  # fmt: skip
    SalesPromise.objects.create(
        account=account, promise="Custom report", status=PromiseStatus.OPEN, due_date=today - timedelta(days=1)
    )
    SalesPromise.objects.create(account=account, promise="On-site training", status=PromiseStatus.BROKEN)
    TimelineEntry.objects.filter(account=account).update(occurred_at=timezone.now() - timedelta(days=91))
    items = {item.key: item for item in renewal_self_check(renewal)}
    assert not items["decision_chain"].ok and "Ms Wang" in items["decision_chain"].evidence[0]
    assert not items["sales_promises"].ok and len(items["sales_promises"].evidence) == 2
    assert any("On-site training" in line for line in items["sales_promises"].evidence)
    assert not items["value_presented"].ok
    assert items["purchase_goals"].ok and "order processing" in items["purchase_goals"].evidence[0]


def test_an_open_decision_chain_flag_is_red_until_resolved(org):
    account = org.accounts["csm_a1"][0]
    renewal = make_renewal(account=account, today=timezone.localdate())
    flag = RiskFlag.objects.create(account=account, kind=RiskKind.DECISION_CHAIN_CHANGED, reason="New CIO")
    RiskFlag.objects.create(account=account, kind=RiskKind.OTHER, reason="Budget")
    item = next(item for item in renewal_self_check(renewal) if item.key == "decision_chain")
    assert not item.ok and item.evidence == ["Open risk flag: New CIO"]
    RiskFlag.objects.filter(pk=flag.pk).update(resolved_at=timezone.now())
    assert verdicts(renewal)["decision_chain"] is True


def test_page_and_api_show_the_check_in_constant_queries(org, client):
    account = org.accounts["csm_a1"][0]
    renewal = make_renewal(account=account, today=timezone.localdate())
    client.force_login(org.csm_a1)
    urls = [f"/renewals/{renewal.pk}/", f"/api/v1/renewals/{renewal.pk}/"]

    def counts() -> list[int]:
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            result.append(len(ctx.captured_queries))
        return result

    before = counts()
    today = timezone.localdate()
    for i in range(10):
        Stakeholder.objects.create(
            account=account, name=f"P{i}", key_level=KeyPersonLevel.DECISION_MAKER, left_on=today, is_active=False
        )
        SalesPromise.objects.create(account=account, promise=f"X{i}", status=PromiseStatus.BROKEN)
        RiskFlag.objects.create(account=account, kind=RiskKind.DECISION_CHAIN_CHANGED, reason=f"R{i}")
    assert counts() == before
    page = client.get(urls[0]).content.decode()
    assert 'data-testid="self-check-decision_chain" data-ok="false"' in page
    body = client.get(urls[1]).json()
    assert [item["key"] for item in body["self_check"]] == [
        "purchase_goals",
        "decision_chain",
        "sales_promises",
        "value_presented",
    ]
    assert body["self_check"][2]["ok"] is False
    assert "self_check" not in client.get("/api/v1/renewals/").json()["results"][0]


def test_another_csms_self_check_is_hidden(org, client):
    renewal = make_renewal(account=org.accounts["csm_a1"][0], today=timezone.localdate())
    client.force_login(org.csm_a2)
    assert client.get(f"/renewals/{renewal.pk}/").status_code == 404
    assert client.get(f"/api/v1/renewals/{renewal.pk}/").status_code == 404
    client.force_login(org.csm_b1)
    assert client.get(f"/api/v1/renewals/{renewal.pk}/").status_code == 404
