"""The team page's initial activation rate: the window is the go-live day and the 29 after it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from capacity.team_columns import ACTIVATION_DAYS, usage_columns
from health.models import DailyRollup
from org.models import Role
from org.services import person_create
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

GO_LIVE = date(2025, 1, 1)
TODAY = date(2025, 6, 1)


@pytest.mark.parametrize(("offset", "rate"), [(0, 1.0), (ACTIVATION_DAYS - 1, 1.0), (ACTIVATION_DAYS, 0.0)])
def test_usage_on_day_31_is_too_late(org, offset, rate):
    """Go-live Jan 1: usage on Jan 30 (day 30) activates, on Jan 31 (day 31) it does not —
    also on SQLite, where the window's end is a date plus a duration."""
    csm = person_create(username="window.csm", role=Role.CSM, team=org.team_b)
    account = AccountFactory(owner=csm, go_live_date=GO_LIVE)
    DailyRollup.objects.create(account=account, day=GO_LIVE + timedelta(days=offset), events=3, active_users=1)
    columns = {column.key: column for column in usage_columns(user_ids=[csm.pk], today=TODAY)}
    assert float(columns["activation"].values[csm.pk]) == pytest.approx(rate)
