"""The invitation email goes through the outbox to a real SMTP server; its link works
once, fails after use, after a re-send and after it expired (never a 500)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from core.models import OutboundEmail
from core.outbox import email_deliver
from org.invitations import invitation_path, invitation_tokens
from org.models import Invitation, Role, UserSession
from org.people import invitation_resend, person_invite
from tests.factories import make_person

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_PASSWORD = "a-long-new-passphrase-9"


def _deliver_all() -> None:
    for pk in OutboundEmail.objects.filter(status="queued").values_list("pk", flat=True):
        email_deliver(message_id=pk)


def _link_path(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(re.escape(settings.HOURGLASS_BASE_URL.rstrip("/")) + r"(/invite/\S+/)", text)
    assert match, text
    return match.group(1)


def _set_password(client, path: str):
    return client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


def test_invitation_delivered_over_smtp_and_link_works_once(org, client, smtp_server):
    person = person_invite(actor=org.admin, email="li.na@example.com", first_name="Na", last_name="Li", team=org.team_a)
    _deliver_all()
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "li.na@example.com"
    assert message["Subject"] == "You are invited to Hourglass"
    path = _link_path(message)

    page = client.get(path)
    assert page.status_code == 200 and b"Set your password" in page.content
    response = _set_password(client, path)
    assert response.status_code == 302 and response["Location"] == "/login/"
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert Invitation.objects.get(user=person).accepted_at is not None

    used = client.get(path)  # the second time: a clear page, not a form, not a 500
    assert used.status_code == 410 and b"no longer valid" in used.content
    assert _set_password(client, path).status_code == 410


def test_invitation_in_the_persons_language(org, smtp_server):
    person_invite(actor=org.admin, email="zh@example.com", team=org.team_a, language="zh-hans")
    _deliver_all()
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "你受邀加入 Hourglass"


def test_expired_link_shows_a_clear_page(org, client, settings):
    person = person_invite(actor=org.admin, email="late@example.com", team=org.team_a)
    days = settings.HOURGLASS_INVITE_DAYS
    old = invitation_tokens.make_token_at(person, invitation_tokens.now_timestamp() - days * 24 * 3600 - 60)
    fresh_enough = invitation_tokens.make_token_at(person, invitation_tokens.now_timestamp() - days * 24 * 3600 + 60)
    response = client.get(invitation_path(person, old))
    assert response.status_code == 410 and b"expired" in response.content
    assert _set_password(client, invitation_path(person, old)).status_code == 410
    assert client.get(invitation_path(person, fresh_enough)).status_code == 200


def test_resend_replaces_the_earlier_link(org, client):
    person = person_invite(actor=org.manager_a, email="again@example.com", team=org.team_a)
    first = invitation_path(person)
    invitation = invitation_resend(actor=org.manager_a, person=person)
    assert invitation.sends == 2
    assert OutboundEmail.objects.filter(dedupe_key__startswith=f"org.invitation:{invitation.pk}:").count() == 2
    assert client.get(first).status_code == 410
    assert client.get(invitation_path(User.objects.get(pk=person.pk))).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/invite/MQ/abc-def/",
        "/invite/!!!/1-2/",
        "/invite/OTk5OTk5OTk5OTk5OTk5OTk5OTk5/abc-def/",  # 99999999999999999999
        "/invite/MQ/zzzzzzzzzzzzzzzzzz-x/",
    ],
)
def test_bad_links_answer_a_page_never_500(db, client, path):
    response = client.get(path)
    assert response.status_code == 410


def test_setting_the_password_ends_every_session(org, client):
    person = person_invite(actor=org.admin, email="s@example.com", team=org.team_a)
    UserSession.objects.create(user=person, session_key="stale-session", last_seen=person.date_joined)
    path = invitation_path(person)
    assert _set_password(client, path).status_code == 302
    assert not UserSession.objects.filter(user=person).exists()


def test_weak_password_is_refused_naming_the_field(org, client):
    person = person_invite(actor=org.admin, email="weak@example.com", team=org.team_a)
    response = client.post(invitation_path(person), {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200 and b'data-testid="error-new_password2"' in response.content
    person.refresh_from_db()
    assert not person.has_usable_password()


def test_resend_refused_once_the_password_is_set(org):
    from django.core.exceptions import ValidationError

    person = make_person(Role.CSM, username="has_pw", team=org.team_a)
    with pytest.raises(ValidationError):
        invitation_resend(actor=org.admin, person=person)
