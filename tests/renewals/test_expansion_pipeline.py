"""The expansion pipeline: the owner rule (person and reason), services (create, edit,
move, win, lose), totals and the quarter pipeline, the FilterSet shared by the page, CSV
and API, scope, failure paths and query counts."""

from __future__ import annotations

import csv
import importlib
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from accounts.models import Account, TimelineEntry
from accounts.segments import segment_for_arr
from org.models import Role
from renewals.amendments import contract_arr_in_force
from renewals.expansion_selectors import expansion_list, expansion_pipeline, expansion_totals
from renewals.expansions import (
    expansion_create,
    expansion_lose,
    expansion_owner_decision,
    expansion_update,
    expansion_win,
)
from renewals.models import ContractAmendment, ExpansionOpportunity, ExpansionOwnerRule, ExpansionStage
from renewals.periods import add_months
from renewals.services import contract_create
from tests.factories import AccountFactory, make_person

pytestmark = pytest.mark.django_db

SIGNED = date(2026, 3, 1)


def sign(account: Account, start: date = SIGNED, arr: str = "100000") -> object:
    return contract_create(
        actor=None, account=account, start_date=start, end_date=add_months(start, 12) - timedelta(days=1), arr=arr
    )


def raise_one(account: Account, actor=None, **fields) -> ExpansionOpportunity:
    values = {"title": "More seats", "kind": "upsell", "amount": Decimal("1000")} | fields
    return expansion_create(account=account, actor=actor, **values)


@pytest.fixture
def sales(org):
    return make_person(Role.SALES, username="sales_rep", first_name="Xiao", last_name="Wang")


# --- The owner rule -------------------------------------------------------------------


def test_owner_is_the_sales_owner_within_n_months_then_the_csm(org, sales):
    account = org.accounts["csm_a1"][0]
    Account.objects.filter(pk=account.pk).update(sales_owner=sales)
    account.refresh_from_db()
    sign(account)
    sign(account, start=date(2026, 6, 1))  # a later contract does not restart the clock
    last_sales_day = add_months(SIGNED, 6) - timedelta(days=1)  # 2026-08-31
    inside = expansion_owner_decision(account=account, on=last_sales_day)
    assert (inside.owner_id, inside.role, inside.rule) == (sales.pk, "sales", ExpansionOwnerRule.SALES_WINDOW)
    boundary = expansion_owner_decision(account=account, on=add_months(SIGNED, 6))  # 2026-09-01
    assert (boundary.owner_id, boundary.role, boundary.rule) == (org.csm_a1.pk, "csm", ExpansionOwnerRule.CSM_AFTER)

    mine = raise_one(account, today=last_sales_day)
    theirs = raise_one(account, today=add_months(SIGNED, 6))
    assert mine.owner == sales and mine.owner_reason == "Sales owner: within 6 months of signing on 2026-03-01"
    assert theirs.owner == org.csm_a1
    assert theirs.owner_reason == "CSM: signed more than 6 months ago (on 2026-03-01)"
    # The reason is translated when shown, in the reader's language.
    with translation.override("zh-hans"):
        assert mine.owner_reason != "Sales owner: within 6 months of signing on 2026-03-01"
        assert "2026-03-01" in mine.owner_reason and "6" in mine.owner_reason


