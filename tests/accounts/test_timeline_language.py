"""Timeline titles, risk flags and their back-fill: read in the reader's language."""

from __future__ import annotations

import ast
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from accounts.message_backfill import messages_backfill
from accounts.models import DossierReview, RiskFlag, Stakeholder, Tier, TimelineEntry
from accounts.stakeholders import stakeholder_create, stakeholder_mark_left
from accounts.timeline import SYSTEM_KIND_BADGES, SYSTEM_KINDS, TimelineDraft, timeline_record, timeline_record_many
from core.messages import message
from core.models import Notification
from health.message_backfill import alert_messages_backfill
from health.models import ActivityAlert

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_language_after():
    """A request in zh-hans leaves its language active in the thread: reset it, so the
    tests that run next see the default."""
    yield
    translation.deactivate()


AT_RISK = gettext_noop("Renewal due %(date)s marked at risk")
EN_TITLE = "Renewal due 2026-03-31 marked at risk"
ZH_TITLE = "2026-03-31 到期的续费被标记为有风险"
ROOT = Path(__file__).resolve().parents[2]


def page(client, user, account, language: str) -> str:
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(reverse("accounts:detail", args=[account.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def api_titles(client, user, account, language: str) -> list[tuple[str, str]]:
    client.force_login(user)
    client.cookies.pop("django_language", None)
    response = client.get(reverse("api:timeline-list"), {"account": account.pk}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    rows = response.json()["results"]
    return [(row["title"], row["display_title"]) for row in rows if row["kind"] == "renewal_at_risk"]


def test_an_entry_written_in_english_is_read_in_chinese(client, org):
    account = org.accounts["csm_a1"][0]
    with translation.override("en"):
        timeline_record(account=account, kind="renewal_at_risk", message=message(AT_RISK, date="2026-03-31"))
    entry = TimelineEntry.objects.get(account=account, kind="renewal_at_risk")
    assert entry.title == EN_TITLE  # the deployment's language (en), the fallback
    html = page(client, org.csm_a1, account, "zh-hans")
    assert ZH_TITLE in html and EN_TITLE not in html
    assert "续费被标记为有风险" in html  # the kind's badge label too
    assert api_titles(client, org.csm_a1, account, "zh-hans") == [(EN_TITLE, ZH_TITLE)]


def test_an_entry_written_under_chinese_is_read_in_english(client, org, settings):
    settings.LANGUAGE_CODE = "zh-hans"  # a Chinese deployment stores Chinese fallbacks
    account = org.accounts["csm_a1"][0]
    with translation.override("zh-hans"):
        timeline_record(account=account, kind="renewal_at_risk", message=message(AT_RISK, date="2026-03-31"))
    assert TimelineEntry.objects.get(account=account, kind="renewal_at_risk").title == ZH_TITLE
    html = page(client, org.csm_a1, account, "en")
    assert EN_TITLE in html and ZH_TITLE not in html
    assert api_titles(client, org.csm_a1, account, "en") == [(ZH_TITLE, EN_TITLE)]


def test_bad_params_show_the_stored_title_never_a_placeholder(client, org):
    account = org.accounts["csm_a1"][0]
    TimelineEntry.objects.create(
        account=account, kind="renewal_at_risk", title="Stored title", message_key=AT_RISK, message_params={"x": 1}
    )
    TimelineEntry.objects.create(
        account=account, kind="stage_changed", title="Stage", body="Stored body", body_messages=[{"key": AT_RISK}]
    )
    html = page(client, org.csm_a1, account, "zh-hans")
    assert "Stored title" in html and "Stored body" in html and "%(" not in html


def test_a_touchpoint_keeps_its_own_words(client, org):
    from accounts.timeline import touchpoint_log

    account = org.accounts["csm_a1"][0]
    entry = touchpoint_log(actor=org.csm_a1, account=account, kind="call", title="Renewal due soon?")
    assert entry.message_key == "" and entry.display_title == "Renewal due soon?"


def test_a_key_persons_departure_reads_in_the_readers_language(client, org):
    account = org.accounts["csm_a1"][0]
    with translation.override("en"):
        person = stakeholder_create(actor=org.csm_a1, account=account, name="Wang Fang", title="CIO", tier=Tier.S)
        stakeholder_mark_left(actor=org.csm_a1, stakeholder=person)
    flag = RiskFlag.objects.get(account=account)
    assert flag.reason == "Wang Fang, CIO, left the customer."
    assert flag.reason_key == "%(name)s, %(title)s, left the customer."
    html = page(client, org.csm_a1, account, "zh-hans")
    with translation.override("zh-hans"):
        assert flag.display_reason != flag.reason
        assert flag.display_reason in html
        entry = TimelineEntry.objects.get(account=account, kind="stakeholder_left")
        assert entry.display_title in html and "Wang Fang" in entry.display_title


def test_the_batch_writer_stores_keys_and_skips_repeated_dedupe_keys(org):
    account = org.accounts["csm_a1"][0]
    note = message(AT_RISK, date="2026-03-31")
    drafts = [TimelineDraft(account=account, kind="renewal_at_risk", message=note, dedupe_key="k")] * 2
    timeline_record_many(drafts)
    timeline_record_many(drafts)
    entry = TimelineEntry.objects.get(dedupe_key="k")
    assert (entry.message_key, entry.message_params, entry.title) == (AT_RISK, {"date": "2026-03-31"}, EN_TITLE)


@pytest.mark.parametrize("url_name", ["accounts:detail", "accounts:timeline"])
def test_timeline_queries_do_not_grow_with_keyed_entries(client, org, url_name):
    account = org.accounts["csm_a1"][0]
    client.force_login(org.csm_a1)
    headers = {"HTTP_HX_REQUEST": "true"} if url_name == "accounts:timeline" else {}

    def add(start: int, stop: int) -> None:
        timeline_record_many(
            TimelineDraft(
                account=account,
                kind=("renewal_at_risk", "stage_changed", "owner_changed")[i % 3],
                message=message(AT_RISK, date=f"2026-01-{i % 28 + 1:02d}"),
                body_messages=(message(gettext_noop("First stage recorded for this account.")),),
            )
            for i in range(start, stop)
        )

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(url_name, args=[account.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans", **headers)
            assert response.status_code == 200
        return len(ctx.captured_queries)

    add(0, 1)
    queries()  # the first view of an account page creates its dossier section rows
    one = queries()
    add(1, 20)
    assert queries() == one


# --- Kind labels ------------------------------------------------------------------------


def written_kinds() -> set[str]:
    """Every constant ``kind=`` given to timeline_record / TimelineDraft / OwnerChangeNote in the project."""
    kinds = set()
    skipped = {".venv", "tests", "migrations", "bench", "node_modules"}
    for path in ROOT.rglob("*.py"):
        if skipped.intersection(path.relative_to(ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in {"timeline_record", "TimelineDraft", "OwnerChangeNote"}:
                    kinds |= {
                        kw.value.value
                        for kw in node.keywords
                        if kw.arg == "kind" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)
                    }
    return kinds


def test_every_system_kind_written_has_a_label_and_a_badge_in_both_languages():
    kinds = written_kinds()
    assert {"account_created", "activity_drop", "renewal_lapsed", "capacity_rebalanced"} <= kinds
    assert kinds - set(SYSTEM_KINDS) == set()
    assert set(SYSTEM_KINDS) == set(SYSTEM_KIND_BADGES)
    for kind in SYSTEM_KINDS:
        with translation.override("zh-hans"):
            chinese = str(SYSTEM_KINDS[kind])
        with translation.override("en"):
            english = str(SYSTEM_KINDS[kind])
        assert chinese != english, kind
        assert SYSTEM_KIND_BADGES[kind].startswith("text-bg-")


def test_badges_are_coloured_by_kind(org):
    account = org.accounts["csm_a1"][0]
    risky = timeline_record(account=account, kind="stakeholder_left", title="x")
    unknown = timeline_record(account=account, kind="something_new", title="y")
    assert risky is not None and unknown is not None
    assert risky.kind_badge_class == "text-bg-danger"
    assert unknown.kind_badge_class == "text-bg-secondary"
    assert unknown.get_kind_display() == "Something new"


# --- Back-fill of rows written before keys ---------------------------------------------


def backfill() -> dict[str, int]:
    return messages_backfill(
        timeline_model=TimelineEntry,
        risk_model=RiskFlag,
        notification_model=Notification,
        review_model=DossierReview,
        user_model=User,
        stakeholder_model=Stakeholder,
    )


def old_entry(account, kind: str, title: str, body: str = "", **data) -> TimelineEntry:
    """A row as the code before message keys wrote it: a sentence, no key."""
    return TimelineEntry.objects.create(account=account, kind=kind, title=title, body=body, data=data)


def test_old_rows_of_known_kinds_get_their_keys_back(client, org):
    account = org.accounts["csm_a1"][0]
    org.csm_a1.first_name, org.csm_a1.last_name = "Min", "Zhao"
    org.csm_a1.save(update_fields=["first_name", "last_name"])
    person = Stakeholder.objects.create(account=account, name="Wang Fang", title="CIO", tier=Tier.S)
    rows = [
        old_entry(account, "account_created", "Account created"),
        old_entry(account, "owner_changed", "Owner changed: nobody → Min Zhao", **{"from": None, "to": org.csm_a1.pk}),
        old_entry(account, "renewal_at_risk", EN_TITLE, due_date="2026-03-31"),
        old_entry(account, "renewal_closed", "Renewal due 2026-03-31 closed: Churned", outcome="churned"),
        old_entry(
            account,
            "renewal_lapsed",
            "Renewal due 2026-03-31, 2026-04-30 lapsed: the date passed without a decision",
            renewal_ids=[1, 2],
        ),
        old_entry(
            account,
            "contract_amended",
            "Contract reduced by 500 from 2026-02-01",
            arr_delta="-500",
            effective_date="2026-02-01",
        ),
        old_entry(
            account,
            "stage_changed",
            "生命周期阶段：平稳期",  # written by a Chinese deployment
            body="上一阶段：推广期。",
            stage="steady",
            previous="promotion",
        ),
        old_entry(account, "stakeholder_left", "Wang Fang (S) left", stakeholder_id=person.pk, tier="S"),
        old_entry(account, "renewal_reminder_sent", f"Renewal in 30 days: {account.name}", days_left=30),
    ]
    renamed = old_entry(
        account, "owner_changed", "Owner changed: nobody → Somebody Else", **{"from": None, "to": org.csm_a1.pk}
    )
    unknown = old_entry(account, "feedback_raised", "Product feedback: faster exports")
    flag = RiskFlag.objects.create(
        account=account, kind="decision_chain_changed", reason="Wang Fang, CIO, left the customer.",
        dedupe_key=f"stakeholder-left:{person.pk}",
    )  # fmt: skip

    changed = backfill()

    assert changed["timeline"] == len(rows)
    assert changed["risk_flags"] == 1
    for row in rows:
        row.refresh_from_db()
        assert row.message_key, row.kind
        with translation.override("en"):
            english = row.display_title
        with translation.override("zh-hans"):
            chinese = row.display_title
        assert row.title in {english, chinese}
        assert english != chinese, row.kind
    stage = next(row for row in rows if row.kind == "stage_changed")
    assert stage.body_messages
    with translation.override("en"):
        assert stage.display_title == "Lifecycle stage: Steady"
        assert stage.display_body == "Previous stage: Promotion month."
    # A name that changed since, or a kind whose values are gone: the stored text stays.
    renamed.refresh_from_db()
    unknown.refresh_from_db()
    assert renamed.message_key == "" and unknown.message_key == ""
    flag.refresh_from_db()
    assert flag.reason_key == "%(name)s, %(title)s, left the customer."
    # Run twice: nothing more to do.
    assert backfill() == {"timeline": 0, "risk_flags": 0, "notifications": 0}
    html = page(client, org.csm_a1, account, "zh-hans")
    assert ZH_TITLE in html and "Renewal due 2026-03-31 marked at risk" not in html


def test_old_review_notifications_get_their_keys_back(org):
    account = org.accounts["csm_a1"][0]
    review = DossierReview.objects.create(account=account, reviewer=org.manager_a, verdict="approved")
    reviewer = org.manager_a.get_full_name() or org.manager_a.username
    notification = Notification.objects.create(
        recipient=org.csm_a1,
        kind="dossier_review",
        title=f"{reviewer} reviewed the dossier of {account.name}: Approved",
        dedupe_key=f"dossier-review:{review.pk}",
    )
    assert backfill()["notifications"] == 1
    notification.refresh_from_db()
    with translation.override("zh-hans"):
        assert "通过" in notification.display_title


def test_old_alert_entries_and_notifications_get_their_keys_back(org):
    from health.alerts import alert_texts

    account = org.accounts["csm_a1"][0]
    alert = ActivityAlert.objects.create(
        account=account,
        detected_on=date(2026, 3, 1),
        episode_key="drop:2026-03-01",
        current_events=10,
        baseline_events=Decimal("100"),
        drop_share=Decimal("0.9"),
        created_at=timezone.now() - timedelta(days=1),
    )
    with translation.override("en"):
        title, body = alert_texts(alert)
    entry = old_entry(account, "activity_drop", title, body=body, alert_id=alert.pk)
    with translation.override("zh-hans"):
        zh_title, zh_body = alert_texts(alert)
    notification = Notification.objects.create(
        recipient=org.csm_a1,
        kind="activity_drop",
        title=zh_title,
        body=zh_body,
        dedupe_key=f"activity-drop:{alert.pk}:owner",
    )
    stale = old_entry(account, "activity_drop", "An older wording", alert_id=alert.pk)

    changed = alert_messages_backfill(
        alert_model=ActivityAlert, timeline_model=TimelineEntry, notification_model=Notification
    )

    assert changed == {"timeline": 1, "notifications": 1}
    entry.refresh_from_db()
    notification.refresh_from_db()
    stale.refresh_from_db()
    with translation.override("zh-hans"):
        assert (entry.display_title, entry.display_body) == (zh_title, zh_body)
    with translation.override("en"):
        assert (notification.display_title, notification.display_body) == (title, body)
    assert stale.message_key == "" and stale.display_title == "An older wording"
