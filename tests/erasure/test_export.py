"""The export holds everything Hourglass keeps about a contact, found in every app."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.apps import apps
from django.db import models

from accounts.models import Stakeholder
from accounts.privacy import stakeholder_personal_data_export

from .conftest import DEMANDS, EMAIL, NAME, OLD_EMAIL, OLD_NAME, PHONE, World

pytestmark = pytest.mark.django_db


def test_export_holds_every_place_the_contact_appears(world: World) -> None:
    data = stakeholder_personal_data_export(stakeholder=world.person)
    person = data["stakeholder"]
    assert (person["name"], person["email"], person["phone"], person["demands"]) == (NAME, EMAIL, PHONE, DEMANDS)
    assert person["tier"] == "A" and person["account_name"] == world.account.name
    # Their history: the old name and email too.
    assert {row["name"] for row in data["history"]} >= {NAME, OLD_NAME}
    assert OLD_EMAIL in {row["email"] for row in data["history"]}
    # Touchpoints linked to them (the contact touch), system entries about them.
    assert [row["id"] for row in data["touchpoints"]] == [world.touchpoint.pk]
    assert [row["kind"] for row in data["timeline_entries"]] == ["stakeholder_left"]
    # Mentions by name or email in the account's own text.
    mentioned = {row["model"] for row in data["mentions"]}
    assert mentioned >= {
        "accounts.timelineentry", "accounts.riskflag", "accounts.majorevent", "accounts.stakeholder",
    }  # fmt: skip
    assert world.unrelated.pk not in {row["id"] for row in data["mentions"] if row["model"] == "accounts.timelineentry"}
    assert world.boss.pk not in {row["id"] for row in data["mentions"] if row["model"] == "accounts.stakeholder"}
    # The other apps' parts, through the signal.
    assert [row["id"] for row in data["nps_responses"]] == [world.own_nps.pk]
    assert data["nps_responses"][0]["comment"] == "Love it, quokka"
    assert [row["id"] for row in data["nps_mentions"]] == [world.other_nps.pk]
    assert [row["recipient_email"] for row in data["renewal_reminders"]] == [EMAIL]
    assert [row["id"] for row in data["emails"]] == [world.email.pk]
    assert [row["id"] for row in data["task_mentions"]] == [world.task.pk]
    assert len(data["task_comment_mentions"]) == 1
    assert data["erasures"] == []
    json.dumps(data)  # plain JSON all the way down


def test_export_searches_the_history_of_the_accounts_text(world: World) -> None:
    """The section's current text no longer names her, an earlier version does."""
    data = stakeholder_personal_data_export(stakeholder=world.person)
    sections = [row for row in data["mentions"] if row["model"] == "accounts.historicaldossiersection"]
    assert [row["content"] for row in sections] == [f"{NAME} decides the budget"]
    assert not [row for row in data["mentions"] if row["model"] == "accounts.dossiersection"]


# Every relation to a stakeholder and where the export reads it: a new foreign key to
# Stakeholder fails this test until the export (and erasure) cover it.
COVERED = {
    ("accounts.stakeholder", "reports_to"): "stakeholder",
    ("accounts.historicalstakeholder", "reports_to"): "history",
    ("accounts.historicalstakeholder", "history_relation"): "history",
    ("accounts.timelineentry", "stakeholders"): "touchpoints",
    ("health.npsresponse", "stakeholder"): "nps_responses",
    ("health.historicalnpsresponse", "stakeholder"): "nps_responses",
    ("outreach.surveyrecipient", "stakeholder"): "survey_recipients",
    ("outreach.surveyresponse", "stakeholder"): "survey_responses",
    ("outreach.enrollment", "stakeholder"): "program_enrollments",
}


def _relations_to_stakeholder() -> set[tuple[str, str]]:
    found = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            relation = isinstance(field, models.ForeignKey | models.ManyToManyField | models.OneToOneField)
            if relation and field.related_model is Stakeholder:
                found.add((model._meta.label_lower, field.name))
    return found


def test_every_relation_to_a_stakeholder_is_covered() -> None:
    missing = _relations_to_stakeholder() - set(COVERED)
    assert missing == set(), f"cover these in accounts/privacy.py (export and erasure): {missing}"


def test_export_page_is_a_json_download_for_admins(client: Any, org: Any, world: World, caplog: Any) -> None:
    client.force_login(org.admin)
    url = f"/accounts/{world.account.pk}/stakeholders/{world.person.pk}/personal-data.json"
    with caplog.at_level(logging.INFO, logger="hourglass.privacy"):
        response = client.get(url)
    assert f"stakeholder {world.person.pk} exported by user {org.admin.pk}" in caplog.text
    assert NAME not in caplog.text and EMAIL not in caplog.text  # the log is not another copy
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    body = json.loads(response.content)
    assert body["stakeholder"]["name"] == NAME and body["nps_responses"]


def test_api_export_for_admins(client: Any, org: Any, world: World) -> None:
    client.force_login(org.admin)
    response = client.get(f"/api/v1/stakeholders/{world.person.pk}/personal-data/")
    assert response.status_code == 200
    assert response.json()["stakeholder"]["email"] == EMAIL
    assert client.get("/api/v1/stakeholders/999999/personal-data/").status_code == 404


def test_api_export_is_in_the_schema(client: Any, org: Any) -> None:
    client.force_login(org.admin)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/stakeholders/{id}/personal-data/"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "object"
