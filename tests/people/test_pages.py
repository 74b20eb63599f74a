"""The people pages and the sessions page: what each role sees, errors in the form, denial."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.models import Account
from org.models import CsProfile, Role, UserSession
from playbooks.models import Task

pytestmark = pytest.mark.django_db
User = get_user_model()


def signed_in(user, **headers) -> Client:
    client = Client(**headers)
    client.force_login(user)
    return client


def test_list_shows_the_team_to_its_manager_only(org):
    page = signed_in(org.manager_a).get("/people/")
    assert page.status_code == 200
    assert {p.username for p in page.context["people"]} == {"csm_a1", "csm_a2"}
    assert b"csm_b1" not in page.content
    assert signed_in(org.csm_a1).get("/people/").status_code == 403
    assert Client().get("/people/").status_code == 302


def test_navigation_shows_people_to_managers_and_sessions_to_everyone(org):
    assert b'href="/people/"' in signed_in(org.manager_a).get("/my-day/").content
    csm_page = signed_in(org.csm_a1).get("/my-day/").content
    assert b'href="/people/"' not in csm_page and b'href="/security/sessions/"' in csm_page


def test_invite_form_errors_name_the_field(org):
    client = signed_in(org.manager_a)
    response = client.post("/people/invite/", {"email": "csm_a2@example.com", "role": Role.CSM, "team": org.team_a.pk})
    assert response.status_code == 400 and b'data-testid="error-email"' in response.content
    response = client.post("/people/invite/", {"email": "n@example.com", "role": Role.ADMIN, "team": org.team_a.pk})
    assert response.status_code == 400 and b'data-testid="error-role"' in response.content
    for team in (org.team_b.pk, 99999999999999999999, "x"):  # another team's, out of range, not a number
        response = client.post("/people/invite/", {"email": "n@example.com", "role": Role.CSM, "team": team})
        assert response.status_code == 400 and b'data-testid="error-team"' in response.content
    assert not User.objects.filter(email="n@example.com").exists()
    ok = client.post("/people/invite/", {"email": "n@example.com", "role": Role.CSM, "team": org.team_a.pk})
    assert ok.status_code == 302
    assert CsProfile.objects.get(user__email="n@example.com").team == org.team_a


def test_manager_b_gets_404_for_team_a_and_cannot_deactivate(org):
    client = signed_in(org.manager_b)
    assert client.get(f"/people/{org.csm_a1.pk}/").status_code == 404
    assert client.post(f"/people/{org.csm_a1.pk}/deactivate/").status_code == 404
    assert client.get("/people/99999999999999999999/").status_code == 404
    assert User.objects.get(pk=org.csm_a1.pk).is_active
    assert signed_in(org.csm_a2).post(f"/people/{org.csm_a1.pk}/deactivate/").status_code == 403


def test_role_form_refuses_a_higher_role_for_a_manager(org):
    client = signed_in(org.manager_a)
    response = client.post(f"/people/{org.csm_a1.pk}/", {"role": Role.ADMIN, "team": org.team_a.pk})
    assert response.status_code == 400 and b'data-testid="error-role"' in response.content
    assert CsProfile.objects.get(user=org.csm_a1).role == Role.CSM


def test_deactivate_from_the_page_then_reactivate(org):
    client = signed_in(org.manager_a)
    Token.objects.create(user=org.csm_a1)
    victim = signed_in(org.csm_a1)
    response = client.post(f"/people/{org.csm_a1.pk}/deactivate/", follow=True)
    assert response.status_code == 200 and "is deactivated" in response.content.decode()
    assert victim.get("/my-day/").status_code == 302
    assert Account.objects.filter(owner=org.csm_a1).count() == 0
    assert Task.objects.filter(assignee=org.manager_a, title__startswith="Reassign 2 accounts").count() == 1
    history = Account.objects.get(name="csm_a1 account 0").history.first()
    assert (history.owner_id, history.history_user) == (None, org.manager_a)
    assert history.history_change_reason.startswith("page ")  # the audit log's source
    client.post(f"/people/{org.csm_a1.pk}/deactivate/")  # twice: still one task
    assert Task.objects.filter(assignee=org.manager_a, title__startswith="Reassign").count() == 1
    assert client.post(f"/people/{org.csm_a1.pk}/reactivate/").status_code == 302
    assert User.objects.get(pk=org.csm_a1.pk).is_active


def test_old_api_token_stops_working_after_deactivation(org):
    token = Token.objects.create(user=org.csm_a1).key
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/accounts/").status_code == 200
    signed_in(org.admin).post(f"/people/{org.csm_a1.pk}/deactivate/")
    assert api.get("/api/v1/accounts/").status_code in (401, 403)


def test_self_deactivation_refused_with_a_message(org):
    client = signed_in(org.admin)
    response = client.post(f"/people/{org.admin.pk}/deactivate/", follow=True)
    assert "cannot deactivate yourself" in response.content.decode()
    assert User.objects.get(pk=org.admin.pk).is_active


def signed_in_by_form(user, password, **headers) -> Client:
    client = Client(**headers)
    response = client.post("/login/", {"username": user.username, "password": password})
    assert response.status_code == 302, response.content
    return client


def test_sessions_page_lists_and_ends_other_sessions(org, password):
    laptop = signed_in_by_form(org.csm_a1, password, HTTP_USER_AGENT="Laptop Firefox", REMOTE_ADDR="10.0.0.7")
    phone = signed_in_by_form(org.csm_a1, password, HTTP_USER_AGENT="Phone Safari", REMOTE_ADDR="10.0.0.8")
    page = laptop.get("/security/sessions/")
    assert page.status_code == 200
    rows = {row.user_agent: (row.ip, row.current) for row in page.context["sessions"]}
    assert rows == {"Laptop Firefox": ("10.0.0.7", True), "Phone Safari": ("10.0.0.8", False)}
    assert page.content.count(b'data-testid="session-current"') == 1
    phone_row = UserSession.objects.get(user=org.csm_a1, user_agent="Phone Safari")
    # Another person's session id: 404, nothing ended.
    assert signed_in(org.csm_a2).post(f"/security/sessions/{phone_row.pk}/end/").status_code == 404
    assert phone.get("/my-day/").status_code == 200
    assert laptop.post(f"/security/sessions/{phone_row.pk}/end/").status_code == 302
    assert phone.get("/my-day/").status_code == 302
    assert laptop.get("/my-day/").status_code == 200


def test_logout_forgets_the_session(org):
    client = signed_in(org.csm_a1)
    assert UserSession.objects.filter(user=org.csm_a1).count() == 1
    client.post("/logout/")
    assert UserSession.objects.filter(user=org.csm_a1).count() == 0


def test_end_all_other_sessions_keeps_this_one(org):
    here = signed_in(org.csm_a1)
    others = [signed_in(org.csm_a1) for _ in range(2)]
    assert here.post("/security/sessions/end-others/").status_code == 302
    assert [client.get("/my-day/").status_code for client in others] == [302, 302]
    assert here.get("/my-day/").status_code == 200
    assert UserSession.objects.filter(user=org.csm_a1).count() == 1


def test_password_change_ends_the_other_sessions_and_keeps_this_one(org, password):
    NEW = "brand-new-passphrase-7"
    here = signed_in(org.csm_a1)
    other = signed_in(org.csm_a1)
    response = here.post(
        "/password/",
        {"old_password": password, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert here.get("/my-day/").status_code == 200
    assert other.get("/my-day/").status_code == 302
    [row] = UserSession.objects.filter(user=org.csm_a1)
    assert row.session_key == here.session.session_key  # the kept row follows the cycled key


def test_admin_ends_all_sessions_of_another_person(org):
    victim = signed_in(org.csm_b1)
    assert signed_in(org.manager_b).post(f"/people/{org.csm_b1.pk}/end-sessions/").status_code == 403
    assert victim.get("/my-day/").status_code == 200
    assert signed_in(org.admin).post(f"/people/{org.csm_b1.pk}/end-sessions/").status_code == 302
    assert victim.get("/my-day/").status_code == 302
    assert User.objects.get(pk=org.csm_b1.pk).is_active


def test_last_seen_written_at_most_once_a_minute(org, django_assert_num_queries):
    client = signed_in(org.csm_a1)
    row = UserSession.objects.get(user=org.csm_a1)
    before = row.last_seen
    client.get("/security/sessions/")
    assert UserSession.objects.get(pk=row.pk).last_seen == before  # seen just now at login: no write
    session = client.session
    session["_hg_session_seen"] = 0
    session.save()
    client.get("/security/sessions/")
    assert UserSession.objects.get(pk=row.pk).last_seen > before


def test_two_factor_column_and_constant_queries(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import make_person

    TOTPDevice.objects.create(user=org.csm_a1, name="phone", confirmed=True)
    TOTPDevice.objects.create(user=org.csm_a2, name="unconfirmed", confirmed=False)
    client = signed_in(org.admin)
    page = client.get("/people/")
    rows = {person.username: person.two_factor for person in page.context["people"]}
    assert rows["csm_a1"] is True and rows["csm_a2"] is False
    with CaptureQueriesContext(connection) as few:
        client.get("/people/")
    for i in range(10):
        make_person(Role.CSM, username=f"more{i}", team=org.team_a)
    with CaptureQueriesContext(connection) as many:
        client.get("/people/")
    assert len(many) == len(few)
