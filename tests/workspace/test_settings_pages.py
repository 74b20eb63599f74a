"""The settings area: admins edit each section, managers read, CSMs are refused; every
save takes effect at once and is listed in the section's change history."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.cadence import cadence_rules
from accounts.models import ContactCadence
from capacity.models import CapacityPreset, CapacitySettings, SegmentRatio
from capacity.services import capacity_defaults_ensure
from org.models import SettingsChange, SettingsSection
from org.operations_settings import operations_settings
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

SLUGS = ["segments", "cadence", "capacity", "currency", "reminders", "activity-drop"]


def section_url(slug: str) -> str:
    return reverse("settings:section", kwargs={"section": slug})


def bands_post(**overrides: str) -> dict[str, str]:
    data = {"band_enterprise": "200000", "band_mid_market": "50000", "band_smb": "10000", "band_tech_touch": "0"}
    return data | overrides


def capacity_post(**overrides: str) -> dict[str, str]:
    capacity_defaults_ensure()  # the rows migration 0004 seeds, should a flushed database lack them
    data = {"preset": str(CapacityPreset.objects.order_by("pk").last().pk), "csm_annual_cost": "300000"}
    for ratio in SegmentRatio.objects.all():
        for name in ("accounts_per_csm_min", "accounts_per_csm_max", "contacts_per_day_min", "contacts_per_day_max"):
            value = getattr(ratio, name)
            data[f"ratio_{ratio.segment}_{name}"] = "" if value is None else str(value)
    return data | overrides


def reminders_post(days: str, late: str = "30") -> dict[str, str]:
    return {"renewal_reminder_days": days, "renewal_reminder_overdue_days": late}


def drop_post(share: str = "0.5", baseline: str = "20") -> dict[str, str]:
    return {"activity_drop_share": share, "activity_drop_min_baseline": baseline, "activity_drop_cooldown_days": "14"}


def cadence_post(**overrides: str) -> dict[str, str]:
    data = {f"cadence_{tier}_default": str(days) for tier, days in {"S": 30, "A": 30, "B": 60}.items()}
    return data | overrides


@pytest.mark.parametrize("slug", SLUGS)
def test_admin_sees_an_editable_form_and_a_manager_a_disabled_one(client, org, slug):
    client.force_login(org.admin)
    html = client.get(section_url(slug)).content.decode()
    assert 'data-testid="settings-save"' in html and " disabled" not in html

    client.force_login(org.manager_a)
    response = client.get(section_url(slug))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="settings-save"' not in html and " disabled" in html
    assert 'data-testid="settings-read-only"' in html


@pytest.mark.parametrize("slug", SLUGS)
def test_a_manager_cannot_save_and_nothing_changes(client, org, slug):
    client.force_login(org.manager_a)
    assert client.post(section_url(slug), bands_post() | {"currency": "USD"}).status_code == 403
    assert not SettingsChange.objects.exists()


def test_a_csm_is_refused_every_settings_page(client, org):
    client.force_login(org.csm_a1)
    urls = [reverse("settings:overview")] + [section_url(slug) for slug in SLUGS]
    urls += [reverse("settings:history", kwargs={"section": slug}) for slug in SLUGS]
    assert {client.get(url).status_code for url in urls} == {403}
    assert client.post(section_url("currency"), {"currency": "USD"}).status_code == 403
    assert operations_settings().currency != "USD" or not SettingsChange.objects.exists()


def test_the_nav_shows_settings_to_managers_and_admins_only(client, org):
    link = f'href="{reverse("settings:overview")}"'
    client.force_login(org.csm_a1)
    assert link not in client.get(reverse("my_day")).content.decode()
    client.force_login(org.manager_a)
    assert link in client.get(reverse("my_day")).content.decode()


def test_unknown_section_is_404(client, org):
    client.force_login(org.admin)
    assert client.get("/settings/no-such-thing/").status_code == 404


def test_overview_lists_every_section_with_its_values(client, org):
    client.force_login(org.manager_a)
    html = client.get(reverse("settings:overview")).content.decode()
    for slug in SLUGS:
        assert section_url(slug) in html
    assert "90, 60, 30, 7" in html


def test_new_bands_move_an_account_on_the_book_at_once_with_a_history_row(client, org):
    account = AccountFactory(owner=org.csm_a1, name="Moving Co", arr=Decimal("60000"))
    client.force_login(org.csm_a1)
    assert client.get(reverse("accounts:list"), {"segment": "mid_market"}).content.decode().count("Moving Co") == 0

    client.force_login(org.admin)
    response = client.post(section_url("segments"), bands_post())
    assert response.status_code == 302

    client.force_login(org.csm_a1)
    assert "Moving Co" in client.get(reverse("accounts:list"), {"segment": "mid_market"}).content.decode()
    assert account.segment == "mid_market"
    client.force_login(org.manager_a)
    html = client.get(reverse("settings:history", kwargs={"section": "segments"})).content.decode()
    assert "SMB (onboarding focus): lower ARR bound" in html
    assert '<del data-testid="settings-change-old">14,000</del>' in html
    assert '<td data-testid="settings-change-new">10,000</td>' in html
    assert org.admin.username in html or org.admin.get_full_name() in html


@pytest.mark.parametrize(
    ("slug", "data", "field"),
    [
        ("segments", bands_post(band_mid_market="5000"), "band_mid_market"),
        ("segments", bands_post(band_mid_market="500000"), "band_enterprise"),
        ("segments", bands_post(band_smb="-5"), "band_smb"),
        ("segments", bands_post(band_tech_touch=""), "band_tech_touch"),
        ("reminders", reminders_post("90, 0, 7"), "renewal_reminder_days"),
        ("reminders", reminders_post("ninety"), "renewal_reminder_days"),
        ("reminders", reminders_post("30", late="x"), "renewal_reminder_overdue_days"),
        ("currency", {"currency": "E1"}, "currency"),
        ("currency", {"currency": "E1R"}, "currency"),
        ("activity-drop", drop_post(share="2"), "activity_drop_share"),
        ("activity-drop", drop_post(baseline="0"), "activity_drop_min_baseline"),
        ("cadence", cadence_post(cadence_S_default=""), "cadence_S_default"),
        ("cadence", cadence_post(cadence_B_smb="-3"), "cadence_B_smb"),
    ],
)
def test_bad_input_is_named_on_its_field_never_a_500(client, org, slug, data, field):
    client.force_login(org.admin)
    response = client.post(section_url(slug), data)
    assert response.status_code == 200
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert not SettingsChange.objects.exists()


def test_capacity_errors_are_named_on_the_ratio_and_cost_fields(client, org):
    client.force_login(org.admin)
    response = client.post(
        section_url("capacity"),
        capacity_post(ratio_smb_accounts_per_csm_min="80", ratio_smb_accounts_per_csm_max="20", service_cost_share="3"),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-service_cost_share"' in html
    response = client.post(
        section_url("capacity"), capacity_post(ratio_smb_accounts_per_csm_min="80", ratio_smb_accounts_per_csm_max="20")
    )
    assert 'data-testid="error-ratio_smb_accounts_per_csm_max"' in response.content.decode()
    assert not SettingsChange.objects.exists()


def test_cadence_saves_defaults_and_overrides_and_logs_each_cell(client, org):
    client.force_login(org.admin)
    response = client.post(section_url("cadence"), cadence_post(cadence_S_default="14", cadence_B_enterprise="21"))
    assert response.status_code == 302
    rules = cadence_rules()
    assert rules[("S", "")] == 14 and rules[("B", "enterprise")] == 21
    changes = {c.key: (c.old_value, c.new_value) for c in SettingsChange.objects.filter(section="cadence")}
    assert changes == {"cadence.S.default": (30, 14), "cadence.B.enterprise": (None, 21)}

    # Emptying the override removes it: the tier default applies again.
    client.post(section_url("cadence"), cadence_post(cadence_S_default="14"))
    assert not ContactCadence.objects.filter(tier="B", segment="enterprise").exists()
    assert SettingsChange.objects.filter(key="cadence.B.enterprise", new_value__isnull=True).exists()


def test_capacity_saves_preset_ratio_and_costs(client, org):
    client.force_login(org.admin)
    capacity_defaults_ensure()
    preset = CapacityPreset.objects.order_by("pk").last()
    response = client.post(section_url("capacity"), capacity_post(ratio_smb_accounts_per_csm_max="250"))
    assert response.status_code == 302
    assert CapacityPreset.objects.get(is_active=True) == preset
    assert SegmentRatio.objects.get(segment="smb").accounts_per_csm_max == 250
    assert CapacitySettings.objects.get(pk=1).csm_annual_cost == Decimal("300000")
    keys = set(SettingsChange.objects.filter(section=SettingsSection.CAPACITY).values_list("key", flat=True))
    assert {"ratio.smb.accounts_per_csm_max", "costs.csm_annual_cost"} <= keys
    # The same form again: nothing changed, nothing logged.
    count = SettingsChange.objects.count()
    client.post(section_url("capacity"), capacity_post(ratio_smb_accounts_per_csm_max="250"))
    assert SettingsChange.objects.count() == count


def test_reminders_activity_drop_and_currency_save_from_the_pages(client, org):
    client.force_login(org.admin)
    client.post(section_url("reminders"), {"renewal_reminder_days": "120, 30", "renewal_reminder_overdue_days": "10"})
    client.post(
        section_url("activity-drop"),
        {"activity_drop_share": "0.3", "activity_drop_min_baseline": "50", "activity_drop_cooldown_days": "21"},
    )
    client.post(section_url("currency"), {"currency": "usd"})
    values = operations_settings()
    assert values.renewal_reminder_days == [120, 30] and values.renewal_reminder_overdue_days == 10
    assert (values.activity_drop_share, values.activity_drop_min_baseline) == (Decimal("0.3"), 50)
    assert values.currency == "USD"
    assert "$" in client.get(reverse("settings:overview")).content.decode()


def test_history_costs_the_same_queries_for_one_change_or_twenty(client, org):
    client.force_login(org.manager_a)
    url = reverse("settings:history", kwargs={"section": "cadence"})

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    SettingsChange.objects.create(section="cadence", key="cadence.S.default", old_value=30, new_value=14)
    one = count()
    SettingsChange.objects.bulk_create(
        SettingsChange(section="cadence", key=f"cadence.A.{seg}", old_value=i, new_value=i + 1, changed_by=org.admin)
        for i, seg in enumerate(["default", "smb", "enterprise", "mid_market", "tech_touch"] * 4)
    )
    assert count() == one


def test_the_book_reads_the_settings_once_a_request_whatever_the_rows(client, org):
    client.force_login(org.csm_a1)

    def settings_reads() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("accounts:list")).status_code == 200
        return sum('"org_operationssettings"' in query["sql"] for query in queries.captured_queries)

    one = settings_reads()
    for i in range(20):
        AccountFactory(owner=org.csm_a1, external_id=f"S-{i}")
    assert one == settings_reads() == 1


def test_pages_in_chinese(client, org):
    client.force_login(org.admin)
    with translation.override("zh-hans"):
        html = client.get(section_url("segments"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "分层" in html and "变更历史" in html
