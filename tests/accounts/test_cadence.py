"""Contact cadence (admin-editable, per-segment override) and the overdue-contacts list."""

from __future__ import annotations

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.cadence import cadence_days_for, cadence_rules, contact_status, with_contact_status
from accounts.models import Account, ContactCadence, Stakeholder, Tier, TimelineEntry
from accounts.selectors import contact_cadence_days, overdue_contacts_for_user, stakeholder_rows
from accounts.stakeholders import stakeholder_create, stakeholder_mark_left
from accounts.timeline import touchpoint_log
from playbooks.selectors import overdue_contacts

pytestmark = pytest.mark.django_db

SEED = importlib.import_module("accounts.migrations.0006_seed_contact_cadence")


@pytest.fixture(autouse=True)
def seeded_defaults():
    """The data migration's rows. A transactional test elsewhere flushes the tables (and a
    reused test database keeps them flushed), so seed them again with the migration's code."""
    SEED.seed(django_apps, None)


ENTERPRISE_ARR = Decimal("500000")  # CNY bands: enterprise from 350,000


def person(account, actor, **fields):
    fields.setdefault("name", "Zhang San")
    return stakeholder_create(actor=actor, account=account, **fields)


def touch(account, actor, people, days_ago):
    return touchpoint_log(
        actor=actor,
        account=account,
        kind="call",
        title="Check-in",
        occurred_at=timezone.now() - timedelta(days=days_ago),
        stakeholders=people,
    )


def make_enterprise(account):
    Account.objects.filter(pk=account.pk).update(arr=ENTERPRISE_ARR)
    account.refresh_from_db()
    return account


def overdue_names(client, url=None, **params):
    response = client.get(url or reverse("accounts:overdue_contacts"), params)
    assert response.status_code == 200
    return [row.person.name for row in response.context["rows"]]


# --- resolution -------------------------------------------------------------------


def test_data_migration_seeds_the_tier_defaults_once():
    ContactCadence.objects.all().delete()
    SEED.seed(django_apps, None)
    SEED.seed(django_apps, None)  # re-running changes nothing
    defaults = {(c.tier, c.segment): c.days for c in ContactCadence.objects.all()}
    assert defaults == {("S", ""): 30, ("A", ""): 30, ("B", ""): 60}
    assert contact_cadence_days() == {"S": 30, "A": 30, "B": 60}


def test_segment_override_wins_over_the_tier_default():
    ContactCadence.objects.create(tier=Tier.S, segment="enterprise", days=14)
    ContactCadence.objects.filter(tier=Tier.B, segment="").update(days=90)
    rules = cadence_rules()
    assert cadence_days_for(tier="S", segment="enterprise", rules=rules) == 14
    assert cadence_days_for(tier="S", segment="smb", rules=rules) == 30
    assert cadence_days_for(tier="B", segment="enterprise", rules=rules) == 90
    assert contact_cadence_days(segment="enterprise") == {"S": 14, "A": 30, "B": 90}


def test_a_tier_without_a_default_row_falls_back_to_the_setting(settings):
    settings.HOURGLASS_CONTACT_CADENCE_DAYS = {"S": 30, "A": 30, "B": 45}
    ContactCadence.objects.filter(tier=Tier.B).delete()
    assert contact_cadence_days()["B"] == 45


def test_one_rule_per_tier_and_segment():
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactCadence.objects.create(tier=Tier.S, segment="", days=7)


def test_admin_edits_the_cadence(client, org):
    client.force_login(org.admin)
    assert client.get(reverse("admin:accounts_contactcadence_changelist")).status_code == 200
    response = client.post(
        reverse("admin:accounts_contactcadence_add"), {"tier": "A", "segment": "enterprise", "days": "21"}
    )
    assert response.status_code == 302
    assert cadence_days_for(tier="A", segment="enterprise") == 21
    client.force_login(org.csm_a1)
    assert client.get(reverse("admin:accounts_contactcadence_changelist")).status_code == 302  # to admin login


