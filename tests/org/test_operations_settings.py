"""Operations settings: the reader (env seed, database, cache), the write service, and
that the apps read them (segments, reminder sweep, activity-drop scan)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account
from accounts.segments import segment_bands, segment_case
from core.formatting import money
from health.alerts import DropRule, activity_drop_scan
from org.models import OperationsSettings, SettingsChange, SettingsSection
from org.operations_settings import operations_settings, operations_settings_update
from renewals.models import RenewalReminder
from renewals.reminders import reminder_sweep
from renewals.reminders.due import reminder_thresholds
from tests.factories import AccountFactory
from tests.health.conftest import make_rollups
from tests.renewals.conftest import TODAY, make_renewal

pytestmark = pytest.mark.django_db

BANDS = [("tech_touch", "0"), ("smb", "10000"), ("mid_market", "50000"), ("enterprise", "200000")]


def save(actor, section, **values):
    return operations_settings_update(actor=actor, section=section, values=values)


def test_until_saved_the_environment_seeds_every_value(org, settings):
    settings.HOURGLASS_RENEWAL_REMINDER_DAYS = [45, 15]
    settings.HOURGLASS_ACTIVITY_DROP_SHARE = 0.4
    values = operations_settings()
    assert values.renewal_reminder_days == [45, 15]
    assert values.activity_drop_share == Decimal("0.4")
    assert values.currency == settings.HOURGLASS_CURRENCY
    assert not OperationsSettings.objects.exists()


def test_saved_bands_win_over_the_environment_and_are_logged_old_and_new(org, settings):
    settings.HOURGLASS_SEGMENT_BANDS = {"enterprise": Decimal(350000), "smb": Decimal(14000), "tech_touch": Decimal(0)}
    logged = save(org.admin, SettingsSection.SEGMENTS, segment_bands=BANDS)

    assert operations_settings().segment_bands["enterprise"] == Decimal("200000")
    settings.HOURGLASS_SEGMENT_BANDS = {"enterprise": Decimal(1), "tech_touch": Decimal(0)}  # only a seed now
    assert operations_settings().segment_bands["enterprise"] == Decimal("200000")
    changes = {change.key: (change.old_value, change.new_value) for change in logged}
    assert changes == {
        "segment_bands.enterprise": ("350000", "200000"),
        "segment_bands.mid_market": (None, "50000"),
        "segment_bands.smb": ("14000", "10000"),
    }
    assert all(change.changed_by == org.admin for change in logged)
    history = OperationsSettings.history.get()
    assert history.history_user == org.admin and history.segment_bands["smb"] == "10000"


def test_saving_the_same_values_again_logs_nothing(org):
    assert save(org.admin, SettingsSection.REMINDERS, renewal_reminder_days="60, 14", renewal_reminder_overdue_days=10)
    again = save(org.admin, SettingsSection.REMINDERS, renewal_reminder_days=[14, 60], renewal_reminder_overdue_days=10)
    assert again == []
    assert SettingsChange.objects.count() == 2
    assert OperationsSettings.history.count() == 1


def test_changing_the_bands_re_segments_accounts_at_once(org):
    account = AccountFactory(owner=org.csm_a1, arr=Decimal("60000"))
    before = account.segment
    save(org.admin, SettingsSection.SEGMENTS, segment_bands=BANDS)
    assert (before, Account.objects.get(pk=account.pk).segment) == ("smb", "mid_market")
    annotated = Account.objects.annotate(seg=segment_case()).get(pk=account.pk)
    assert annotated.seg == "mid_market"
    assert segment_bands()[0] == ("enterprise", Decimal("200000.00"))


@pytest.mark.parametrize(
    ("bands", "field"),
    [
        ([("tech_touch", "0"), ("smb", "10000"), ("mid_market", "5000")], "segment_bands.mid_market"),
        ([("tech_touch", "0"), ("smb", "10000"), ("mid_market", "10000")], "segment_bands.mid_market"),
        ([("tech_touch", "-1")], "segment_bands.tech_touch"),
        ([("tech_touch", "0"), ("smb", "lots")], "segment_bands.smb"),
        ([], "segment_bands"),
    ],
)
def test_bands_must_be_increasing_amounts(org, bands, field):
    with pytest.raises(ValidationError) as error:
        save(org.admin, SettingsSection.SEGMENTS, segment_bands=bands)
    assert field in error.value.message_dict
    assert not SettingsChange.objects.exists()


def reminders(days, late=30):
    return {"renewal_reminder_days": days, "renewal_reminder_overdue_days": late}


def drop(share="0.5", baseline=20, **more):
    return {"activity_drop_share": share, "activity_drop_min_baseline": baseline} | more


@pytest.mark.parametrize(
    ("section", "values", "field"),
    [
        (SettingsSection.REMINDERS, reminders("90, 0"), "renewal_reminder_days"),
        (SettingsSection.REMINDERS, reminders("90, soon"), "renewal_reminder_days"),
        (SettingsSection.REMINDERS, reminders([7.5]), "renewal_reminder_days"),
        (SettingsSection.REMINDERS, reminders(" , "), "renewal_reminder_days"),
        (SettingsSection.REMINDERS, reminders("30", late=-1), "renewal_reminder_overdue_days"),
        (SettingsSection.CURRENCY, {"currency": "EURO"}, "currency"),
        (SettingsSection.CURRENCY, {"currency": "E1R"}, "currency"),
        (SettingsSection.ACTIVITY_DROP, drop("1.5", activity_drop_cooldown_days=14), "activity_drop_share"),
        (SettingsSection.ACTIVITY_DROP, drop(baseline=0, activity_drop_cooldown_days=14), "activity_drop_min_baseline"),
        (SettingsSection.ACTIVITY_DROP, drop(), "activity_drop_cooldown_days"),
        (SettingsSection.CURRENCY, {"currency": "USD", "activity_drop_share": "0.5"}, "activity_drop_share"),
        ("nonsense", {}, "section"),
    ],
)
def test_bad_values_are_named_by_field(org, section, values, field):
    with pytest.raises(ValidationError) as error:
        save(org.admin, section, **values)
    assert field in error.value.message_dict
    assert not OperationsSettings.objects.exists()


@pytest.mark.parametrize("who", ["manager_a", "csm_a1"])
def test_only_admins_change_the_settings(org, who):
    with pytest.raises(PermissionDenied):
        save(getattr(org, who), SettingsSection.CURRENCY, currency="USD")
    assert not OperationsSettings.objects.exists()


def test_currency_is_what_amounts_are_shown_in(org):
    save(org.admin, SettingsSection.CURRENCY, currency="usd")
    assert operations_settings().currency == "USD"
    assert money(1234) == "$1,234"


def test_outside_a_request_the_row_is_cached_and_a_save_clears_it(org):
    operations_settings()
    with CaptureQueriesContext(connection) as cached:
        operations_settings()
    assert len(cached) == 0
    save(org.admin, SettingsSection.CURRENCY, currency="EUR")
    assert operations_settings().currency == "EUR"


def test_the_reminder_sweep_uses_the_saved_thresholds(org):
    renewal = make_renewal(org.csm_a1, days_left=40)
    save(org.admin, SettingsSection.REMINDERS, renewal_reminder_days="45, 10", renewal_reminder_overdue_days=5)
    assert reminder_thresholds() == [10, 45]
    reminder_sweep(today=TODAY)
    assert list(RenewalReminder.objects.filter(renewal=renewal).values_list("threshold_days", flat=True)) == [45]
    late = make_renewal(org.csm_a2, days_left=-6)  # past the 5 late days now allowed
    reminder_sweep(today=TODAY)
    assert not RenewalReminder.objects.filter(renewal=late).exists()


def test_the_activity_drop_scan_uses_the_saved_parameters(org):
    day = TODAY
    account = AccountFactory(owner=org.csm_a1)
    low_from = day - timedelta(days=5)
    make_rollups(account, lambda d: 20 if d < low_from else 1, start=day - timedelta(days=60), end=day)
    save(
        org.admin,
        SettingsSection.ACTIVITY_DROP,
        activity_drop_share="0.5",
        activity_drop_min_baseline=500,  # this account's usual week (140 events) is now too small
        activity_drop_cooldown_days=7,
    )
    assert DropRule.from_settings() == DropRule(share=Decimal("0.50"), min_baseline=500, cooldown_days=7)
    assert activity_drop_scan(day=day).raised == []
    save(
        org.admin,
        SettingsSection.ACTIVITY_DROP,
        activity_drop_share="0.5",
        activity_drop_min_baseline=50,
        activity_drop_cooldown_days=7,
    )
    assert len(activity_drop_scan(day=day).raised) == 1
