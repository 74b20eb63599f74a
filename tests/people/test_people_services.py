"""People management: scope, validation, deactivation's effects across apps, history."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Account, TimelineEntry
from core.models import OutboundEmail
from org.models import CsProfile, Invitation, Role, UserSession
from org.people import people_list, person_deactivate, person_invite, person_reactivate, person_update
from playbooks.models import Task
from tests.factories import make_person

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_scope_admin_everyone_manager_own_team_csms(org):
    assert set(people_list(user=org.manager_a)) == {org.csm_a1, org.csm_a2}
    assert set(people_list(user=org.manager_b)) == {org.csm_b1}
    assert org.manager_a in set(people_list(user=org.admin))
    assert list(people_list(user=org.csm_a1)) == []


def test_invite_creates_a_person_without_password_and_queues_the_email(org):
    person = person_invite(
        actor=org.manager_a, email=" New.CSM@Example.com ", first_name="Lin", last_name="Wang", team=org.team_a,
        language="zh-hans",
    )  # fmt: skip
    assert (person.username, person.email, person.is_active) == ("new.csm@example.com",) * 2 + (True,)
    assert not person.has_usable_password()
    profile = CsProfile.objects.get(user=person)
    assert (profile.role, profile.team, profile.language) == (Role.CSM, org.team_a, "zh-hans")
    invitation = Invitation.objects.get(user=person)
    assert invitation.invited_by == org.manager_a
    message = OutboundEmail.objects.get(dedupe_key=f"org.invitation:{invitation.pk}:1")
    assert message.to == ["new.csm@example.com"] and message.render_with == "org.invitation"


@pytest.mark.parametrize(
    "who, kwargs, field",
    [
        ("manager_a", {"email": "csm_a1@example.com"}, "email"),  # duplicate (case-insensitive below)
        ("manager_a", {"email": "CSM_A1@EXAMPLE.COM"}, "email"),
        ("manager_a", {"email": "not-an-email"}, "email"),
        ("manager_a", {"email": "x@example.com", "team": "team_b"}, "team"),  # another team
        ("manager_a", {"email": "x@example.com", "team": None}, "team"),
        ("manager_a", {"email": "x@example.com", "role": Role.ADMIN}, "role"),
        ("manager_a", {"email": "x@example.com", "role": Role.MANAGER}, "role"),
        ("admin", {"email": "x@example.com", "role": "boss"}, "role"),
    ],
)
def test_invite_errors_name_the_field(org, who, kwargs, field):
    kwargs = {"team": "team_a", **kwargs}
    kwargs["team"] = getattr(org, kwargs["team"]) if kwargs["team"] else None
    with pytest.raises(ValidationError) as raised:
        person_invite(actor=getattr(org, who), **kwargs)
    assert field in raised.value.message_dict
    assert not User.objects.filter(email="x@example.com").exists()


def test_csm_cannot_invite(org):
    with pytest.raises(PermissionDenied):
        person_invite(actor=org.csm_a1, email="x@example.com", team=org.team_a)


def test_manager_sets_team_only_among_their_teams_and_never_a_higher_role(org):
    with pytest.raises(ValidationError) as raised:
        person_update(actor=org.manager_a, person=org.csm_a1, role=Role.MANAGER, team=org.team_a)
    assert "role" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        person_update(actor=org.manager_a, person=org.csm_a1, role=Role.CSM, team=org.team_b)
    assert "team" in raised.value.message_dict
    with pytest.raises(Http404):  # another team's person is not revealed
        person_update(actor=org.manager_b, person=org.csm_a1, role=Role.CSM, team=org.team_b)


def test_admin_sets_role_and_team_with_history(org):
    person_update(actor=org.admin, person=org.csm_a1, role=Role.ADMIN, team=org.team_b)
    person = User.objects.get(pk=org.csm_a1.pk)
    assert person.is_staff and person.is_superuser
    profile = CsProfile.objects.get(user=person)
    assert (profile.role, profile.team) == (Role.ADMIN, org.team_b)
    latest = profile.history.first()
    assert (latest.role, latest.history_user) == (Role.ADMIN, org.admin)
    user_history = person.history.first()
    assert user_history.is_superuser and user_history.history_user == org.admin
    assert not hasattr(user_history, "password")  # the hash is never copied into history


def test_last_active_admin_cannot_be_demoted_or_deactivated(org):
    other_admin = make_person(Role.ADMIN, username="admin2")
    person_deactivate(actor=org.admin, person=other_admin)
    with pytest.raises(ValidationError) as raised:
        person_update(actor=org.admin, person=org.admin, role=Role.CSM, team=None)
    assert "role" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        person_deactivate(actor=other_admin, person=org.admin)  # (a stale copy of the other admin)
    assert "last active admin" in str(raised.value)
    with pytest.raises(ValidationError) as raised:
        person_deactivate(actor=org.admin, person=org.admin)
    assert "yourself" in str(raised.value)


def test_deactivation_unassigns_accounts_creates_one_task_revokes_token_ends_sessions(org, client):
    Token.objects.create(user=org.csm_a1)
    client.force_login(org.csm_a1)
    assert UserSession.objects.filter(user=org.csm_a1).count() == 1
    owned = set(Account.objects.filter(owner=org.csm_a1))
    assert len(owned) == 2

    result = person_deactivate(actor=org.admin, person=org.csm_a1)

    assert result.changed and not User.objects.get(pk=org.csm_a1.pk).is_active
    assert Account.objects.filter(owner=org.csm_a1).count() == 0
    assert set(Account.objects.filter(pk__in=[a.pk for a in owned], owner=None)) == owned
    for account in owned:  # history of the owner change, by the admin
        latest = account.history.first()
        assert (latest.owner_id, latest.history_user) == (None, org.admin)
        assert TimelineEntry.objects.filter(account=account, kind="owner_changed").exists()
    task = Task.objects.get(episode_key=f"person-deactivated:{org.csm_a1.pk}")
    assert task.assignee == org.manager_a and task.account in owned
    assert task.title.startswith("Reassign 2 accounts of ")
    assert task.due_date == timezone.localdate() and task.owner_role == "manager"
    assert not Token.objects.filter(user=org.csm_a1).exists()
    assert not UserSession.objects.filter(user=org.csm_a1).exists()
    assert client.get("/my-day/").status_code == 302  # that browser is signed out

    again = person_deactivate(actor=org.admin, person=org.csm_a1)
    assert not again.changed
    assert Task.objects.filter(episode_key=f"person-deactivated:{org.csm_a1.pk}").count() == 1


def test_deactivate_reactivate_deactivate_keeps_one_open_task(org):
    person_deactivate(actor=org.manager_a, person=org.csm_a1)
    person_reactivate(actor=org.manager_a, person=org.csm_a1)
    assert User.objects.get(pk=org.csm_a1.pk).is_active
    Account.objects.filter(name="csm_a2 account 0").update(owner=org.csm_a1)
    person_deactivate(actor=org.manager_a, person=org.csm_a1)
    tasks = Task.objects.filter(episode_key=f"person-deactivated:{org.csm_a1.pk}")
    assert tasks.count() == 1 and tasks.get().title.startswith("Reassign 1 account of ")


def test_no_accounts_no_task_and_manager_b_cannot_deactivate_team_a(org):
    with pytest.raises(Http404):
        person_deactivate(actor=org.manager_b, person=org.csm_a1)
    assert User.objects.get(pk=org.csm_a1.pk).is_active
    Account.objects.filter(owner=org.csm_b1).update(owner=None)
    person_deactivate(actor=org.manager_b, person=org.csm_b1)
    assert not Task.objects.filter(episode_key=f"person-deactivated:{org.csm_b1.pk}").exists()


def test_a_failing_receiver_rolls_the_deactivation_back(org, monkeypatch):
    import playbooks.departures

    def boom(**kwargs):
        raise RuntimeError("playbooks down")

    monkeypatch.setattr(playbooks.departures, "departure_task_ensure", boom)
    with pytest.raises(RuntimeError):
        person_deactivate(actor=org.admin, person=org.csm_a1)
    assert User.objects.get(pk=org.csm_a1.pk).is_active
    assert Account.objects.filter(owner=org.csm_a1).count() == 2


def test_a_sign_in_writes_no_user_history_row(org, client, password):
    before = org.csm_a1.history.count()
    assert client.post("/login/", {"username": "csm_a1", "password": password}).status_code == 302
    assert User.objects.get(pk=org.csm_a1.pk).last_login is not None
    assert org.csm_a1.history.count() == before


def test_unticking_active_in_django_admin_deactivates_like_the_people_page(org, rf):
    from django.contrib.admin.sites import site
    from django.contrib.messages.storage.fallback import FallbackStorage

    model_admin = site._registry[User]
    request = rf.post("/admin/")
    request.user = org.admin
    request.session = {}
    request._messages = FallbackStorage(request)

    class Form:
        changed_data = ["is_active"]

    person = User.objects.get(pk=org.csm_a1.pk)
    person.is_active = False
    model_admin.save_model(request, person, Form(), change=True)
    assert not User.objects.get(pk=org.csm_a1.pk).is_active
    assert Account.objects.filter(owner=org.csm_a1).count() == 0
    assert Task.objects.filter(episode_key=f"person-deactivated:{org.csm_a1.pk}").count() == 1

    me = User.objects.get(pk=org.admin.pk)
    me.is_active = False
    model_admin.save_model(request, me, Form(), change=True)  # oneself: refused, stays active
    assert User.objects.get(pk=org.admin.pk).is_active


def test_released_accounts_wait_in_the_team_queue_that_its_manager_sees_and_clears(org):
    """The manager given the reassignment task can open the accounts and give them out."""
    from accounts.selectors import account_scope
    from accounts.services import account_update

    owned = set(Account.objects.filter(owner=org.csm_a1))
    person_deactivate(actor=org.admin, person=org.csm_a1)

    assert owned <= set(account_scope(user=org.manager_a))
    assert not owned & set(account_scope(user=org.manager_b))
    assert not owned & set(account_scope(user=org.csm_a2))
    task = Task.objects.get(episode_key=f"person-deactivated:{org.csm_a1.pk}")
    assert task.account in set(account_scope(user=org.manager_a))

    account = owned.pop()
    account_update(actor=org.manager_a, account=account, owner=org.csm_a2)
    account.refresh_from_db()
    assert (account.owner, account.queue_team) == (org.csm_a2, None)
    assert account in set(account_scope(user=org.csm_a2))
