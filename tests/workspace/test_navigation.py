"""The main navigation marks exactly one area as the current one."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from workspace.navigation import navigation_for


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "active"),
    [("/capacity/time/", "/capacity/time/"), ("/capacity/", "/capacity/"), ("/my-day/", "/my-day/")],
)
def test_the_most_specific_area_is_the_only_active_one(org, path: str, active: str) -> None:
    request = RequestFactory().get(path)
    request.user = org.manager_a
    items = navigation_for(request)
    assert [item["url"] for item in items if item["active"]] == [active]


@pytest.mark.django_db
def test_a_page_outside_every_area_marks_none(org) -> None:
    request = RequestFactory().get("/password/")
    request.user = org.csm_a1
    assert not any(item["active"] for item in navigation_for(request))
