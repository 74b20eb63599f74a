"""Safe actions on the account page: "mark as left" asks for a reason, and can be undone."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.confirm import REASON_MAX_LENGTH
from accounts.models import KeyPersonLevel, RiskFlag, Stakeholder, Tier, TimelineEntry
from accounts.signals import stakeholder_left_undone
from accounts.stakeholders import stakeholder_mark_left, stakeholder_undo_left

pytestmark = pytest.mark.django_db


def key_person(account: Any, name: str = "Li Na") -> Stakeholder:
    return Stakeholder.objects.create(
        account=account, name=name, title="CEO", tier=Tier.S, key_level=KeyPersonLevel.DECISION_MAKER
    )


def left_url(person: Stakeholder) -> str:
    return reverse("accounts:stakeholder_left", args=[person.account_id, person.pk])


def undo_url(person: Stakeholder) -> str:
    return reverse("accounts:stakeholder_undo_left", args=[person.account_id, person.pk])


def test_mark_as_left_asks_for_a_reason_first(client: Any, org: Any) -> None:
    person = key_person(org.accounts["csm_a1"][0])
    client.force_login(org.csm_a1)
    people = reverse("accounts:tab", args=[person.account_id, "people"])  # the account page's People tab
    page = client.get(people, headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="mark-left"' in page and f'hx-get="{left_url(person)}"' in page
    # The confirmation step: a partial for htmx, a page without it; nothing written yet.
    partial = client.get(left_url(person), headers={"HX-Request": "true"})
    assert partial.status_code == 200 and 'data-testid="left-confirm"' in partial.content.decode()
    assert "<html" not in partial.content.decode()
    full = client.get(left_url(person))
    assert full.status_code == 200 and "<html" in full.content.decode()
    assert Stakeholder.objects.get(pk=person.pk).is_active
    # Without a reason, or with one too long: refused, naming the field, nothing written.
    for reason in ("", "   ", "x" * (REASON_MAX_LENGTH + 1)):
        response = client.post(left_url(person), {"reason": reason})
        assert response.status_code == 400
        assert "reason" in response.context["form"].errors
    assert Stakeholder.objects.get(pk=person.pk).is_active
    assert not TimelineEntry.objects.filter(kind="stakeholder_left").exists()
    response = client.post(left_url(person), {"reason": "Retired in March; successor not named yet"})
    assert response.status_code == 302
    assert not Stakeholder.objects.get(pk=person.pk).is_active
    entry = TimelineEntry.objects.get(kind="stakeholder_left")
    assert entry.display_body == "Retired in March; successor not named yet"
    assert entry.data["reason"] == "Retired in March; successor not named yet"
    page = client.get(reverse("accounts:detail", args=[person.account_id])).content.decode()
    assert "Retired in March; successor not named yet" in page  # on the timeline entry
    assert 'data-testid="undo-left"' in client.get(people, headers={"HX-Request": "true"}).content.decode()


def test_the_confirmation_is_closed_to_who_cannot_see_the_account(client: Any, org: Any) -> None:
    person = key_person(org.accounts["csm_a1"][0])
    for outsider in (org.csm_b1, org.manager_b, org.csm_a2):
        client.force_login(outsider)
        assert client.get(left_url(person)).status_code == 404
        assert client.post(left_url(person), {"reason": "x"}).status_code == 404
    assert Stakeholder.objects.get(pk=person.pk).is_active


def test_undo_restores_the_person_resolves_the_flag_and_says_so(
    client: Any, org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    account = org.accounts["csm_a1"][0]
    person = key_person(account)
    heard: list[dict[str, Any]] = []
    stakeholder_left_undone.connect(lambda **kw: heard.append(kw), weak=False, dispatch_uid="test-undo")
    try:
        stakeholder_mark_left(actor=org.csm_a1, stakeholder=person, reason="Left for a rival")
        flag = RiskFlag.objects.get(account=account, kind="decision_chain_changed")
        assert flag.resolved_at is None
        # Only who could mark may undo: outside the account's scope it does not exist.
        client.force_login(org.csm_b1)
        assert client.post(undo_url(person)).status_code == 404
        assert not Stakeholder.objects.get(pk=person.pk).is_active
        client.force_login(org.manager_a)  # the team lead may mark, so may undo
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(undo_url(person), follow=True)
    finally:
        stakeholder_left_undone.disconnect(dispatch_uid="test-undo")
    assert response.status_code == 200 and "is active again" in response.content.decode()
    person.refresh_from_db()
    assert person.is_active and person.left_on is None
    flag.refresh_from_db()
    assert flag.resolved_at is not None and flag.resolved_by == org.manager_a
    undone = TimelineEntry.objects.get(account=account, kind="stakeholder_left_undone")
    assert undone.actor == org.manager_a and undone.data["stakeholder_id"] == person.pk
    assert "risk flag it raised is resolved" in undone.display_body
    assert "stay open" in undone.display_body  # the departure's tasks are kept, and noted
    with translation.override("zh-hans"):
        assert undone.display_title != undone.title and undone.get_kind_display() != "Departure undone"
    # The departure's own entry stays: history is not rewritten.
    assert TimelineEntry.objects.filter(account=account, kind="stakeholder_left").count() == 1
    assert [kw["stakeholder"].pk for kw in heard] == [person.pk]
    # Undoing again changes nothing.
    stakeholder_undo_left(actor=org.csm_a1, stakeholder=person)
    assert TimelineEntry.objects.filter(kind="stakeholder_left_undone").count() == 1


def test_a_real_departure_after_an_undo_is_recorded_and_flagged_again(org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    person = key_person(account)
    stakeholder_mark_left(actor=org.csm_a1, stakeholder=person, reason="Wrong person clicked")
    stakeholder_undo_left(actor=org.csm_a1, stakeholder=person)
    stakeholder_mark_left(actor=org.csm_a1, stakeholder=person, reason="Now really gone")
    assert TimelineEntry.objects.filter(account=account, kind="stakeholder_left").count() == 2
    flags = RiskFlag.objects.filter(account=account, kind="decision_chain_changed").order_by("pk")
    assert [flag.resolved_at is None for flag in flags] == [False, True]


def test_undo_of_a_person_who_was_not_key_notes_no_flag(org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    staff = Stakeholder.objects.create(account=account, name="Wang Wei", tier=Tier.B)
    stakeholder_mark_left(actor=org.csm_a1, stakeholder=staff, reason="Changed jobs")
    stakeholder_undo_left(actor=org.csm_a1, stakeholder=staff)
    undone = TimelineEntry.objects.get(kind="stakeholder_left_undone")
    assert undone.display_body == ""
    assert not RiskFlag.objects.exists()


def test_api_requires_the_reason_and_undoes(client: Any, org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    person = key_person(account)
    client.force_login(org.csm_a1)
    url = f"/api/v1/stakeholders/{person.pk}/"
    response = client.post(url + "left/", {"reason": ""}, content_type="application/json")
    assert response.status_code == 400 and "reason" in response.json()
    response = client.post(url + "left/", {"reason": "y" * 501}, content_type="application/json")
    assert response.status_code == 400 and "reason" in response.json()
    assert Stakeholder.objects.get(pk=person.pk).is_active
    response = client.post(url + "left/", {"reason": "Retired"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert TimelineEntry.objects.get(kind="stakeholder_left").body == "Retired"
    client.force_login(org.csm_b1)
    assert client.post(url + "undo-left/").status_code == 404
    client.force_login(org.csm_a1)
    response = client.post(url + "undo-left/")
    assert response.status_code == 200 and response.json()["is_active"] is True
    assert RiskFlag.objects.get(account=account).resolved_at is not None
