"""The demo's saved segments: shared by the demo manager with the team, working filters,
members as the book shows them to a team member."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory

from accounts.models import SavedSegment
from accounts.saved_segments import segment_counts, segments_for_user
from workspace.book import book_filter
from workspace.segments.views import segment_url

pytestmark = pytest.mark.django_db


def test_the_demo_team_shares_two_working_segments():
    call_command("seed_demo", "--accounts", "120")
    segments = list(SavedSegment.objects.order_by("name"))
    assert [s.name for s in segments] == ["Red accounts renewing in 120 days", "Tech-touch, no touch in 30 days"]
    assert all(s.shared and s.owner.username == "manager" and not s.disabled_reason for s in segments)
    csm = get_user_model().objects.filter(saved_segments=None, cs_profile__team__lead__username="manager").first()
    assert csm is not None and set(segments_for_user(user=csm)) == set(segments)
    counts = segment_counts(user=csm, segments=segments)
    for segment in segments:
        request = RequestFactory().get(segment_url(segment))
        request.user = csm
        request.htmx = False
        assert book_filter(request).qs.count() == counts[segment.pk]
    assert sum(segment_counts(user=segments[0].owner, segments=segments).values()) > 0