def test_owner_without_a_sales_owner_is_the_csm_and_unsigned_accounts_go_to_sales(org, sales, settings):
    account = org.accounts["csm_a1"][0]
    sign(account)
    early = expansion_owner_decision(account=account, on=SIGNED)
    assert (early.owner_id, early.rule) == (org.csm_a1.pk, ExpansionOwnerRule.CSM_NO_SALES_OWNER)
    unsigned = AccountFactory(owner=org.csm_a1, sales_owner=sales)
    assert expansion_owner_decision(account=unsigned, on=SIGNED).owner_id == sales.pk
    assert raise_one(unsigned).owner_reason == "Sales owner: no contract signed yet"
    bare = AccountFactory(owner=org.csm_a1)
    assert expansion_owner_decision(account=bare, on=SIGNED).rule == ExpansionOwnerRule.CSM_UNSIGNED

    settings.HOURGLASS_EXPANSION_SALES_MONTHS = 12
    Account.objects.filter(pk=account.pk).update(sales_owner=sales)
    account.refresh_from_db()
    late = expansion_owner_decision(account=account, on=date(2027, 2, 28))
    assert (late.owner_id, late.months) == (sales.pk, 12)
    for bad in (2, 13, True, "6"):
        settings.HOURGLASS_EXPANSION_SALES_MONTHS = bad
        with pytest.raises(ImproperlyConfigured):
            expansion_owner_decision(account=account, on=SIGNED)


def test_the_data_migration_fills_owners_by_the_rule(org, sales):
    within, after = org.accounts["csm_a1"]
    Account.objects.filter(pk=within.pk).update(sales_owner=sales)
    sign(within, start=timezone.localdate() - timedelta(days=30))
    sign(after, start=timezone.localdate() - timedelta(days=400))
    old = [
        ExpansionOpportunity.objects.create(account=account, title="Old", kind="upsell", amount=1, owner_role="csm")
        for account in (within, after)
    ]
    migration = importlib.import_module("renewals.migrations.0009_expansion_owner_probability")
    migration.fill_owners(django_apps, None)
    migration.fill_owners(django_apps, None)  # a second run finds nothing left to fill
    first, second = (ExpansionOpportunity.objects.get(pk=row.pk) for row in old)
    assert (first.owner, first.owner_role, first.owner_rule) == (sales, "sales", ExpansionOwnerRule.SALES_WINDOW)
    assert (second.owner, second.owner_rule, second.owner_rule_months) == (org.csm_a1, "csm_after", 6)


# --- Services ---------------------------------------------------------------------------


def test_create_edit_and_move_write_history_and_timeline(org):
    account = org.accounts["csm_a1"][0]
    sign(account)
    expansion = raise_one(account, actor=org.csm_a1, expected_close=date(2026, 5, 1))
    assert expansion.effective_probability == 10 and expansion.weighted_amount == Decimal("100.00")
    expansion = expansion_update(expansion=expansion, actor=org.csm_a1, probability=25)
    assert expansion.effective_probability == 25
    expansion = expansion_update(expansion=expansion, actor=org.csm_a1, stage=ExpansionStage.PROPOSAL)
    # A stage move drops the entered probability: the new stage's usual one applies.
    assert expansion.probability is None and expansion.effective_probability == 60
    kinds = list(TimelineEntry.objects.filter(account=account).values_list("kind", flat=True))
    assert kinds.count("expansion_created") == 1 and kinds.count("expansion_stage") == 1
    assert expansion.history.count() == 3
    assert expansion.history.first().history_user == org.csm_a1


def test_bad_input_names_the_field(org):
    account = org.accounts["csm_a1"][0]
    with pytest.raises(ValidationError) as error:
        raise_one(account, probability=101)
    assert "probability" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        raise_one(account, amount=Decimal("-5"))
    assert "amount" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        raise_one(account, stage=ExpansionStage.LOST)
    assert "stage" in error.value.message_dict
    expansion = raise_one(account)
    with pytest.raises(ValidationError) as error:
        expansion_update(expansion=expansion, actor=None, owner=org.csm_b1)
    assert "owner" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        expansion_lose(expansion=expansion, actor=None, reason="  ")
    assert "reason" in error.value.message_dict
    assert ExpansionOpportunity.objects.count() == 1


