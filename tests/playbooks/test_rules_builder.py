"""The builder pages and the writable playbooks API: managers and admins edit, CSMs read;
bad input is a field-named error (form or 400), never a 500; every change is audited."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from playbooks.models import Playbook, PlaybookStep, TriggerKind

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "name": "Rescue plan",
        "description": "",
        "trigger": "schedule",
        "schedule_weekday": "",
        "arr_min": "",
        "arr_max": "",
        "conditions-TOTAL_FORMS": "2",
        "conditions-INITIAL_FORMS": "0",
        "conditions-0-field": "health_colour",
        "conditions-0-op": "eq",
        "conditions-0-value": "red",
        "conditions-1-field": "days_to_renewal",
        "conditions-1-op": "lte",
        "conditions-1-value": "120",
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "0",
    }
    for i, title in enumerate(["Call the sponsor", "Agree a plan", "Review"]):
        data |= {
            f"steps-{i}-title": title,
            f"steps-{i}-due_offset_days": str(i * 7),
            f"steps-{i}-owner_role": "csm",
            f"steps-{i}-priority": "3",
            f"steps-{i}-task_type": "risk",
        }
    return data | overrides


def test_a_manager_creates_a_rule_off_with_its_steps_and_conditions(client, org):
    client.force_login(org.manager_a)
    response = client.post("/playbooks/new/", form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    playbook = Playbook.objects.get(name="Rescue plan")
    assert playbook.active is False and playbook.version == 1
    assert playbook.conditions == [
        {"field": "health_colour", "op": "eq", "value": "red"},
        {"field": "days_to_renewal", "op": "lte", "value": "120"},
    ]
    assert list(playbook.steps.values_list("title", "due_offset_days", "priority")) == [
        ("Call the sponsor", 0, 3),
        ("Agree a plan", 7, 3),
        ("Review", 14, 3),
    ]
    page = client.get(f"/playbooks/{playbook.pk}/").content.decode()
    assert "Health colour = Red" in page and "Days to renewal ≤ 120" in page
    assert playbook.history.first().history_user == org.manager_a

    response = client.post(f"/playbooks/{playbook.pk}/active/", {"active": "1"})
    assert response.status_code == 302
    playbook.refresh_from_db()
    assert playbook.active is True


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"name": ""}, "name", "required"),
        ({"conditions-1-value": "soon"}, "condition", "Enter a number."),
        ({"conditions-0-value": "purple"}, "condition", "is not a Health colour"),
        ({"conditions-0-op": "lt"}, "condition", "Choose an operator"),
        ({"steps-0-due_offset_days": "9999"}, "steps-0-due_offset_days", "less than or equal to 365"),
        ({"steps-0-owner_role": "named_user"}, "steps-0-named_user", "Choose the person"),
        ({"schedule_weekday": "2", "trigger": "activity_drop"}, "schedule_weekday", "scheduled rules only"),
        ({"arr_min": "5000", "arr_max": "100"}, "arr_max", "must be more than"),
    ],
)
def test_bad_input_is_shown_at_its_field(client, org, overrides, field, words):
    client.force_login(org.manager_a)
    response = client.post("/playbooks/new/", form_data(**overrides))
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Playbook.objects.filter(name="Rescue plan").exists()


def test_no_steps_is_refused(client, org):
    client.force_login(org.admin)
    data = form_data()
    for i in range(3):  # the blank rows a browser sends: their initial values
        data |= {
            f"steps-{i}-title": "",
            f"steps-{i}-due_offset_days": "7",
            f"steps-{i}-owner_role": "csm",
            f"steps-{i}-priority": "2",
            f"steps-{i}-task_type": "lifecycle",
        }
    response = client.post("/playbooks/new/", data)
    assert response.status_code == 400
    assert "Add at least one step." in response.content.decode()


def test_csms_read_but_cannot_write(client, org):
    playbook = Playbook.objects.first()
    client.force_login(org.csm_a1)
    assert client.get("/playbooks/").status_code == 200
    assert client.get(f"/playbooks/{playbook.pk}/").status_code == 200
    assert client.get(f"/playbooks/{playbook.pk}/preview/").status_code == 200
    for url in ("/playbooks/new/", f"/playbooks/{playbook.pk}/edit/"):
        assert client.get(url).status_code == 403
        assert client.post(url, form_data()).status_code == 403
    assert client.post(f"/playbooks/{playbook.pk}/copy/").status_code == 403
    assert client.post(f"/playbooks/{playbook.pk}/active/", {"active": "0"}).status_code == 403
    playbook.refresh_from_db()
    assert playbook.active is True
    assert "Managers and admins edit playbooks" in client.get("/playbooks/").content.decode()


def test_edit_copy_and_disable(client, org):
    client.force_login(org.manager_a)
    client.post("/playbooks/new/", form_data())
    playbook = Playbook.objects.get(name="Rescue plan")
    step_ids = list(playbook.steps.values_list("pk", flat=True))
    data = form_data(**{"steps-INITIAL_FORMS": "3", "name": "Rescue plan v2"})
    for i, pk in enumerate(step_ids):
        data[f"steps-{i}-id"] = str(pk)
    data["steps-2-DELETE"] = "on"
    response = client.post(f"/playbooks/{playbook.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    playbook.refresh_from_db()
    assert playbook.name == "Rescue plan v2" and playbook.version == 2
    assert list(playbook.steps.values_list("pk", flat=True)) == step_ids[:2]

    client.post(f"/playbooks/{playbook.pk}/copy/")
    copy = Playbook.objects.get(name="Copy of Rescue plan v2")
    assert copy.active is False and copy.steps.count() == 2 and copy.conditions == playbook.conditions

    client.post(f"/playbooks/{playbook.pk}/active/", {"active": "1"})
    client.post(f"/playbooks/{playbook.pk}/active/", {"active": "0"})
    playbook.refresh_from_db()
    assert playbook.active is False
    assert playbook.history.count() >= 4


def test_the_list_is_the_same_queries_for_1_or_20_playbooks(client, org):
    client.force_login(org.csm_a1)
    Playbook.objects.all().delete()

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/playbooks/").status_code == 200
        return len(captured)

    Playbook.objects.create(
        name="one", trigger=TriggerKind.SCHEDULE, conditions=[{"field": "arr", "op": "gte", "value": "1"}]
    )
    one = queries()
    for i in range(19):
        p = Playbook.objects.create(name=f"p{i}", trigger=TriggerKind.SCHEDULE)
        PlaybookStep.objects.create(playbook=p, title="s")
    assert queries() == one


API_BODY = {
    "name": "Rescue plan",
    "trigger": "schedule",
    "conditions": [
        {"field": "health_colour", "op": "eq", "value": "red"},
        {"field": "days_to_renewal", "op": "lte", "value": 120},
    ],
    "steps": [{"title": "Call the sponsor", "due_offset_days": 0}, {"title": "Agree a plan", "owner_role": "manager"}],
}


def test_the_api_creates_and_edits_for_managers(client, org):
    client.force_login(org.manager_b)
    response = client.post("/api/v1/playbooks/", API_BODY, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["active"] is False and body["version"] == 1 and len(body["steps"]) == 2
    step_id = body["steps"][0]["id"]
    edited = {**API_BODY, "steps": [{"id": step_id, "title": "Call the sponsor today"}]}
    response = client.put(f"/api/v1/playbooks/{body['id']}/", edited, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert [s["id"] for s in response.json()["steps"]] == [step_id]
    preview = client.get(f"/api/v1/playbooks/{body['id']}/preview/")
    assert preview.status_code == 200 and preview.json()["count"] == 0
    dry = client.get(f"/api/v1/playbooks/{body['id']}/dry-run/")
    assert dry.status_code == 200 and dry.json()["supported"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**API_BODY, "conditions": [{"field": "arr", "op": "gte", "value": "lots"}]}, "conditions"),
        ({**API_BODY, "conditions": [{"field": "nope", "op": "eq", "value": "1"}]}, "conditions"),
        ({**API_BODY, "steps": []}, "steps"),
        ({**API_BODY, "steps": [{"title": "x", "owner_role": "named_user"}]}, "steps"),
        ({**API_BODY, "steps": [{"title": "x", "due_offset_days": 10**20}]}, "steps"),
        ({**API_BODY, "trigger": "manual"}, "trigger"),
        ({**API_BODY, "schedule_weekday": 9}, "schedule_weekday"),
        ({**API_BODY, "name": "x" * 201}, "name"),
    ],
)
def test_the_api_names_the_bad_field(client, org, body, field):
    client.force_login(org.admin)
    response = client.post("/api/v1/playbooks/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_the_api_refuses_csms(client, org):
    client.force_login(org.csm_a1)
    assert client.post("/api/v1/playbooks/", API_BODY, content_type="application/json").status_code == 403
    playbook = Playbook.objects.first()
    assert client.put(f"/api/v1/playbooks/{playbook.pk}/", API_BODY, content_type="application/json").status_code == 403
    assert client.get(f"/api/v1/playbooks/{playbook.pk}/").status_code == 200


def browser_post_data(html: str) -> dict[str, str]:
    """What a browser submits for the page's rule form, as it is (no field touched)."""
    from html.parser import HTMLParser

    data: dict[str, str] = {}

    class Form(HTMLParser):
        select: str | None = None
        first: str | None = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name") and a.get("type") not in ("checkbox", "submit"):
                data[a["name"]] = a.get("value") or ""
            elif tag == "input" and a.get("type") == "checkbox" and "checked" in a:
                data[a["name"]] = a.get("value") or "on"
            elif tag == "select":
                self.select, self.first = a.get("name"), None
            elif tag == "option" and self.select:
                if self.first is None:
                    self.first = a.get("value") or ""
                    data.setdefault(self.select, self.first)
                if "selected" in a:
                    data[self.select] = a.get("value") or ""
            elif tag == "textarea":
                self.textarea = a.get("name")
                data[a["name"]] = ""

        def handle_data(self, text):
            name = getattr(self, "textarea", None)
            if name:
                data[name] += text.lstrip("\n") if not data[name] else text

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None
            if tag == "textarea":
                self.textarea = None

    Form().feed(html)
    data.pop("csrfmiddlewaretoken", None)
    return data


def test_the_edit_form_sent_back_unchanged_saves_a_new_version(client, org):
    client.force_login(org.manager_a)
    client.post("/playbooks/new/", form_data())
    playbook = Playbook.objects.get(name="Rescue plan")
    page = client.get(f"/playbooks/{playbook.pk}/edit/").content.decode()
    response = client.post(f"/playbooks/{playbook.pk}/edit/", browser_post_data(page))
    assert response.status_code == 302, response.content.decode()[-3000:]
    playbook.refresh_from_db()
    assert playbook.version == 2 and playbook.steps.count() == 3 and len(playbook.conditions) == 2