def test_sql_annotation_and_python_agree_with_the_override(org):
    account = make_enterprise(org.accounts["csm_a1"][0])
    ContactCadence.objects.create(tier=Tier.S, segment="enterprise", days=14)
    boss = person(account, org.csm_a1, name="Boss", tier=Tier.S)
    staff = person(account, org.csm_a1, name="Staff", tier=Tier.B)
    touch(account, org.csm_a1, [boss, staff], days_ago=20)
    today = timezone.localdate()
    annotated = {p.name: p for p in with_contact_status(Stakeholder.objects.filter(account=account))}
    assert annotated["Boss"].cadence_days == 14 and annotated["Staff"].cadence_days == 60
    boss_status = contact_status(annotated["Boss"], today)
    assert boss_status.last_contact == today - timedelta(days=20)
    assert boss_status.next_due == today - timedelta(days=6)
    assert (boss_status.overdue, boss_status.days_overdue) == (True, 6)
    assert contact_status(annotated["Staff"], today).overdue is False
    rows = stakeholder_rows(account=account, today=today)
    assert [r.overdue for r in rows["S"]] == [True] and [r.overdue for r in rows["B"]] == [False]
    # The same override applies to the playbooks' My-day list (set-based, same rules).
    assert list(overdue_contacts(accounts=Account.objects.filter(pk=account.pk), today=today)) == [boss]


def test_due_today_is_not_overdue_yet(org):
    account = org.accounts["csm_a1"][0]
    vp = person(account, org.csm_a1, name="VP", tier=Tier.S)
    touch(account, org.csm_a1, [vp], days_ago=30)
    assert list(overdue_contacts_for_user(user=org.csm_a1)) == []
    assert list(overdue_contacts_for_user(user=org.csm_a1, today=timezone.localdate() + timedelta(days=1))) == [vp]


def test_zero_days_means_no_regular_contact(org):
    ContactCadence.objects.filter(tier=Tier.B).update(days=0)
    account = org.accounts["csm_a1"][0]
    person(account, org.csm_a1, name="Clerk", tier=Tier.B)
    assert list(overdue_contacts_for_user(user=org.csm_a1)) == []


def test_account_page_shows_last_contact_next_due_and_overdue_days(client, org):
    account = org.accounts["csm_a1"][0]
    vp = person(account, org.csm_a1, name="VP", tier=Tier.S)
    person(account, org.csm_a1, name="New", tier=Tier.A)
    touch(account, org.csm_a1, [vp], days_ago=35)
    client.force_login(org.csm_a1)
    people = reverse("accounts:tab", args=[account.pk, "people"])  # the account page's People tab
    page = client.get(people, headers={"HX-Request": "true"}).content.decode()
    today = timezone.localdate()
    assert (today - timedelta(days=35)).isoformat() in page
    assert (today - timedelta(days=5)).isoformat() in page  # next due
    assert "Contact overdue by 5 days" in page
    assert "every 30 days" in page


# --- the overdue-contacts page ----------------------------------------------------


def test_csm_sees_only_their_own_overdue_stakeholders(client, org):
    mine, teammates = org.accounts["csm_a1"][0], org.accounts["csm_a2"][0]
    person(mine, org.csm_a1, name="Never met", tier=Tier.A)
    recent = person(mine, org.csm_a1, name="Just called", tier=Tier.S)
    touch(mine, org.csm_a1, [recent], days_ago=2)
    person(teammates, org.csm_a2, name="Teammate's", tier=Tier.S)
    client.force_login(org.csm_a1)
    assert overdue_names(client) == ["Never met"]
    page = client.get(reverse("accounts:overdue_contacts")).content.decode()
    assert 'data-testid="overdue-group"' not in page and "Never contacted" in page


def test_manager_sees_the_team_grouped_by_csm_and_admin_sees_all(client, org):
    person(org.accounts["csm_a1"][0], org.csm_a1, name="A1 person", tier=Tier.S)
    person(org.accounts["csm_a2"][0], org.csm_a2, name="A2 person", tier=Tier.S)
    person(org.accounts["csm_b1"][0], org.csm_b1, name="B1 person", tier=Tier.S)
    client.force_login(org.manager_a)
    assert sorted(overdue_names(client)) == ["A1 person", "A2 person"]
    page = client.get(reverse("accounts:overdue_contacts")).content.decode()
    assert page.count('data-testid="overdue-group"') == 2
    client.force_login(org.admin)
    assert sorted(overdue_names(client)) == ["A1 person", "A2 person", "B1 person"]