def test_win_amends_the_contract_once_and_a_won_one_never_moves_back(org):
    account = org.accounts["csm_a1"][0]
    contract = sign(account)
    expansion = raise_one(account, actor=org.csm_a1, amount=Decimal("24000"), stage=ExpansionStage.PROPOSAL)
    won = expansion_win(expansion=expansion, actor=org.csm_a1, closed_on=date(2026, 7, 1))
    assert won.stage == ExpansionStage.WON and won.expected_close == date(2026, 7, 1)
    assert won.effective_probability == 100 and won.closed_at is not None
    assert contract_arr_in_force(contract, date(2026, 6, 30)) == Decimal("100000")
    assert contract_arr_in_force(contract, date(2026, 7, 1)) == Decimal("124000")
    expansion_win(expansion=won, actor=org.csm_a1)  # a second win: nothing more
    assert ContractAmendment.objects.filter(expansion=won).count() == 1
    assert TimelineEntry.objects.filter(account=account, kind="expansion_won").count() == 1
    for change in ({"stage": ExpansionStage.PROPOSAL}, {"amount": Decimal("1")}):
        with pytest.raises(ValidationError) as error:
            expansion_update(expansion=won, actor=org.csm_a1, **change)
        assert "stage" in error.value.message_dict
    with pytest.raises(ValidationError):
        expansion_lose(expansion=won, actor=org.csm_a1, reason="Changed our mind")
    won.refresh_from_db()
    assert won.stage == ExpansionStage.WON


def test_lose_once_then_reopen(org):
    account = org.accounts["csm_a1"][0]
    expansion = raise_one(account, probability=40)
    lost = expansion_lose(expansion=expansion, actor=org.csm_a1, reason="No budget this year")
    assert (lost.stage, lost.lost_reason, lost.effective_probability) == ("lost", "No budget this year", 0)
    expansion_lose(expansion=lost, actor=org.csm_a1, reason="again")
    assert TimelineEntry.objects.filter(account=account, kind="expansion_lost").count() == 1
    reopened = expansion_update(expansion=lost, actor=org.csm_a1, stage=ExpansionStage.QUALIFIED)
    assert (reopened.stage, reopened.lost_reason, reopened.effective_probability) == ("qualified", "", 30)


# --- Totals, the quarter pipeline, filters -------------------------------------------


def pipeline_fixture(org):
    """Hand-worked set: weighted 100 + 1,000 + 1,800 + 500 (won) + 0 (lost) = 3,400."""
    a1, a2 = org.accounts["csm_a1"]
    b1 = org.accounts["csm_b1"][0]
    sign(a1)
    rows = {
        "identified": raise_one(a1, amount=Decimal("1000"), expected_close=date(2026, 5, 10)),
        "qualified": raise_one(
            a2, amount=Decimal("2000"), stage="qualified", probability=50, expected_close=date(2026, 6, 30)
        ),
        "proposal": raise_one(b1, amount=Decimal("3000"), stage="proposal", expected_close=date(2026, 8, 1)),
        "won": raise_one(a1, amount=Decimal("500"), stage="won", expected_close=date(2026, 4, 2)),
        "lost": raise_one(a2, amount=Decimal("700")),
    }
    expansion_lose(expansion=rows["lost"], actor=None, reason="Went with a competitor")
    return rows


