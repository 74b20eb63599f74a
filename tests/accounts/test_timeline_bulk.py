"""``timeline_record_many``: the batch version of ``timeline_record``, one insert."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import TimelineEntry
from accounts.timeline import TimelineDraft, timeline_record, timeline_record_many
from tests.factories import AccountFactory


@pytest.mark.django_db
def test_timeline_record_many_writes_each_key_once_in_one_query():
    account = AccountFactory()
    timeline_record(account=account, kind="renewal_reminder_sent", title="Earlier", dedupe_key="k0")
    entries = [
        TimelineDraft(account=account, kind="renewal_reminder_sent", title="Again", dedupe_key="k0"),
        TimelineDraft(account=account, kind="renewal_reminder_sent", title="New", data={"n": 1}, dedupe_key="k1"),
        TimelineDraft(account=account, kind="renewal_reminder_sent", title="Repeat", dedupe_key="k1"),
        TimelineDraft(account=account, kind="note", title="x" * 400),
    ]
    with CaptureQueriesContext(connection) as queries:
        timeline_record_many(entries)
    assert len(queries) == 1
    assert TimelineEntry.objects.get(dedupe_key="k0").title == "Earlier"
    new = TimelineEntry.objects.get(dedupe_key="k1")
    assert (new.title, new.data, new.is_touchpoint, new.actor) == ("New", {"n": 1}, False, None)
    assert len(TimelineEntry.objects.get(kind="note").title) == 300
    timeline_record_many(entries)
    assert TimelineEntry.objects.filter(account=account).count() == 4  # only the unkeyed one again
    timeline_record_many([])
