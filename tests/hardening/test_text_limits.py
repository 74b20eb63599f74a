"""Issue 20: text fields have server-side length limits.

A text someone types is held to one of ``core.text_limits``' lengths in the model (so
its ModelForm, ModelSerializer and a service's ``full_clean`` check it), in hand-written
forms and serializers, and in imports; a text over the limit is refused naming the
field (or the row and column), and nothing is written.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from core.text_limits import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH
from core.tokens import api_token_issue
from health.models import NPS_COMMENT_MAX_LENGTH, NpsResponse
from knowledge.models import Case, FeedbackRequest
from tests.conftest import login
from tests.hardening.test_date_bounds import APPS, _project_classes

pytestmark = pytest.mark.django_db


def test_a_case_section_over_the_limit_is_a_form_error_and_nothing_is_saved(client, org) -> None:
    login(client, org.csm_a1)
    body = {"title": "Long", "industry": "retail", "size_band": "51_200", "arr_band": "smb"}
    body |= {"problem": "p" * (TEXT_MAX_LENGTH + 1), "approach": "a", "result": "r"}
    response = client.post(reverse("knowledge:case_create"), body)
    assert response.status_code == 200
    assert "problem" in response.context["form"].errors
    assert not Case.objects.exists()

    body["problem"] = "p" * TEXT_MAX_LENGTH
    assert client.post(reverse("knowledge:case_create"), body).status_code == 302
    assert Case.objects.count() == 1


def test_feedback_api_names_the_long_field(client, org) -> None:
    login(client, org.csm_a1)
    account = org.accounts["csm_a1"][0]
    body: dict[str, Any] = {"account": account.pk, "title": "Bulk edit", "problem": "p", "urgency": 3}
    body |= {"business_scenario": "s" * (TEXT_MAX_LENGTH + 1), "roi_estimate": "1500.00"}
    response = client.post(reverse("api:knowledge-feedback-list"), body, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["business_scenario"]
    assert not FeedbackRequest.objects.exists()


def test_a_review_comment_over_the_limit_is_refused(client, org) -> None:
    from knowledge.services import case_create, case_submit
    from tests.knowledge.conftest import CASE_TEXT

    case = case_create(actor=org.csm_a1, title="T", industry="retail", size_band="51_200", arr_band="smb", **CASE_TEXT)
    case_submit(case=case, actor=org.csm_a1)
    login(client, org.manager_a)
    url = reverse("knowledge:case_review", args=[case.pk])
    response = client.post(url, {"decision": "reject", "comment": "c" * (NOTE_MAX_LENGTH + 1)}, follow=True)
    shown = [str(message) for message in response.context["messages"]]
    assert len(shown) == 1 and str(NOTE_MAX_LENGTH) in shown[0]
    case.refresh_from_db()
    assert (case.status, case.review_comment) == ("submitted", "")


def test_an_nps_import_row_with_a_long_comment_names_row_and_column(org) -> None:
    from health.nps import NpsImportError, nps_responses_import

    account = org.accounts["csm_a1"][0]
    fine = {"account_external_id": account.external_id, "score": "9", "responded_on": "2026-01-02"}
    long = {**fine, "comment": "x" * (NPS_COMMENT_MAX_LENGTH + 1)}
    with pytest.raises(NpsImportError) as caught:
        nps_responses_import(actor=org.csm_a1, rows=[fine, long])
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, "comment")]
    assert not NpsResponse.objects.exists()


def test_the_nps_api_refuses_a_long_comment(org) -> None:
    account = org.accounts["csm_a1"][0]
    client = Client(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=org.csm_a1)}")
    body = {"account": account.pk, "score": 3, "responded_on": "2026-01-02", "comment": "x" * 4001}
    response = client.post("/api/v1/nps/", body, content_type="application/json")
    assert response.status_code == 400 and "comment" in response.json()
    assert not NpsResponse.objects.exists()


def test_crm_sync_names_the_row_and_field_of_a_huge_value(org) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=org.manager_a)}")
    rows = [
        {"external_id": "SF-1", "name": "Fine", "arr": 1200, "owner": "csm_a1"},
        {"external_id": "SF-2", "name": "n" * 5000, "arr": 1200, "owner": "csm_a1"},
    ]
    response = client.post("/api/v1/sync/accounts", {"rows": rows}, content_type="application/json")
    assert response.status_code == 400
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(1, "name")]


def test_a_capacity_note_over_the_limit_is_refused() -> None:
    from django.core.exceptions import ValidationError

    from capacity.models import CapacityPreset

    preset = CapacityPreset(name="Long source", citation="c" * (NOTE_MAX_LENGTH + 1))
    with pytest.raises(ValidationError) as caught:
        preset.full_clean()
    assert "citation" in caught.value.message_dict


def test_the_review_service_itself_names_a_long_comment(org) -> None:
    from django.core.exceptions import ValidationError

    from knowledge.services import case_create, case_review, case_submit
    from tests.knowledge.conftest import CASE_TEXT

    case = case_create(actor=org.csm_a1, title="T", industry="retail", size_band="51_200", arr_band="smb", **CASE_TEXT)
    case_submit(case=case, actor=org.csm_a1)
    with pytest.raises(ValidationError) as caught:
        case_review(case=case, actor=org.manager_a, approve=False, comment="c" * (NOTE_MAX_LENGTH + 1))
    assert list(caught.value.message_dict) == ["comment"]


# ---------------------------------------------------------------------------------------
# The guard: a text field added tomorrow is held to a limit too.

# Written by the system, never typed: no limit (the reason beside each).
SYSTEM_WRITTEN = {
    "accounts.ImportRun.rejected_csv": "the rejected rows of an import, as the file had them",
    # Also a BCC'd email's text (cut at 100,000 by the parser); typed ones: the touchpoint form and API.
    "accounts.TimelineEntry.body": "an email's text, or a touchpoint checked by its form",
    "accounts.TimelineEntry.outcome": "as body",
    "core.Notification.body": "rendered from a message key",
    "core.OutboundEmail.body_text": "a rendered email",
    "core.OutboundEmail.body_html": "a rendered email",
    "core.OutboundEmail.last_error": "the SMTP server's answer",
    "core.TaskFailure.exception": "a Python exception",
    "core.TaskFailure.traceback": "a Python traceback",
    "core.JobRun.last_error": "a Python exception",
    "inbox.InboundEmail.body": "cut at 100,000 characters by the parser",
    "renewals.KpiLedgerFact.rows": "the KPI ledger cells' packed rows, written by their rebuild",
}


def _model_text_fields() -> list[tuple[str, Any]]:
    from django.apps import apps
    from django.db import models

    found = []
    for model in apps.get_models():
        if model.__module__.split(".")[0] not in APPS or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.TextField) and field.editable:
                found.append((f"{model._meta.app_label}.{model.__name__}.{field.name}", field))
    return found


def test_every_typed_model_text_field_has_a_limit_its_full_clean_checks() -> None:
    from django.core.validators import MaxLengthValidator

    unbounded = [
        name
        for name, field in _model_text_fields()
        if name not in SYSTEM_WRITTEN
        and not (field.max_length and any(isinstance(v, MaxLengthValidator) for v in field.validators))
    ]
    assert unbounded == []
    assert set(SYSTEM_WRITTEN) <= {name for name, _field in _model_text_fields()}


def _django_own(form_class: type, name: str) -> bool:
    """A field a Django base form declares (the login form's password)."""
    return any(
        base.__module__.startswith("django.") and name in getattr(base, "base_fields", {})
        for base in form_class.__mro__[1:]
    )


def test_every_form_text_field_has_a_max_length() -> None:
    from django import forms

    unbounded = [
        f"{cls.__module__}.{cls.__qualname__}.{name}"
        for cls in _project_classes(forms.BaseForm)
        for name, field in getattr(cls, "base_fields", {}).items()
        if isinstance(field, forms.CharField) and not field.max_length and not _django_own(cls, name)
    ]
    assert unbounded == []


def _request_strings_without_limit(schema: dict[str, Any]) -> set[str]:
    components = schema["components"]["schemas"]
    found: set[str] = set()

    def prop(spec: dict[str, Any], where: str, seen: frozenset[str]) -> None:
        if "$ref" in spec or "allOf" in spec or "oneOf" in spec or "anyOf" in spec:
            node(spec, where, seen)
        elif spec.get("type") == "string":
            free = "enum" not in spec and spec.get("format") not in ("date", "date-time", "binary", "uuid", "decimal")
            if free and "maxLength" not in spec:
                found.add(where)
        elif spec.get("type") == "array":
            prop(spec.get("items", {}), f"{where}[]", seen)
        elif spec.get("type") == "object" or "properties" in spec:
            node(spec, where, seen)

    def node(spec: dict[str, Any], where: str, seen: frozenset[str]) -> None:
        if "$ref" in spec:
            name = spec["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                return
            spec, where, seen = components[name], name, seen | {name}
        for key in ("allOf", "oneOf", "anyOf"):
            for part in spec.get(key, []):
                prop(part, where, seen)
        for name, child in spec.get("properties", {}).items():
            if not child.get("readOnly"):
                prop(child, f"{where}.{name}", seen)

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for content in (operation.get("requestBody") or {}).get("content", {}).values():
                if content["schema"].get("type") == "string":
                    continue  # a raw body (NDJSON events): bounded by the request size limit
                prop(content["schema"], f"{method.upper()} {path}", frozenset())
    return found


def test_every_text_the_api_accepts_has_a_max_length() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert sorted(_request_strings_without_limit(schema)) == []