def test_totals_and_pipeline_are_set_based_and_hand_checked(org):
    rows = pipeline_fixture(org)
    scoped = expansion_list(user=org.admin)
    totals = expansion_totals(scoped)
    assert (totals.count, totals.amount, totals.weighted) == (5, Decimal("7200.00"), Decimal("3400.00"))
    assert (totals.open_amount, totals.open_weighted, totals.won_amount) == (
        Decimal("6000.00"),
        Decimal("2900.00"),
        Decimal("500.00"),
    )
    # The SQL probability and weighted amount equal the model's Python twins.
    for row in scoped:
        assert row.probability_pct == row.effective_probability
        assert Decimal(row.weighted).quantize(Decimal("0.01")) == row.weighted_amount
    quarters = expansion_pipeline(scoped)
    assert [(q.quarter, q.by_stage) for q in quarters] == [
        (
            date(2026, 4, 1),
            {"identified": Decimal("100.00"), "qualified": Decimal("1000.00"), "won": Decimal("500.00")},
        ),
        (date(2026, 7, 1), {"proposal": Decimal("1800.00")}),
    ]
    assert expansion_totals(expansion_list(user=org.csm_a1)).amount == Decimal("4200.00")
    assert expansion_totals(expansion_list(user=org.csm_a2)).count == 0
    assert rows["won"].amendment.arr_delta == Decimal("500.00")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("stage=identified&stage=won", {"identified", "won"}),
        ("quarter=2026-Q3", {"proposal"}),
        ("quarter=2026-Q2", {"identified", "qualified", "won"}),
        ("quarter=none", {"lost"}),
        ("owner={csm_b1}", {"proposal"}),
        ("team={team_b}", {"proposal"}),
        ("team=none", set()),
        ("segment={segment}", {"identified", "qualified", "won", "lost", "proposal"}),
        ("segment=tech_touch&segment={other}", set()),
        ("q=csm_b1", {"proposal"}),
    ],
)
def test_filters_on_the_api(client, org, query, expected):
    rows = pipeline_fixture(org)
    names = {row.pk: name for name, row in rows.items()}
    segment = segment_for_arr(Decimal("100000"))  # every account of the fixture
    other = next(s for s in ("enterprise", "mid_market", "smb") if s != segment)
    query = query.format(csm_b1=org.csm_b1.pk, team_b=org.team_b.pk, segment=segment, other=other)
    client.force_login(org.admin)
    response = client.get(f"/api/v1/expansions/?{query}")
    assert response.status_code == 200, response.content
    assert {names[row["id"]] for row in response.json()["results"]} == expected


@pytest.mark.parametrize("query", ["quarter=2026-Q5", "quarter=soon", "team=abc", "stage=maybe", "owner=x"])
def test_bad_filters_answer_400_naming_the_filter(client, org, query):
    client.force_login(org.manager_a)
    name = query.split("=")[0]
    api = client.get(f"/api/v1/expansions/?{query}")
    assert api.status_code == 400 and name in api.json()
    export = client.get(f"/renewals/expansions/export.csv?{query}")
    assert export.status_code == 400 and name in export.content.decode()
    page = client.get(f"/renewals/expansions/?{query}")
    assert page.status_code == 400 and name in page.context["filter"].errors


# --- Pages, CSV and scope ----------------------------------------------------------------


def test_page_shows_the_scoped_pipeline_with_totals_chart_and_reasons(client, org):
    pipeline_fixture(org)
    client.force_login(org.csm_a1)
    response = client.get("/renewals/expansions/")
    assert response.status_code == 200
    body = response.content.decode()
    assert [row.account.owner for row in response.context["page"].object_list] == [org.csm_a1] * 4
    assert response.context["totals"].amount == Decimal("4200.00")
    assert "CSM: no contract signed yet and the account has no sales owner" in body
    chart = response.context["chart"]
    assert chart.labels == ["2026 Q2"] and "quarter=2026-Q2" in chart.links[0]
    assert 'id="expansion-pipeline"' in body
    htmx = client.get("/renewals/expansions/?stage=won", HTTP_HX_REQUEST="true")
    assert htmx.templates[0].name == "renewals/_expansion_table.html"
    assert "/renewals/expansions/" in client.get("/renewals/").content.decode()


def test_sales_rep_sees_the_accounts_they_sell_to(client, org, sales):
    account = org.accounts["csm_b1"][1]
    Account.objects.filter(pk=account.pk).update(sales_owner=sales)
    account.refresh_from_db()
    sign(account, start=timezone.localdate() - timedelta(days=10))
    mine = raise_one(account, title="Sales deal")
    raise_one(org.accounts["csm_b1"][0], title="Not theirs")
    client.force_login(sales)
    rows = client.get("/api/v1/expansions/").json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert rows[0]["owner"]["id"] == sales.pk and rows[0]["owner_rule"] == "sales_window"
    assert client.get("/renewals/expansions/").context["totals"].count == 1


