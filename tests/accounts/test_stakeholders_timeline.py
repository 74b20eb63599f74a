from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import KeyPersonLevel, RiskFlag, Stakeholder, Tier, TimelineEntry
from accounts.selectors import stakeholder_rows
from accounts.signals import stakeholder_left
from accounts.stakeholders import stakeholder_create, stakeholder_mark_left, stakeholder_update
from accounts.timeline import timeline_record, touchpoint_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(org):
    return org.accounts["csm_a1"][0]


def person(account, actor, **fields):
    fields.setdefault("name", "Zhang San")
    return stakeholder_create(actor=actor, account=account, **fields)


def test_key_stakeholder_leaving_flags_the_decision_chain_once(org, account, django_capture_on_commit_callbacks):
    ceo = person(account, org.csm_a1, name="CEO", tier=Tier.S, key_level=KeyPersonLevel.DECISION_MAKER)
    heard = []
    stakeholder_left.connect(lambda **kw: heard.append(kw), weak=False, dispatch_uid="t1")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            stakeholder_mark_left(actor=org.csm_a1, stakeholder=ceo, left_on=date(2026, 11, 1))
            stakeholder_mark_left(actor=org.csm_a1, stakeholder=ceo)  # repeated: no-op
    finally:
        stakeholder_left.disconnect(dispatch_uid="t1")
    ceo.refresh_from_db()
    assert not ceo.is_active and ceo.left_on == date(2026, 11, 1)
    flags = RiskFlag.objects.filter(account=account)
    assert [f.kind for f in flags] == ["decision_chain_changed"]
    assert TimelineEntry.objects.filter(account=account, kind="stakeholder_left").count() == 1
    assert len(heard) == 1 and heard[0]["is_key"] is True and heard[0]["account"] == account


def test_b_tier_staff_leaving_is_recorded_without_a_risk_flag(org, account):
    staff = person(account, org.csm_a1, name="Staff", tier=Tier.B)
    stakeholder_mark_left(actor=org.csm_a1, stakeholder=staff)
    assert not RiskFlag.objects.filter(account=account).exists()
    assert TimelineEntry.objects.filter(account=account, kind="stakeholder_left").exists()


def test_reports_to_must_be_same_customer_and_never_loop(org, account):
    boss = person(account, org.csm_a1, name="Boss", tier=Tier.A)
    report = person(account, org.csm_a1, name="Report", reports_to=boss)
    with pytest.raises(ValidationError) as error:
        stakeholder_update(actor=org.csm_a1, stakeholder=boss, reports_to=report)
    assert "reports_to" in error.value.message_dict
    elsewhere = person(org.accounts["csm_a2"][0], org.csm_a2, name="Elsewhere")
    with pytest.raises(ValidationError):
        stakeholder_update(actor=org.csm_a1, stakeholder=report, reports_to=elsewhere)


def test_touchpoint_updates_last_contact_and_cadence(org, account, settings):
    settings.HOURGLASS_CONTACT_CADENCE_DAYS = {"S": 30, "A": 30, "B": 60}
    vp = person(account, org.csm_a1, name="VP", tier=Tier.S)
    never = person(account, org.csm_a1, name="Never met", tier=Tier.A)
    today = timezone.localdate()
    touchpoint_log(
        actor=org.csm_a1,
        account=account,
        kind="visit",
        title="Quarterly visit",
        occurred_at=timezone.now() - timedelta(days=40),
        stakeholders=[vp],
        duration_minutes=90,
    )
    rows = stakeholder_rows(account=account, today=today)
    vp_row = next(r for r in rows["S"] if r.stakeholder == vp)
    assert vp_row.last_contact == today - timedelta(days=40)
    assert vp_row.overdue is True
    assert next(r for r in rows["A"] if r.stakeholder == never).overdue is True
    touchpoint_log(actor=org.csm_a1, account=account, kind="call", title="Check-in", stakeholders=[vp])
    rows = stakeholder_rows(account=account, today=today)
    assert next(r for r in rows["S"] if r.stakeholder == vp).overdue is False


def test_touchpoint_rejects_bad_kind_and_foreign_stakeholders(org, account):
    outsider = person(org.accounts["csm_a2"][0], org.csm_a2, name="Outsider")
    with pytest.raises(ValidationError) as error:
        touchpoint_log(actor=org.csm_a1, account=account, kind="call", title="x", stakeholders=[outsider])
    assert "stakeholders" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        touchpoint_log(actor=org.csm_a1, account=account, kind="telepathy", title="x")
    assert "kind" in error.value.message_dict
    assert not TimelineEntry.objects.filter(account=account, is_touchpoint=True).exists()


def test_system_entries_with_a_key_are_written_once(account):
    first = timeline_record(account=account, kind="activity_drop", title="Drop", dedupe_key="drop:1")
    again = timeline_record(account=account, kind="activity_drop", title="Drop", dedupe_key="drop:1")
    assert first is not None and again is None
    assert first.get_kind_display() == "Activity drop alert"