def test_filters_and_sort_by_days_overdue(client, org):
    account, other = org.accounts["csm_a1"]
    make_enterprise(other)
    long_ago = person(account, org.csm_a1, name="Long ago", tier=Tier.S)
    a_while = person(account, org.csm_a1, name="A while", tier=Tier.A)
    staff = person(other, org.csm_a1, name="Staff", tier=Tier.B)
    touch(account, org.csm_a1, [long_ago], days_ago=100)
    touch(account, org.csm_a1, [a_while], days_ago=40)
    touch(other, org.csm_a1, [staff], days_ago=70)
    teammate = person(org.accounts["csm_a2"][0], org.csm_a2, name="Teammate", tier=Tier.S)
    for user, first_name in ((org.csm_a1, "Anna"), (org.csm_a2, "Bo")):
        user.first_name = first_name
        user.save(update_fields=["first_name"])
    client.force_login(org.manager_a)
    # Grouped by CSM (csm_a1 before csm_a2), most overdue first inside each group.
    assert overdue_names(client) == ["Long ago", "A while", "Staff", "Teammate"]
    assert overdue_names(client, order="least") == ["Staff", "A while", "Long ago", "Teammate"]
    assert overdue_names(client, tier="S") == ["Long ago", "Teammate"]
    assert overdue_names(client, owner=org.csm_a2.pk) == ["Teammate"]
    assert overdue_names(client, segment="enterprise") == ["Staff"]
    rows = client.get(reverse("accounts:overdue_contacts")).context["rows"]
    assert [r.status.days_overdue for r in rows] == [70, 10, 10, None]
    assert teammate.pk == rows[-1].person.pk


def test_bad_filters_are_named_by_field(client, org):
    person(org.accounts["csm_a1"][0], org.csm_a1, name="Someone", tier=Tier.S)
    client.force_login(org.manager_a)  # csm_b1 is in the other team: not a choice
    response = client.get(reverse("accounts:overdue_contacts"), {"tier": "Z", "owner": org.csm_b1.pk})
    page = response.content.decode()
    assert 'data-field-error="tier"' in page and 'data-field-error="owner"' in page
    assert response.context["rows"] == []


def test_pagination_and_htmx_partial(client, org):
    account = org.accounts["csm_a1"][0]
    Stakeholder.objects.bulk_create([Stakeholder(account=account, name=f"P{i:02d}", tier=Tier.B) for i in range(55)])
    client.force_login(org.csm_a1)
    assert len(overdue_names(client)) == 50
    second = client.get(reverse("accounts:overdue_contacts"), {"page": 2}, HTTP_HX_REQUEST="true")
    assert len(second.context["rows"]) == 5
    assert second.content.decode().startswith('<div class="hg-card" data-testid="overdue-contacts">')


@pytest.mark.parametrize("url_name", ["accounts:overdue_contacts", "api:overdue-contact-list"])
def test_query_count_is_constant_at_1_and_30_stakeholders(client, org, url_name):
    client.force_login(org.manager_a)
    url = reverse(url_name)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = org.accounts["csm_a1"][0]
    touch(first, org.csm_a1, [person(first, org.csm_a1, name="P0", tier=Tier.S)], days_ago=90)
    baseline = count()
    accounts = [*org.accounts["csm_a1"], *org.accounts["csm_a2"]]
    for i in range(1, 30):
        account = accounts[i % len(accounts)]
        owner = account.owner
        someone = person(account, owner, name=f"P{i}", tier=Tier.values[i % 3])
        if i % 2:
            touch(account, owner, [someone], days_ago=80 + i)
    assert len(overdue_contacts_for_user(user=org.manager_a)) == 30
    assert count() == baseline


# --- log a touch -------------------------------------------------------------------


