"""Saved segments on the book (``workspace.segments``): saved from the book's filter,
refreshed set-based, disabled (not crashing) when the filter stops validating, the
sidebar with counts, the bulk "add to a list", and the new book filters."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import SavedSegment, SegmentKind, SegmentMember, TimelineEntry
from accounts.saved_segments import segment_create, segment_members_apply
from accounts.signals import segment_entered, segment_left
from health.models import HealthScore
from playbooks.models import Task
from renewals.services import contract_create
from workspace.segments.filters import SegmentFilterInvalid, segment_filter_check
from workspace.segments.refresh import segment_refresh, segments_refresh_all
from workspace.segments.services import segment_save

HTMX = {"HTTP_HX_REQUEST": "true"}


def _score(account, colour):
    HealthScore.objects.create(
        account=account, day=timezone.localdate(), score=30 if colour == "red" else 80, colour=colour
    )


def _members(segment):
    return set(SegmentMember.objects.filter(segment=segment).values_list("account_id", flat=True))


@pytest.mark.django_db
def test_saving_the_books_filter_from_the_page(client, org):
    red, green = org.accounts["csm_a1"]
    _score(red, "red")
    _score(green, "green")
    client.force_login(org.csm_a1)

    response = client.post(
        reverse("accounts:segment_create"), {"name": "My red ones", "shared": "on", "health": ["red"]}, **HTMX
    )

    segment = SavedSegment.objects.get()
    assert response.status_code == 200 and response["HX-Redirect"].endswith(f"health=red&view={segment.pk}")
    assert (segment.owner, segment.shared, segment.filters) == (org.csm_a1, True, {"health": ["red"]})
    assert _members(segment) == {red.pk}
    html = client.get(response["HX-Redirect"]).content.decode()
    assert 'data-testid="segment-bar"' in html and "My red ones" in html
    assert html.count('data-testid="account-row"') == 1
    assert '<span class="badge text-bg-light" data-testid="segment-count" title="Accounts you can see">1</span>' in html


@pytest.mark.django_db
def test_a_bad_filter_or_name_is_refused_and_nothing_saved(client, org):
    client.force_login(org.csm_a1)
    html = client.post(reverse("accounts:segment_create"), {"name": "x", "stage": ["nope"]}, **HTMX).content.decode()
    assert 'data-testid="bulk-error"' in html and "stage" in html
    html = client.post(reverse("accounts:segment_create"), {"name": ""}, **HTMX).content.decode()
    assert "Segment name" in html
    assert not SavedSegment.objects.exists()
    with pytest.raises(SegmentFilterInvalid) as error:
        segment_filter_check({"renewal_within": ["-5"], "bogus": ["1"]}, user=org.csm_a1)
    assert set(error.value.errors) == {"bogus"}
    with pytest.raises(SegmentFilterInvalid) as error:
        segment_filter_check({"renewal_within": ["99999"]}, user=org.csm_a1)
    assert set(error.value.errors) == {"renewal_within"}


@pytest.mark.django_db
def test_refresh_is_a_diff_with_signals_once_and_idempotent(org, django_capture_on_commit_callbacks):
    a, b = org.accounts["csm_a1"]
    c = org.accounts["csm_b1"][0]
    for account in (a, b):
        _score(account, "red")
    segment = segment_save(actor=org.admin, name="Red", filters={"health": ["red"]})
    assert _members(segment) == {a.pk, b.pk}

    events = []
    segment_entered.connect(lambda **kw: events.append(("in", kw["account_ids"])), weak=False, dispatch_uid="w-in")
    segment_left.connect(lambda **kw: events.append(("out", kw["account_ids"])), weak=False, dispatch_uid="w-out")
    try:
        HealthScore.objects.filter(account=b).update(colour="green")
        _score(c, "red")
        with CaptureQueriesContext(connection) as small, django_capture_on_commit_callbacks(execute=True):
            segment_refresh(segment=segment)
        assert _members(segment) == {a.pk, c.pk}
        assert events == [("in", [c.pk]), ("out", [b.pk])]
        with django_capture_on_commit_callbacks(execute=True):
            segment_refresh(segment=segment)  # nothing changed: nothing sent
        assert len(events) == 2
        # Constant queries per segment, whatever the number of accounts that move.
        for account in org.accounts["csm_a2"]:
            _score(account, "red")
        HealthScore.objects.filter(account=c).update(colour="green")
        with CaptureQueriesContext(connection) as large:
            segment_refresh(segment=segment)
        assert len(large.captured_queries) == len(small.captured_queries)
    finally:
        segment_entered.disconnect(dispatch_uid="w-in")
        segment_left.disconnect(dispatch_uid="w-out")


@pytest.mark.django_db
def test_a_filter_that_stops_validating_disables_the_segment_and_the_sweep_goes_on(client, org):
    _score(org.accounts["csm_a1"][0], "red")
    broken = segment_save(actor=org.csm_a1, name="Old stage", filters={"stage": ["onboarding"]})
    working = segment_save(actor=org.csm_a1, name="Red", filters={"health": ["red"]})
    SavedSegment.objects.filter(pk=broken.pk).update(filters={"stage": ["removed_stage"], "gone": ["1"]})
    SegmentMember.objects.filter(segment=working).delete()

    totals = segments_refresh_all()

    assert totals["disabled"] == 1 and totals["failed"] == 0
    broken.refresh_from_db()
    assert broken.disabled_reason == "gone"
    assert _members(working) == {org.accounts["csm_a1"][0].pk}
    client.force_login(org.csm_a1)
    html = client.get(reverse("accounts:list"), {"view": broken.pk, "stage": "removed_stage"}).content.decode()
    assert 'data-testid="segment-disabled"' in html
    # Given a working filter again, it is enabled.
    client.post(reverse("accounts:segment_change", args=[broken.pk]), {"action": "filter", "health": ["red"]}, **HTMX)
    broken.refresh_from_db()
    assert broken.disabled_reason == "" and broken.filters == {"health": ["red"]}


@pytest.mark.django_db
def test_rename_share_and_delete_from_the_bar_owner_only(client, org):
    segment = segment_create(actor=org.csm_a1, name="Mine", shared=True)
    url = reverse("accounts:segment_change", args=[segment.pk])
    client.force_login(org.csm_a2)
    assert client.post(url, {"action": "rename", "name": "Taken"}).status_code == 403
    client.force_login(org.csm_b1)
    assert client.post(url, {"action": "delete"}).status_code == 404
    client.force_login(org.csm_a1)
    assert "Choose what to change." in client.post(url, {}, **HTMX).content.decode()
    assert client.post(url, {"action": "rename", "name": "Renamed"}, **HTMX).status_code == 200
    client.post(url, {"action": "unshare"}, **HTMX)
    segment.refresh_from_db()
    assert (segment.name, segment.shared) == ("Renamed", False)
    assert client.post(url, {"action": "delete"}, **HTMX)["HX-Redirect"] == reverse("accounts:list")
    assert not SavedSegment.objects.exists()


@pytest.mark.django_db
def test_bulk_add_to_a_list_and_undo(client, org):
    client.force_login(org.csm_a1)
    ids = [a.pk for a in org.accounts["csm_a1"]]
    response = client.post(reverse("accounts:bulk_segment"), {"account": ids, "new_segment": "Pilot"}, **HTMX)
    html = response.content.decode()
    segment = SavedSegment.objects.get(name="Pilot")
    assert segment.kind == SegmentKind.STATIC and _members(segment) == set(ids)
    assert "2 accounts added to “Pilot”." in html and response["HX-Trigger"] == "hg-list-changed"
    token = html.split('name="token" value="')[1].split('"')[0]
    html = client.post(reverse("accounts:bulk_undo"), {"token": token, "what": "segment"}, **HTMX).content.decode()
    assert "Undone: 2 accounts taken out of the list." in html and not _members(segment)

    # Someone else's account: nothing added, and a new list is not left behind.
    other = org.accounts["csm_b1"][0].pk
    html = client.post(
        reverse("accounts:bulk_segment"), {"account": [ids[0], other], "new_segment": "Leak"}, **HTMX
    ).content.decode()
    assert f"Account #{other} is not one you can change" in html
    assert not SavedSegment.objects.filter(name="Leak").exists()
    html = client.post(reverse("accounts:bulk_segment"), {"account": ids}, **HTMX).content.decode()
    assert "Choose a list, or name a new one." in html
    page = client.get(reverse("accounts:list"), {"in_segment": segment.pk}).content.decode()
    assert page.count('data-testid="account-row"') == 0


@pytest.mark.django_db
def test_the_new_book_filters(client, org):
    a, b = org.accounts["csm_a1"]
    today = timezone.localdate()
    _score(a, "red")
    Task.objects.create(account=a, assignee=org.csm_a1, title="late", due_date=today - timedelta(days=2))
    Task.objects.create(account=b, assignee=org.csm_a1, title="soon", due_date=today + timedelta(days=2))
    TimelineEntry.objects.create(account=b, kind="call", is_touchpoint=True, title="call")
    TimelineEntry.objects.create(
        account=a, kind="call", is_touchpoint=True, title="old", occurred_at=timezone.now() - timedelta(days=60)
    )
    contract_create(
        actor=org.csm_a1, account=b, start_date=today - timedelta(days=300),
        end_date=today + timedelta(days=65), arr=Decimal("50000"),
    )  # fmt: skip
    client.force_login(org.csm_a1)

    def rows(**params):
        html = client.get(reverse("accounts:list"), params, **HTMX).content.decode()
        return {name for name in (a.name, b.name) if name in html}

    assert rows(health="red") == {a.name}
    assert rows(open_tasks="overdue") == {a.name}
    assert rows(open_tasks="any") == {a.name, b.name}
    assert rows(open_tasks="none") == set()
    assert rows(no_touch_days="30") == {a.name}
    assert rows(renewal_within="120") == {b.name}
    assert rows(renewal_within="30") == set()
    html = client.get(reverse("accounts:list"), {"open_tasks": "bogus", "no_touch_days": "0"}).content.decode()
    assert "<strong>open_tasks</strong>" in html and "<strong>no_touch_days</strong>" in html


@pytest.mark.django_db
def test_the_book_page_costs_the_same_with_one_segment_or_ten(client, org):
    client.force_login(org.csm_a1)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("accounts:list")).status_code == 200
        return len(ctx.captured_queries)

    segment_save(actor=org.csm_a1, name="one", filters={})
    one = count()
    for i in range(9):
        segment_save(actor=org.csm_a1, name=f"more {i}", filters={"health": ["red"]}, shared=bool(i % 2))
    assert count() == one


@pytest.mark.django_db
def test_the_bulk_bar_takes_accounts_out_of_an_open_list_owner_only(client, org):
    ids = [a.pk for a in org.accounts["csm_a1"]]
    pilot = segment_create(actor=org.csm_a1, name="Pilot", kind=SegmentKind.STATIC, shared=True)
    segment_members_apply(segment=pilot, entered=ids, left=[])
    url = reverse("accounts:bulk_segment_remove")
    client.force_login(org.csm_a1)
    page = client.get(reverse("accounts:list"), {"in_segment": pilot.pk, "view": pilot.pk}).content.decode()
    assert 'data-testid="bulk-remove-segment"' in page
    assert "Choose a list" in client.post(url, {"account": ids}, **HTMX).content.decode()
    html = client.post(url, {"account": ids[:1], "remove_from": pilot.pk}, **HTMX).content.decode()
    assert "1 account taken out of “Pilot”." in html and _members(pilot) == set(ids[1:])
    client.force_login(org.csm_a2)  # sees the shared list, may not change it
    page = client.get(reverse("accounts:list"), {"in_segment": pilot.pk, "view": pilot.pk}).content.decode()
    assert 'data-testid="bulk-remove-segment"' not in page
    assert client.post(url, {"account": ids[1:], "remove_from": pilot.pk}, **HTMX).status_code == 403
    assert _members(pilot) == set(ids[1:])
