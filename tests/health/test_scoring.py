"""Health scores against hand-computed figures: missing inputs, renormalisation,
explanations, history, fan-out, query counts."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import PromiseStatus, PurchasedProduct, RiskFlag, SalesPromise, Stakeholder, TimelineEntry
from health.models import DailyFeatureRollup, DailyRollup, HealthMeasure, HealthModel, HealthScore, NpsResponse
from health.scoring import explain_changes, health_scores_compute, measure_inputs
from health.selectors import account_health, with_health
from health.services import health_model_default_ensure
from health.tasks import health_scores_dispatch
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

DAY = date(2025, 6, 18)
ZONE = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZONE)


def users_per_day(account, users: int, *, start: date, end: date) -> None:
    DailyRollup.objects.filter(account=account).delete()
    day, rows = start, []
    while day <= end:
        rows.append(DailyRollup(account=account, day=day, events=users * 3, active_users=users))
        day += timedelta(days=1)
    DailyRollup.objects.bulk_create(rows)


def touchpoint(account, day: date, stakeholders=()):
    entry = TimelineEntry.objects.create(
        account=account, is_touchpoint=True, kind="call", title="Call", occurred_at=at(day)
    )
    entry.stakeholders.set(stakeholders)
    return entry


def nps(account, *scores, day=DAY):
    NpsResponse.objects.bulk_create([NpsResponse(account=account, score=s, responded_on=day) for s in scores])


@pytest.fixture
def simple_model(db):
    """The default model replaced by three measures, easy to compute by hand."""
    model = health_model_default_ensure()
    model.measures.all().delete()
    HealthMeasure.objects.bulk_create(
        [
            HealthMeasure(model=model, key="activity_rate_7d", group="CO", weight=30, green_at=0.5, red_at=0.1),
            HealthMeasure(
                model=model, key="contact_recency", group="CS", weight=20, green_at=7, red_at=37, direction="lower"
            ),
            HealthMeasure(model=model, key="nps", group="CX", weight=50, green_at=50, red_at=-50),
        ]
    )
    return model


def test_score_by_hand(org, simple_model):
    account = org.accounts["csm_a1"][0]
    PurchasedProduct.objects.create(account=account, product="CRM", seats=12)
    PurchasedProduct.objects.create(account=account, product="OA", seats=8)  # 20 seats
    users_per_day(account, 6, start=DAY - timedelta(days=40), end=DAY)  # 6/20 = 30% → 50 points
    touchpoint(account, DAY - timedelta(days=22))  # halfway from 7 to 37 days → 50 points
    nps(account, 10, 10, 10, 0)  # NPS 50 → 100 points
    assert health_scores_compute(account_ids=[account.pk], day=DAY) == 1
    score = HealthScore.objects.get(account=account, day=DAY)
    # (30·50 + 20·50 + 50·100) / 100 = 75
    assert (score.score, score.colour) == (75, "green")
    rows = {row["key"]: row for row in score.measures}
    assert rows["activity_rate_7d"]["value"] == pytest.approx(0.3)
    assert (rows["activity_rate_7d"]["points"], rows["activity_rate_7d"]["contribution"]) == (50.0, 15.0)
    assert (rows["contact_recency"]["value"], rows["contact_recency"]["contribution"]) == (22.0, 10.0)
    assert (rows["nps"]["value"], rows["nps"]["colour"], rows["nps"]["contribution"]) == (50.0, "green", 50.0)
    assert rows["activity_rate_7d"]["colour"] == "yellow"


def test_missing_inputs_are_shown_missing_and_the_weights_renormalised(org, simple_model):
    account = org.accounts["csm_a1"][0]
    PurchasedProduct.objects.create(account=account, product="CRM", seats=20)
    users_per_day(account, 6, start=DAY - timedelta(days=10), end=DAY)  # 50 points
    touchpoint(account, DAY - timedelta(days=7))  # 100 points; no NPS answers at all
    health_scores_compute(account_ids=[account.pk], day=DAY)
    score = HealthScore.objects.get(account=account)
    rows = {row["key"]: row for row in score.measures}
    assert rows["nps"] == {
        "key": "nps",
        "group": "CX",
        "weight": 50,
        "value": None,
        "missing": True,
        "points": None,
        "colour": "",
        "contribution": None,
    }
    # NPS left out, not counted as 0: (30·50 + 20·100) / 50 = 70, not (1500 + 2000) / 100 = 35.
    assert score.score == 70
    assert (rows["activity_rate_7d"]["contribution"], rows["contact_recency"]["contribution"]) == (30.0, 40.0)


@pytest.fixture
def embedding_model(db):
    """Process embedding next to activity: by hand, 40 and 60 weight."""
    model = health_model_default_ensure()
    model.measures.all().delete()
    model.core_workflows = ["approval.completed", "invoice.issued", "supplier.onboarded", "contract.signed"]
    model.save()
    HealthMeasure.objects.bulk_create(
        [
            HealthMeasure(model=model, key="activity_rate_7d", group="CO", weight=60, green_at=0.5, red_at=0.1),
            HealthMeasure(model=model, key="process_embedding", group="CO", weight=40, green_at=0.75, red_at=0.25),
        ]
    )
    return model


def test_process_embedding_scored_by_hand(org, embedding_model):
    account = org.accounts["csm_a1"][0]
    PurchasedProduct.objects.create(account=account, product="CRM", seats=20)
    users_per_day(account, 6, start=DAY - timedelta(days=40), end=DAY)  # 6/20 = 30% → 50 points
    for name, day in [
        ("approval.completed", DAY),  # in the 30-day period
        ("invoice.issued", DAY - timedelta(days=29)),  # first day of the period
        ("supplier.onboarded", DAY - timedelta(days=30)),  # one day too old
        ("report.viewed", DAY),  # not a core workflow
    ]:
        DailyFeatureRollup.objects.create(account=account, day=day, event_name=name, events=2, users=1)
    health_scores_compute(account_ids=[account.pk], day=DAY)
    score = HealthScore.objects.get(account=account, day=DAY)
    rows = {row["key"]: row for row in score.measures}
    # 2 of 4 core workflows → 50%, halfway from 25% to 75% → 50 points
    assert (rows["process_embedding"]["value"], rows["process_embedding"]["points"]) == (0.5, 50.0)
    # (60·50 + 40·50) / 100 = 50
    assert score.score == 50
    assert (rows["activity_rate_7d"]["contribution"], rows["process_embedding"]["contribution"]) == (30.0, 20.0)
    panel = account_health(account=account, today=DAY)
    assert [(m.label, m.value) for m in panel.measures] == [
        ("Activity rate (7 days)", "30%"),
        ("Process embedding (core workflows run)", "50%"),
    ]


def test_process_embedding_all_workflows_run_is_green(org, embedding_model):
    account = org.accounts["csm_a1"][0]
    PurchasedProduct.objects.create(account=account, product="CRM", seats=20)
    users_per_day(account, 2, start=DAY - timedelta(days=40), end=DAY)  # 10% → 0 points
    for name in embedding_model.core_workflows:
        DailyFeatureRollup.objects.create(account=account, day=DAY - timedelta(days=3), event_name=name, events=1)
    health_scores_compute(account_ids=[account.pk], day=DAY)
    score = HealthScore.objects.get(account=account, day=DAY)
    rows = {row["key"]: row for row in score.measures}
    assert (rows["process_embedding"]["value"], rows["process_embedding"]["colour"]) == (1.0, "green")
    # (60·0 + 40·100) / 100 = 40
    assert score.score == 40


def test_process_embedding_missing_when_not_configured_or_no_usage(org, embedding_model):
    configured_no_usage = org.accounts["csm_a1"][0]
    PurchasedProduct.objects.create(account=configured_no_usage, product="CRM", seats=20)
    health_scores_compute(account_ids=[configured_no_usage.pk], day=DAY)
    rows = {row["key"]: row for row in HealthScore.objects.get(account=configured_no_usage).measures}
    assert rows["process_embedding"]["missing"] and rows["process_embedding"]["contribution"] is None

    embedding_model.core_workflows = []
    embedding_model.save()
    used = org.accounts["csm_a1"][1]
    PurchasedProduct.objects.create(account=used, product="CRM", seats=20)
    users_per_day(used, 6, start=DAY - timedelta(days=10), end=DAY)  # 50 points
    DailyFeatureRollup.objects.create(account=used, day=DAY, event_name="approval.completed", events=1)
    health_scores_compute(account_ids=[used.pk], day=DAY)
    score = HealthScore.objects.get(account=used)
    rows = {row["key"]: row for row in score.measures}
    assert rows["process_embedding"]["value"] is None and rows["process_embedding"]["missing"]
    # Left out, not zero: 60·50 / 60 = 50 (as zero it would be 30).
    assert score.score == 50
    assert account_health(account=used, today=DAY).measures[1].value == "missing"


def test_too_little_data_gives_no_score(org, simple_model):
    account = org.accounts["csm_a1"][0]
    touchpoint(account, DAY)  # 20 of 100 weight present: less than a third
    other = org.accounts["csm_a1"][1]  # nothing at all
    health_scores_compute(account_ids=[account.pk, other.pk], day=DAY)
    for row in HealthScore.objects.all():
        assert (row.score, row.colour) == (None, "")


def test_activity_is_missing_without_seats_or_without_any_usage_but_zero_when_usage_stopped(org):
    no_seats, never_used, stopped = (AccountFactory(owner=org.csm_a1) for _ in range(3))
    for account in (never_used, stopped):
        PurchasedProduct.objects.create(account=account, product="CRM", seats=10)
    users_per_day(no_seats, 5, start=DAY - timedelta(days=3), end=DAY)
    users_per_day(stopped, 5, start=DAY - timedelta(days=90), end=DAY - timedelta(days=31))
    inputs = measure_inputs(account_ids=[no_seats.pk, never_used.pk, stopped.pk], day=DAY, key_features={})
    assert inputs[no_seats.pk]["activity_rate_7d"] is None
    assert inputs[never_used.pk]["activity_rate_7d"] is None
    assert inputs[stopped.pk]["activity_rate_7d"] == 0.0 and inputs[stopped.pk]["activity_rate_30d"] == 0.0


def test_every_input_of_the_default_model(org):
    account = org.accounts["csm_a1"][0]
    model = health_model_default_ensure()
    model.key_features = ["opportunity.created", "contract.signed", "report.viewed", "quote.sent"]
    model.save()
    PurchasedProduct.objects.create(account=account, product="CRM", seats=10)
    users_per_day(account, 5, start=DAY - timedelta(days=6), end=DAY)  # 7d: 50%; 30d: 35/30/10
    for name, day in [
        ("opportunity.created", DAY),
        ("report.viewed", DAY - timedelta(days=29)),
        ("quote.sent", DAY - timedelta(days=30)),
    ]:
        DailyFeatureRollup.objects.create(account=account, day=day, event_name=name, events=3, users=1)
    boss, cfo, _ = (
        Stakeholder.objects.create(account=account, name="CEO", tier="S"),
        Stakeholder.objects.create(account=account, name="CFO", tier="S"),
        Stakeholder.objects.create(account=account, name="Gone", tier="S", is_active=False, left_on=DAY),
    )
    touchpoint(account, DAY - timedelta(days=3), stakeholders=[boss])
    touchpoint(account, DAY - timedelta(days=45), stakeholders=[cfo])  # too long ago for exec usage
    nps(account, 9, 6)
    RiskFlag.objects.create(account=account, kind="other")
    RiskFlag.objects.create(account=account, kind="other", resolved_at=at(DAY))
    RiskFlag.objects.create(account=account, kind="other")  # raised after DAY: not counted on DAY
    RiskFlag.objects.filter(account=account).exclude(pk=RiskFlag.objects.latest("pk").pk).update(raised_at=at(DAY, 9))
    SalesPromise.objects.create(account=account, promise="SSO", status=PromiseStatus.BROKEN)
    SalesPromise.objects.create(account=account, promise="API", due_date=DAY - timedelta(days=1))  # overdue
    SalesPromise.objects.create(account=account, promise="BI", due_date=DAY + timedelta(days=10))  # not yet due
    inputs = measure_inputs(account_ids=[account.pk], day=DAY, key_features={account.pk: model.key_features})[
        account.pk
    ]
    assert inputs == {
        "activity_rate_7d": pytest.approx(0.5),
        "activity_rate_30d": pytest.approx(35 / 30 / 10),
        "depth": 0.5,  # 2 of the 4 key features within the last 30 days
        "executive_usage": 0.5,  # 1 of 2 active S-tier stakeholders contacted in 30 days
        "process_embedding": None,  # the model configures no core workflows
        "contact_recency": 3.0,
        "nps": 0.0,
        "open_risks": 3.0,
    }


def test_explanation_names_the_measures_that_moved(org, simple_model):
    account = org.accounts["csm_a1"][0]
    PurchasedProduct.objects.create(account=account, product="CRM", seats=20)
    touchpoint(account, DAY)
    nps(account, 10)
    users_per_day(account, 10, start=DAY - timedelta(days=40), end=DAY)
    health_scores_compute(account_ids=[account.pk], day=DAY)
    users_per_day(account, 6, start=DAY - timedelta(days=40), end=DAY + timedelta(days=1))
    health_scores_compute(account_ids=[account.pk], day=DAY + timedelta(days=1))
    latest = HealthScore.objects.get(account=account, day=DAY + timedelta(days=1))
    assert (latest.previous_score, latest.score) == (100, 85)
    assert latest.changes == [
        {"key": "activity_rate_7d", "weight": 30, "before": 0.5, "after": pytest.approx(0.3), "delta": -15.0}
    ]
    assert explain_changes(latest.changes) == ["\u221215: Activity rate (7 days) 50% → 30% (weight 30)"]


def test_a_measure_going_missing_is_explained(org, simple_model):
    account = org.accounts["csm_a1"][0]
    PurchasedProduct.objects.create(account=account, product="CRM", seats=20)
    users_per_day(account, 10, start=DAY - timedelta(days=40), end=DAY + timedelta(days=1))
    touchpoint(account, DAY)
    nps(account, 0, day=DAY - timedelta(days=179))  # NPS -100: 0 points; it ages out tomorrow
    health_scores_compute(account_ids=[account.pk], day=DAY)
    health_scores_compute(account_ids=[account.pk], day=DAY + timedelta(days=1))
    latest = HealthScore.objects.get(account=account, day=DAY + timedelta(days=1))
    assert (latest.previous_score, latest.score) == (50, 100)
    assert explain_changes(latest.changes) == [
        "+30: Activity rate (7 days) 50% → 50% (weight 30)",
        "+20: Days since last contact 0 days → 1 days (weight 20)",
    ]
    assert {row["key"]: row["missing"] for row in latest.measures}["nps"] is True


def test_recompute_overwrites_the_day_and_keeps_history(org, simple_model):
    account = org.accounts["csm_a1"][0]
    PurchasedProduct.objects.create(account=account, product="CRM", seats=20)
    users_per_day(account, 10, start=DAY - timedelta(days=40), end=DAY)
    touchpoint(account, DAY)
    for offset in (8, 1, 0, 0):
        health_scores_compute(account_ids=[account.pk], day=DAY - timedelta(days=offset))
    assert HealthScore.objects.filter(account=account).count() == 3


def test_panel_and_list_annotations(org, simple_model):
    account = org.accounts["csm_a1"][0]
    PurchasedProduct.objects.create(account=account, product="CRM", seats=20)
    touchpoint(account, DAY - timedelta(days=7))
    users_per_day(account, 10, start=DAY - timedelta(days=40), end=DAY)
    health_scores_compute(account_ids=[account.pk], day=DAY - timedelta(days=7))
    users_per_day(account, 6, start=DAY - timedelta(days=40), end=DAY)
    health_scores_compute(account_ids=[account.pk], day=DAY)
    row = with_health(org.accounts["csm_a1"][0].__class__.objects.filter(pk=account.pk), today=DAY).get()
    # 7 days ago: (30·100 + 20·100)/50 = 100 (contact 7 days → still green); today (30·50 + 20·100)/50 = 70
    assert (row.health_score, row.health_colour, row.health_score_week_ago) == (70, "green", 100)
    panel = account_health(account=account, today=DAY)
    assert panel.trend == -30
    assert [m.value for m in panel.measures] == ["missing", "30%", "7 days"]  # by weight
    assert panel.since_last_week == ["\u221230: Activity rate (7 days) 50% → 30% (weight 30)"]


def test_a_segment_model_wins_over_the_default(org, simple_model):
    enterprise = AccountFactory(owner=org.csm_a1, arr=1_000_000)
    own = HealthModel.objects.create(name="Enterprise", segment="enterprise")
    HealthMeasure.objects.create(
        model=own, key="open_risks", group="CX", weight=10, green_at=0, red_at=2, direction="lower"
    )
    RiskFlag.objects.create(account=enterprise, kind="other")
    RiskFlag.objects.update(raised_at=at(DAY))
    health_scores_compute(account_ids=[enterprise.pk], day=DAY)
    score = HealthScore.objects.get(account=enterprise)
    assert (score.model, score.score) == (own, 50)


def test_dispatch_fans_out_in_chunks(org, settings, celery_eager):
    settings.HOURGLASS_HEALTH_SCORE_CHUNK = 2
    accounts = [a for owned in org.accounts.values() for a in owned] + [org.unassigned]
    assert health_scores_dispatch(everything=True, day=DAY) == 4  # 7 accounts, 2 a task
    assert HealthScore.objects.filter(day=DAY).count() == len(accounts)
    # Only accounts with fresh rollups in the 15-minute run.
    DailyRollup.objects.create(account=accounts[0], day=DAY, events=1, active_users=1)
    HealthScore.objects.all().delete()
    assert health_scores_dispatch(everything=False, day=DAY) == 1
    assert list(HealthScore.objects.values_list("account", flat=True)) == [accounts[0].pk]


def query_count(ids):
    """Reads and writes of one recompute. SQLite caps a statement at 999 parameters, so
    Django splits the one upsert into batches there: those are counted apart."""
    with CaptureQueriesContext(connection) as context:
        health_scores_compute(account_ids=ids, day=DAY)
    inserts = sum(query["sql"].startswith("INSERT") for query in context.captured_queries)
    if connection.vendor != "sqlite":
        assert inserts == 1
    return len(context) - inserts


def test_query_count_does_not_grow_with_accounts(org):
    model = health_model_default_ensure()
    model.key_features = ["opportunity.created"]
    model.save()

    def populate(count):
        ids = []
        for n in range(count):
            account = AccountFactory(owner=org.csm_a1)
            PurchasedProduct.objects.create(account=account, product="CRM", seats=10)
            DailyRollup.objects.create(account=account, day=DAY, events=5, active_users=2)
            DailyFeatureRollup.objects.create(account=account, day=DAY, event_name="opportunity.created", events=1)
            touchpoint(
                account, DAY - timedelta(days=n % 20), [Stakeholder.objects.create(account=account, name="S", tier="S")]
            )
            nps(account, n % 11)
            RiskFlag.objects.create(account=account, kind="other")
            ids.append(account.pk)
        return ids

    small = populate(10)
    query_count(small)  # first run: no previous scores
    small_count = query_count(small)
    large = small + populate(190)
    query_count(large)
    assert query_count(large) == small_count


def test_reading_the_models_writes_nothing_and_scoring_restores_the_default():
    from health.scoring import health_models_by_segment

    HealthModel.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        assert health_models_by_segment() == {}
    assert not [q for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert not HealthModel.objects.exists()
    account = AccountFactory()
    assert health_scores_compute(account_ids=[account.pk], day=DAY) == 1
    assert HealthModel.objects.get(segment="").measures.count() == HealthMeasure.objects.count() > 0