def test_owner_change_is_on_the_timeline(client, org, account):
    client.force_login(org.manager_a)
    client.post(
        reverse("accounts:edit", args=[account.pk]),
        {
            "name": account.name,
            "industry": "retail",
            "arr": "1000",
            "icp_fit": "target",
            "status": "active",
            "owner": org.csm_a2.pk,
        },
    )
    entry = TimelineEntry.objects.get(account=account, kind="owner_changed")
    assert entry.actor == org.manager_a


def test_account_page_query_count_is_constant(client, org, account):
    client.force_login(org.csm_a1)
    url = reverse("accounts:detail", args=[account.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    boss = person(account, org.csm_a1, name="Boss 0", tier=Tier.S)
    touchpoint_log(actor=org.csm_a1, account=account, kind="call", title="t0", stakeholders=[boss])
    count()  # the first view creates the ten dossier section rows
    baseline = count()
    for i in range(1, 50):
        someone = person(account, org.csm_a1, name=f"P{i}", tier=Tier.values[i % 3], reports_to=boss)
        touchpoint_log(actor=org.csm_a1, account=account, kind="meeting", title=f"t{i}", stakeholders=[someone, boss])
    assert count() == baseline


def test_log_touchpoint_through_the_page_with_htmx(client, org, account):
    vp = person(account, org.csm_a1, name="VP", tier=Tier.S)
    client.force_login(org.csm_a1)
    response = client.post(
        reverse("accounts:timeline", args=[account.pk]),
        {
            "kind": "meeting",
            "occurred_at": "2026-11-20T10:00",
            "title": "Kick-off",
            "duration_minutes": "60",
            "stakeholders": [vp.pk],
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Kick-off" in response.content.decode()
    assert "<html" not in response.content.decode()
    bad = client.post(
        reverse("accounts:timeline", args=[account.pk]),
        {"kind": "meeting", "occurred_at": "not a date", "title": ""},
        HTTP_HX_REQUEST="true",
    )
    assert 'data-field-error="occurred_at"' in bad.content.decode()
    assert 'data-field-error="title"' in bad.content.decode()


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "accounts:timeline", []),
        ("post", "accounts:timeline", []),
        ("get", "accounts:stakeholder_create", []),
        ("post", "accounts:stakeholder_left", ["stakeholder"]),
        ("get", "accounts:stakeholder_edit", ["stakeholder"]),
    ],
)
def test_other_csms_cannot_touch_stakeholders_or_timeline(client, org, account, method, name, args):
    target = person(account, org.csm_a1, name="Secret", tier=Tier.S)
    client.force_login(org.csm_b1)
    url = reverse(name, args=[account.pk, *([target.pk] if args else [])])
    response = getattr(client, method)(url, {"kind": "call", "title": "x", "occurred_at": "2026-11-20T10:00"})
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.is_active
    assert not TimelineEntry.objects.filter(account=account, is_touchpoint=True).exists()


def test_stakeholder_form_page_creates_and_edits(client, org, account):
    client.force_login(org.csm_a1)
    response = client.post(
        reverse("accounts:stakeholder_create", args=[account.pk]),
        {"name": "Li Si", "tier": "A", "key_level": "2", "relationship": "3", "email": "lisi@example.com"},
    )
    assert response.status_code == 302
    created = Stakeholder.objects.get(name="Li Si")
    assert created.key_level == KeyPersonLevel.DAY_TO_DAY
    bad = client.post(
        reverse("accounts:stakeholder_edit", args=[account.pk, created.pk]),
        {"name": "", "tier": "Z", "key_level": "1", "relationship": "1", "email": "not-an-email"},
    )
    errors = bad.context["form"].errors
    assert {"name", "tier", "email"} <= set(errors)


def test_touchpoint_form_lists_the_active_stakeholders_without_a_server_side_cursor(client, org, account):
    """The form is on every account page: its stakeholders come from one plain query, not
    a server-side cursor (PostgreSQL's DECLARE / FETCH / CLOSE: DISABLE_SERVER_SIDE_CURSORS)."""
    from accounts.forms import TouchpointForm

    boss = person(account, org.csm_a1, name="Boss <b>", tier=Tier.S)
    person(account, org.csm_a1, name="Left", tier=Tier.B)
    stakeholder_mark_left(actor=org.csm_a1, stakeholder=Stakeholder.objects.get(name="Left"))
    form = TouchpointForm(account=account, data={"kind": "call", "stakeholders": [boss.pk]})
    assert "Boss &lt;b&gt;" in str(form["stakeholders"]) and "Left" not in str(form["stakeholders"])

    client.force_login(org.csm_a1)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()
    assert not [q for q in ctx.captured_queries if "DECLARE" in q["sql"]]
    assert f'value="{boss.pk}"' in html
