"""Issue 21, defect 4: a ``next`` parameter only ever redirects within the site."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from core.http import safe_next

pytestmark = pytest.mark.django_db

UNSAFE = ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example", "http:///evil.example"]


@pytest.mark.parametrize("target", UNSAFE)
def test_notifications_post_refuses_a_next_elsewhere(client, org, target):
    client.force_login(org.csm_a1)
    response = client.post(reverse("notifications"), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications")


def test_notifications_post_honours_a_relative_next(client, org):
    client.force_login(org.csm_a1)
    response = client.post(reverse("notifications"), {"next": "/accounts/?q=x"})
    assert response.status_code == 302 and response["Location"] == "/accounts/?q=x"


@pytest.mark.parametrize(("target", "expected"), [("https://evil.example/", None), ("/tasks/?p=2", "/tasks/?p=2")])
def test_bulk_reassign_next_stays_on_site(client, org, target, expected):
    client.force_login(org.manager_a)
    response = client.post(reverse("playbooks:task_reassign"), {"next": target})
    assert response["Location"] == (expected or reverse("playbooks:task_list"))


def test_safe_next_accepts_same_host_absolute_url_only_over_the_same_scheme():
    factory = RequestFactory()
    plain = factory.post("/", {"next": "http://testserver/accounts/"})
    assert safe_next(plain, "/") == "http://testserver/accounts/"
    secure = factory.post("/", {"next": "http://testserver/accounts/"}, secure=True)
    assert safe_next(secure, "notifications") == reverse("notifications")
    assert safe_next(factory.get("/", {"next": "/x"}), "/") == "/x"
    assert safe_next(factory.post("/"), "notifications") == reverse("notifications")