def test_log_a_touch_with_htmx_records_it_on_the_timeline_and_drops_the_row(client, org):
    account = org.accounts["csm_a1"][0]
    vp = person(account, org.csm_a1, name="VP", tier=Tier.S)
    client.force_login(org.csm_a1)
    url = reverse("accounts:contact_touch", args=[vp.pk])
    response = client.post(url, {"kind": "visit", "note": "Coffee with the VP"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    entry = TimelineEntry.objects.get(account=account, is_touchpoint=True)
    assert (entry.kind, entry.title, entry.actor) == ("visit", "Coffee with the VP", org.csm_a1)
    assert list(entry.stakeholders.all()) == [vp]
    assert overdue_names(client) == []


def test_log_a_touch_without_htmx_redirects_with_a_default_title(client, org):
    account = org.accounts["csm_a1"][0]
    vp = person(account, org.csm_a1, name="VP", tier=Tier.S)
    client.force_login(org.manager_a)  # the team lead may log it too
    response = client.post(reverse("accounts:contact_touch", args=[vp.pk]), {"kind": "call"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:overdue_contacts")
    assert TimelineEntry.objects.get(account=account).title == "Contact with VP"


def test_log_a_touch_with_a_bad_type_writes_nothing_and_names_the_field(client, org):
    vp = person(org.accounts["csm_a1"][0], org.csm_a1, name="VP", tier=Tier.S)
    client.force_login(org.csm_a1)
    url = reverse("accounts:contact_touch", args=[vp.pk])
    response = client.post(url, {"kind": "telepathy"})
    assert response.status_code == 400 and "kind" in response.content.decode()
    htmx = client.post(url, {"kind": "telepathy"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="touch-error"' in htmx and "kind" in htmx and f'id="overdue-contact-{vp.pk}"' in htmx
    assert not TimelineEntry.objects.exists()


def test_log_a_touch_is_denied_outside_the_scope_and_for_people_who_left(client, org):
    account = org.accounts["csm_a1"][0]
    vp = person(account, org.csm_a1, name="VP", tier=Tier.S)
    gone = person(account, org.csm_a1, name="Gone", tier=Tier.B)
    stakeholder_mark_left(actor=org.csm_a1, stakeholder=gone)
    for user in (org.csm_a2, org.csm_b1, org.manager_b):
        client.force_login(user)
        assert client.post(reverse("accounts:contact_touch", args=[vp.pk]), {"kind": "call"}).status_code == 404
    client.force_login(org.csm_a1)
    assert client.post(reverse("accounts:contact_touch", args=[gone.pk]), {"kind": "call"}).status_code == 404
    assert client.get(reverse("accounts:contact_touch", args=[vp.pk])).status_code == 405
    assert not TimelineEntry.objects.filter(is_touchpoint=True).exists()
    client.logout()
    response = client.post(reverse("accounts:contact_touch", args=[vp.pk]), {"kind": "call"})
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- API ----------------------------------------------------------------------------


def test_api_lists_overdue_contacts_with_their_dates(client, org):
    account = make_enterprise(org.accounts["csm_a1"][0])
    ContactCadence.objects.create(tier=Tier.S, segment="enterprise", days=14)
    vp = person(account, org.csm_a1, name="VP", tier=Tier.S)
    touch(account, org.csm_a1, [vp], days_ago=20)
    person(org.accounts["csm_b1"][0], org.csm_b1, name="Other team", tier=Tier.S)
    client.force_login(org.csm_a1)
    body = client.get(reverse("api:overdue-contact-list")).json()
    today = timezone.localdate()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["tier"], row["segment"], row["cadence_days"], row["days_overdue"]) == (
        vp.pk, "S", "enterprise", 14, 6,
    )  # fmt: skip
    assert row["last_contact"] == (today - timedelta(days=20)).isoformat()
    assert row["next_due"] == (today - timedelta(days=6)).isoformat()
    assert row["owner_id"] == org.csm_a1.pk


def test_api_filters_and_bad_input(client, org):
    person(org.accounts["csm_a1"][0], org.csm_a1, name="S person", tier=Tier.S)
    person(org.accounts["csm_a2"][0], org.csm_a2, name="B person", tier=Tier.B)
    client.force_login(org.manager_a)
    url = reverse("api:overdue-contact-list")
    assert [r["name"] for r in client.get(url, {"tier": "B"}).json()["results"]] == ["B person"]
    assert [r["name"] for r in client.get(url, {"owner": org.csm_a1.pk}).json()["results"]] == ["S person"]
    bad = client.get(url, {"tier": "Q", "segment": "galactic", "owner": org.csm_b1.pk})
    assert bad.status_code == 400 and set(bad.json()) == {"tier", "segment", "owner"}
    client.logout()
    assert client.get(url).status_code in (401, 403)


def test_a_churned_customers_people_are_not_overdue(org):
    account = org.accounts["csm_a1"][0]
    boss = person(account, org.csm_a1, tier=Tier.S)
    touch(account, org.csm_a1, [boss], days_ago=400)
    today = timezone.localdate()
    assert [s.pk for s in overdue_contacts_for_user(user=org.csm_a1, today=today)] == [boss.pk]
    assert [s.pk for s in overdue_contacts(accounts=Account.objects.filter(pk=account.pk), today=today)] == [boss.pk]

    Account.objects.filter(pk=account.pk).update(status="churned")
    assert list(overdue_contacts_for_user(user=org.csm_a1, today=today)) == []
    assert list(overdue_contacts(accounts=Account.objects.filter(pk=account.pk), today=today)) == []