def test_csv_is_the_filtered_scope(client, org):
    pipeline_fixture(org)
    client.force_login(org.manager_a)
    response = client.get("/renewals/expansions/export.csv?stage=identified&stage=qualified&stage=proposal")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Account", "Title", "Kind", "Amount (ARR)"]
    # Team A's manager: csm_a1/csm_a2's open ones; csm_b1's proposal is out of scope.
    assert sorted((row[0], row[5], row[6]) for row in rows[1:]) == [
        ("csm_a1 account 0", "10", "100.00"),
        ("csm_a1 account 1", "50", "1000.00"),
    ]


def test_page_forms_create_edit_move_win_and_lose(client, org):
    account = org.accounts["csm_a1"][0]
    sign(account, start=timezone.localdate() - timedelta(days=200))
    client.force_login(org.csm_a1)
    tab = client.get(
        f"/accounts/{account.pk}/tab/renewal/", headers={"HX-Request": "true"}
    )  # the Renewal & expansion tab
    assert f"/renewals/expansions/new/?account={account.pk}" in tab.content.decode()
    new_page = client.get(f"/renewals/expansions/new/?account={account.pk}")
    assert new_page.status_code == 200 and new_page.context["form"]["account"].value() == str(account.pk)
    outside = org.accounts["csm_b1"][0]
    bad = client.post(
        "/renewals/expansions/new/", {"account": outside.pk, "title": "x", "kind": "upsell", "amount": "1"}
    )
    assert bad.status_code == 400 and "account" in bad.context["form"].errors
    bad = client.post(
        "/renewals/expansions/new/",
        {"account": account.pk, "title": "x", "kind": "upsell", "amount": "1", "probability": "101"},
    )
    assert bad.status_code == 400 and "probability" in bad.context["form"].errors
    created = client.post(
        "/renewals/expansions/new/",
        {"account": account.pk, "title": "Analytics", "kind": "cross_sell", "amount": "8000", "stage": "identified"},
    )
    assert created.status_code == 302
    expansion = ExpansionOpportunity.objects.get(title="Analytics")
    assert expansion.owner == org.csm_a1 and expansion.created_by == org.csm_a1
    url = f"/renewals/expansions/{expansion.pk}/"
    assert "CSM: signed more than 6 months ago" in client.get(url).content.decode()
    edit = {"title": "Analytics+", "kind": "cross_sell", "amount": "9000", "probability": "35"}
    assert client.post(url, edit).status_code == 302
    assert client.post(url, {**edit, "probability": "-1"}).status_code == 400
    assert client.post(f"{url}stage/", {"stage": "proposal"}).status_code == 302
    assert client.post(f"{url}lose/", {"reason": ""}).status_code == 400
    assert client.post(f"{url}win/", {"closed_on": "someday"}).status_code == 400
    assert client.post(f"{url}win/", {}).status_code == 302
    expansion.refresh_from_db()
    assert (expansion.title, expansion.amount, expansion.stage) == ("Analytics+", Decimal("9000.00"), "won")
    assert ContractAmendment.objects.filter(expansion=expansion).count() == 1
    assert client.post(f"{url}stage/", {"stage": "qualified"}).status_code == 400
    client.force_login(org.csm_b1)
    assert client.get(url).status_code == 404
    assert client.post(f"{url}win/", {}).status_code == 404
    one_account = client.get(f"/renewals/expansions/?account={account.pk}")
    assert one_account.status_code == 200 and one_account.context["totals"].count == 0  # not csm_b1's


# --- API ----------------------------------------------------------------------------------


