"""Saved segments in ``accounts``: who sees which, members counted in the reader's
scope, the list segment's hand-picked accounts with their undo, and who may change one."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from accounts.models import SegmentKind, SegmentMember
from accounts.saved_segments import (
    accounts_in_segments,
    get_segment_for_user,
    segment_add_accounts,
    segment_add_accounts_undo,
    segment_counts,
    segment_create,
    segment_delete,
    segment_members_apply,
    segment_remove_accounts,
    segment_update,
    segments_for_user,
)
from accounts.signals import segment_entered, segment_left


def _names(user):
    return sorted(segments_for_user(user=user).values_list("name", flat=True))


@pytest.mark.django_db
def test_visibility_follows_the_roles(org):
    segment_create(actor=org.csm_a1, name="a1 private")
    segment_create(actor=org.csm_a1, name="a1 shared", shared=True)
    segment_create(actor=org.manager_a, name="manager shared", shared=True)
    segment_create(actor=org.csm_b1, name="b1 shared", shared=True)

    assert _names(org.csm_a1) == ["a1 private", "a1 shared", "manager shared"]
    assert _names(org.csm_a2) == ["a1 shared", "manager shared"]
    assert _names(org.manager_a) == ["a1 shared", "manager shared"]
    assert _names(org.manager_b) == ["b1 shared"]
    assert _names(org.csm_b1) == ["b1 shared"]
    assert _names(org.admin) == ["a1 private", "a1 shared", "b1 shared", "manager shared"]


@pytest.mark.django_db
def test_members_are_counted_within_the_readers_scope(org):
    segment = segment_create(actor=org.manager_a, name="All of team A", shared=True)
    accounts = org.accounts["csm_a1"] + org.accounts["csm_a2"] + [org.unassigned]
    segment_members_apply(segment=segment, entered=[a.pk for a in accounts], left=[])

    assert segment_counts(user=org.admin, segments=[segment]) == {segment.pk: 5}
    assert segment_counts(user=org.manager_a, segments=[segment]) == {segment.pk: 4}
    assert segment_counts(user=org.csm_a1, segments=[segment]) == {segment.pk: 2}
    assert set(accounts_in_segments(user=org.csm_a1, segment_ids=[segment.pk])) == set(org.accounts["csm_a1"])
    # A segment the reader cannot see gives them nothing, even by its id.
    assert not accounts_in_segments(user=org.csm_b1, segment_ids=[segment.pk]).exists()


@pytest.mark.django_db
def test_counts_take_one_query_for_any_number_of_segments(org):
    segments = [segment_create(actor=org.csm_a1, name=f"s{i}") for i in range(5)]
    for segment in segments:
        segment_members_apply(segment=segment, entered=[a.pk for a in org.accounts["csm_a1"]], left=[])
    with CaptureQueriesContext(connection) as ctx:
        counts = segment_counts(user=org.csm_a1, segments=segments)
    assert set(counts.values()) == {2}
    assert len(ctx.captured_queries) == 1


@pytest.mark.django_db
def test_only_the_owner_or_an_admin_changes_a_segment(org):
    segment = segment_create(actor=org.csm_a1, name="Mine", shared=True)
    for other in (org.csm_a2, org.manager_a):
        with pytest.raises(PermissionDenied):
            segment_update(actor=other, segment=segment, name="Taken")
        with pytest.raises(PermissionDenied):
            segment_delete(actor=other, segment=segment)
    segment_update(actor=org.admin, segment=segment, name="Renamed by admin", shared=False)
    segment.refresh_from_db()
    assert (segment.name, segment.shared) == ("Renamed by admin", False)
    with pytest.raises(Http404):
        get_segment_for_user(org.csm_a2, segment.pk)  # private now
    assert segment.history.count() == 2  # created, renamed: audited


@pytest.mark.django_db
def test_bad_input_is_named(org):
    with pytest.raises(ValidationError) as error:
        segment_create(actor=org.csm_a1, name="  ")
    assert "name" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        segment_create(actor=org.csm_a1, name="x" * 121)
    assert "name" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        segment_create(actor=org.csm_a1, name="Bad", filters={"health": ["x" * 201]})
    assert "filters" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        segment_create(actor=org.csm_a1, name="Bad", kind="other")
    assert "kind" in error.value.message_dict
    for pk in ("abc", 2**70, -1):
        with pytest.raises(Http404):
            get_segment_for_user(org.csm_a1, pk)


@pytest.mark.django_db
def test_a_list_gets_accounts_by_hand_all_or_nothing_with_undo(org, django_capture_on_commit_callbacks):
    entered, left = [], []
    segment_entered.connect(lambda **kw: entered.append(kw["account_ids"]), weak=False, dispatch_uid="t-in")
    segment_left.connect(lambda **kw: left.append(kw["account_ids"]), weak=False, dispatch_uid="t-out")
    try:
        segment = segment_create(actor=org.csm_a1, name="Pilot", kind=SegmentKind.STATIC)
        mine = [a.pk for a in org.accounts["csm_a1"]]
        # Someone else's account refuses the whole action, by number only.
        with pytest.raises(ValidationError) as error:
            segment_add_accounts(actor=org.csm_a1, segment=segment, account_ids=[*mine, org.accounts["csm_b1"][0].pk])
        assert "account" in error.value.message_dict
        assert not SegmentMember.objects.exists()

        with django_capture_on_commit_callbacks(execute=True):
            outcome = segment_add_accounts(actor=org.csm_a1, segment=segment, account_ids=mine)
        assert outcome.count == 2 and outcome.undo
        assert entered == [mine]
        # Added twice: nothing doubled.
        assert segment_add_accounts(actor=org.csm_a1, segment=segment, account_ids=mine).count == 0
        assert SegmentMember.objects.filter(segment=segment).count() == 2

        with django_capture_on_commit_callbacks(execute=True):
            assert segment_add_accounts_undo(actor=org.csm_a1, token=outcome.undo).count == 2
        assert left == [mine]
        assert not SegmentMember.objects.exists()
        with pytest.raises(ValidationError):
            segment_add_accounts_undo(actor=org.csm_a2, token=outcome.undo)  # another person's token

        segment_add_accounts(actor=org.csm_a1, segment=segment, account_ids=mine)
        assert segment_remove_accounts(actor=org.csm_a1, segment=segment, account_ids=mine[:1]) == 1
        assert list(SegmentMember.objects.values_list("account_id", flat=True)) == mine[1:]
    finally:
        segment_entered.disconnect(dispatch_uid="t-in")
        segment_left.disconnect(dispatch_uid="t-out")


@pytest.mark.django_db
def test_a_filter_segment_takes_no_accounts_by_hand(org):
    segment = segment_create(actor=org.csm_a1, name="Red", filters={"health": ["red"]})
    with pytest.raises(ValidationError) as error:
        segment_add_accounts(actor=org.csm_a1, segment=segment, account_ids=[org.accounts["csm_a1"][0].pk])
    assert "segment" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        segment_add_accounts(actor=org.csm_a2, segment=segment, account_ids=[org.accounts["csm_a2"][0].pk])
