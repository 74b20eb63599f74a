from __future__ import annotations

import pytest

from capacity import demo_time
from capacity.models import TimeEntry
from workspace.demo import demo_seed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("capacity_defaults")]


def test_demo_seeds_eight_weeks_of_time_for_the_demo_csms_and_resets():
    ctx = demo_seed(seed=7, accounts=40)
    assert demo_time.present()
    entries = TimeEntry.objects.all()
    csms = {"csm.li", "csm.wang", "csm.emma", "csm.zhao", "csm.sun"}
    assert set(entries.values_list("user__username", flat=True)) == csms
    assert (ctx.today - min(entries.values_list("date", flat=True))).days <= 8 * 7
    # Account work points at the person's own accounts only.
    for entry in entries.exclude(account=None).select_related("account")[:50]:
        assert entry.account.owner_id == entry.user_id
    demo_time.reset()
    assert not demo_time.present()