def test_api_create_move_win_lose_and_failure_paths(client, org):
    account = org.accounts["csm_a1"][0]
    sign(account, start=timezone.localdate() - timedelta(days=200))
    client.force_login(org.csm_a1)
    payload = {"account_id": account.pk, "title": "Seats", "kind": "upsell", "amount": "6000.00"}
    created = client.post("/api/v1/expansions/", payload, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["stage"], body["probability"], body["weighted_amount"]) == ("identified", 10, "600.00")
    assert body["owner"]["id"] == org.csm_a1.pk and body["owner_reason"].startswith("CSM: signed more than")
    url = f"/api/v1/expansions/{body['id']}/"

    too_likely = client.post("/api/v1/expansions/", {**payload, "probability": 101}, content_type="application/json")
    assert too_likely.status_code == 400 and "probability" in too_likely.json()
    # Another CSM's account reads exactly like an id that does not exist.
    theirs = client.post(
        "/api/v1/expansions/", {**payload, "account_id": org.accounts["csm_b1"][0].pk}, content_type="application/json"
    )
    missing = client.post("/api/v1/expansions/", {**payload, "account_id": 10**9}, content_type="application/json")
    assert theirs.status_code == missing.status_code == 400
    assert "account_id" in theirs.json() and theirs.json()["account_id"][0].replace(
        str(org.accounts["csm_b1"][0].pk), "N"
    ) == missing.json()["account_id"][0].replace(str(10**9), "N")

    moved = client.patch(url, {"stage": "qualified", "probability": 45}, content_type="application/json")
    assert moved.status_code == 200 and (moved.json()["stage"], moved.json()["probability"]) == ("qualified", 45)
    assert client.patch(url, {"probability": 101}, content_type="application/json").status_code == 400
    assert client.patch(url, {"stage": "lost"}, content_type="application/json").status_code == 400
    assert client.put(url, payload, content_type="application/json").status_code == 405
    assert client.post(f"{url}lose/", {}, content_type="application/json").json().keys() == {"reason"}
    won = client.post(f"{url}win/", {}, content_type="application/json")
    assert won.status_code == 200 and won.json()["stage"] == "won" and won.json()["probability"] == 100
    assert ContractAmendment.objects.get(expansion_id=body["id"]).arr_delta == Decimal("6000.00")
    back = client.patch(url, {"stage": "proposal"}, content_type="application/json")
    assert back.status_code == 400 and "stage" in back.json()
    assert client.post(f"{url}win/", {}, content_type="application/json").status_code == 200  # idempotent
    assert ContractAmendment.objects.filter(expansion_id=body["id"]).count() == 1

    summary = client.get("/api/v1/expansions/summary/?stage=won").json()
    assert (summary["count"], summary["won_amount"]) == (1, "6000.00")
    client.force_login(org.csm_b1)
    assert client.get(url).status_code == 404
    assert client.patch(url, {"title": "x"}, content_type="application/json").status_code == 404
    assert client.post(f"{url}lose/", {"reason": "x"}, content_type="application/json").status_code == 404
    assert client.get("/api/v1/expansions/").json()["count"] == 0


# --- Query counts -------------------------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/renewals/expansions/",
        "/renewals/expansions/?ordering=-weighted&stage=identified&stage=won&segment=mid_market&quarter=none",
        "/renewals/expansions/export.csv",
        "/api/v1/expansions/",
        "/api/v1/expansions/?ordering=owner&team={team}",
        "/api/v1/expansions/summary/",
    ],
)
def test_list_query_count_is_constant(client, org, url):
    url = url.format(team=org.team_a.pk)
    client.force_login(org.manager_a)
    today = timezone.localdate()
    raise_one(org.accounts["csm_a1"][0], expected_close=today)
    one = count_queries(client, url)
    for i in range(19):
        account = AccountFactory(owner=org.csm_a1 if i % 2 else org.csm_a2, sales_owner=None)
        if i % 3 == 0:
            sign(account, start=today - timedelta(days=30 * i))
        expansion = raise_one(account, expected_close=today + timedelta(days=40 * i))
        if i % 4 == 0:
            expansion_win(expansion=expansion, actor=None)
    twenty = count_queries(client, url)
    assert one == twenty
