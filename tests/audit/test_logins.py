"""The login audit: successes, sign-outs, failures and lockouts, scoped like the log."""

from __future__ import annotations

from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _sign_in(username: str, password: str) -> None:
    Client().post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.0.0.9")


@pytest.fixture
def events(org: Any) -> None:
    _sign_in("csm_a1", PASSWORD)
    _sign_in("csm_a2", "wrong")
    for _ in range(5):
        _sign_in("csm_b1", "wrong")  # the fifth locks them out


def test_axes_logs_successes_failures_and_lockouts(events: None) -> None:
    assert AccessLog.objects.filter(username="csm_a1").count() == 1
    assert AccessFailureLog.objects.filter(username="csm_a2", locked_out=False).count() == 1
    assert AccessFailureLog.objects.filter(username="csm_b1", locked_out=True).exists()
    assert AccessAttempt.objects.get(username="csm_b1").failures_since_start >= 5


def test_admin_sees_every_event(client: Any, org: Any, events: None) -> None:
    client.force_login(org.admin)
    html = client.get(reverse("audit:logins")).content.decode()
    assert 'data-kind="success"' in html and 'data-kind="failure"' in html and 'data-kind="lockout"' in html
    assert 'data-testid="current-lockouts"' in html and "csm_b1" in html


def test_a_manager_sees_their_teams_people_only(client: Any, org: Any, events: None) -> None:
    client.force_login(org.manager_a)
    html = client.get(reverse("audit:logins")).content.decode()
    assert "csm_a1" in html and "csm_a2" in html
    assert "csm_b1" not in html and 'data-kind="lockout"' not in html
    client.force_login(org.manager_b)
    html = client.get(reverse("audit:logins")).content.decode()
    assert "csm_b1" in html and "csm_a1" not in html and "csm_a2" not in html


def test_filters_and_bad_input(client: Any, org: Any, events: None) -> None:
    client.force_login(org.admin)
    html = client.get(reverse("audit:logins"), {"kind": "failure"}).content.decode()
    assert 'data-kind="failure"' in html and 'data-kind="success"' not in html and 'data-kind="lockout"' not in html
    html = client.get(reverse("audit:logins"), {"person": org.csm_a1.pk}).content.decode()
    assert 'data-kind="success"' in html and "csm_a2" not in html.split("<tbody>")[-1]
    for params in ({"kind": "nope"}, {"before": "not a time"}, {"date_to": "99999-01-01"}, {"person": "1e99"}):
        response = client.get(reverse("audit:logins"), params)
        assert response.status_code == 200
        assert 'data-testid="filter-errors"' in response.content.decode()


def test_sign_out_is_logged(client: Any, org: Any) -> None:
    client.post(reverse("login"), {"username": "csm_a1", "password": PASSWORD})
    client.post(reverse("logout"))
    client.force_login(org.admin)
    html = client.get(reverse("audit:logins"), {"kind": "logout"}).content.decode()
    assert 'data-kind="logout"' in html
