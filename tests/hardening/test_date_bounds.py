"""Issue 21, defect 7: every date a person enters lies in 1990-01-01..2100-12-31.

The guard walks every form, serializer and FilterSet of the project's apps and fails
on a writable date or date-time field without ``core.dates.validate_date_range`` (so a
field added tomorrow is held to it too); the tests below send out-of-range dates
through the real API, pages, filters and CSV imports and expect the field named.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import django_filters
import pytest
from django import forms
from rest_framework import serializers

from core.dates import EARLIEST, LATEST, date_in_range, validate_date_range

APPS = [
    "accounts",
    "capacity",
    "core",
    "health",
    "integrations",
    "knowledge",
    "org",
    "outreach",
    "playbooks",
    "renewals",
    "workspace",
]


def _project_classes(base: type) -> list[type]:
    found: dict[str, type] = {}
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or ".management" in info.name or info.name.endswith(".demo"):
                continue
            try:
                module = importlib.import_module(info.name)
            except ImportError:  # a module being written elsewhere; the app's own tests import it
                continue
            for _name, value in inspect.getmembers(module, inspect.isclass):
                if issubclass(value, base) and value.__module__ == info.name:
                    found[f"{info.name}.{value.__name__}"] = value
    return sorted(found.values(), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _bounded(field: Any) -> bool:
    validators = list(getattr(field, "validators", []) or []) + list(getattr(field, "default_validators", []) or [])
    return validate_date_range in validators


# Fields left unbounded on purpose, with the reason beside each (none today).
NOT_YET_BOUNDED: set[str] = set()


def _form_fields(form_class: type) -> dict[str, Any]:
    return dict(getattr(form_class, "base_fields", {}))


def test_every_form_date_field_is_bounded() -> None:
    # A form that bounds a field in its own ``clean_<field>`` is trusted to (better: use
    # core.dates.FormDateField, which the behaviour tests below exercise).
    unbounded = [
        f"{cls.__module__}.{cls.__qualname__}.{name}"
        for cls in _project_classes(forms.BaseForm)
        for name, field in _form_fields(cls).items()
        if isinstance(field, forms.DateField | forms.DateTimeField)
        and not _bounded(field)
        and not hasattr(cls, f"clean_{name}")
    ]
    assert sorted(set(unbounded) - NOT_YET_BOUNDED) == []


def test_every_filter_date_field_is_bounded() -> None:
    unbounded = []
    for cls in _project_classes(django_filters.FilterSet):
        for name, declared in cls.base_filters.items():
            if issubclass(declared.field_class, forms.DateField | forms.DateTimeField) and not _bounded(declared.field):
                unbounded.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
    assert unbounded == []


@pytest.mark.django_db
def test_every_writable_serializer_date_field_is_bounded() -> None:
    unbounded = []
    for cls in _project_classes(serializers.BaseSerializer):
        if cls is serializers.ListSerializer or issubclass(cls, serializers.ListSerializer):
            continue
        try:
            fields = cls().fields
        except Exception as error:  # noqa: BLE001 - a serializer that needs arguments is listed, not hidden
            unbounded.append(f"{cls.__module__}.{cls.__qualname__}: cannot build ({error!r})")
            continue
        for name, field in fields.items():
            dated = isinstance(field, serializers.DateField | serializers.DateTimeField)
            if dated and not field.read_only and not _bounded(field):
                unbounded.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
    assert unbounded == []


def test_the_range_itself() -> None:
    from datetime import date, datetime, timedelta

    assert date_in_range(EARLIEST) and date_in_range(LATEST)
    assert not date_in_range(EARLIEST - timedelta(days=1)) and not date_in_range(LATEST + timedelta(days=1))
    assert not date_in_range(datetime(236, 5, 1, 12, 0))
    with pytest.raises(Exception, match="1990-01-01"):
        validate_date_range(date(236, 5, 1))


# --- The real entry points ------------------------------------------------------------


@pytest.mark.django_db
def test_a_timeline_entry_from_year_0236_is_refused_naming_occurred_at(client, org) -> None:
    from accounts.models import TimelineEntry

    client.force_login(org.csm_a1)
    account = org.accounts["csm_a1"][0]
    for when in ("0236-05-01T10:00:00+08:00", "1989-12-31T10:00:00Z", "2101-01-01T00:00:00Z"):
        response = client.post(
            "/api/v1/timeline/",
            {"account_id": account.pk, "kind": "call", "title": "Call", "occurred_at": when},
            content_type="application/json",
        )
        assert response.status_code == 400, when
        assert "1990-01-01" in response.json()["occurred_at"][0]
    assert not TimelineEntry.objects.filter(is_touchpoint=True).exists()
    ok = client.post(
        "/api/v1/timeline/",
        {"account_id": account.pk, "kind": "call", "title": "Call", "occurred_at": "1990-01-01T10:00:00+08:00"},
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    assert ok.json()["occurred_at"].endswith("+08:00")


@pytest.mark.django_db
def test_contract_task_and_renewal_filter_dates_are_bounded(client, org) -> None:
    client.force_login(org.csm_a1)
    account = org.accounts["csm_a1"][0]
    contract = {"account_id": account.pk, "start_date": "0236-01-01", "end_date": "2101-01-01", "arr": "1"}
    response = client.post("/api/v1/contracts/", contract, content_type="application/json")
    assert response.status_code == 400 and {"start_date", "end_date"} <= set(response.json())
    task = {"account_id": account.pk, "title": "t", "due_date": "2101-01-01"}
    response = client.post("/api/v1/tasks/", task, content_type="application/json")
    assert response.status_code == 400 and "due_date" in response.json()
    response = client.get("/api/v1/renewals/", {"due_from": "0236-01-01"})
    assert response.status_code == 400 and "due_from" in response.json()
    page = client.get("/renewals/", {"due_to": "0236-01-01"})
    assert page.status_code == 200 and "1990-01-01" in page.content.decode()


@pytest.mark.django_db
def test_a_touchpoint_form_from_year_0236_names_the_field(client, org) -> None:
    from accounts.forms import TouchpointForm

    form = TouchpointForm(
        data={"kind": "call", "occurred_at": "0236-05-01T10:00", "title": "Call"}, account=org.accounts["csm_a1"][0]
    )
    assert not form.is_valid() and "occurred_at" in form.errors


@pytest.mark.django_db
def test_events_nps_and_account_csv_dates_are_bounded(org) -> None:
    from accounts.imports import csv_import
    from health.nps import NpsImportError, nps_responses_import
    from health.services import IngestValidationError, events_ingest
    from tests.health.conftest import make_event

    account = org.accounts["csm_a1"][0]
    with pytest.raises(IngestValidationError) as caught:
        events_ingest(actor=org.csm_a1, events=[make_event(account, 0, occurred_at="0236-05-01T10:00:00+08:00")])
    assert [(e["index"], e["field"]) for e in caught.value.errors] == [(0, "occurred_at")]

    row = {"account_external_id": account.external_id, "score": "9", "responded_on": "1989-12-31"}
    with pytest.raises(NpsImportError) as nps_error:
        nps_responses_import(actor=org.csm_a1, rows=[row])
    assert [(e.column, "1990-01-01" in e.reason) for e in nps_error.value.errors] == [("responded_on", True)]

    header = b"external_id,name,industry,arr,icp_fit,owner,go_live_date,status\n"
    data = header + b"X-1,Co,retail,1000,target,csm_a1,0236-01-01,active\n"
    result, _run = csv_import(actor=org.csm_a1, kind="accounts", data=data)
    assert not result.written
    assert [(e.column, "1990-01-01" in e.reason) for e in result.errors] == [("go_live_date", True)]


@pytest.mark.django_db
def test_the_nps_summary_refuses_an_out_of_range_period(client, org) -> None:
    client.force_login(org.manager_a)
    response = client.get("/api/v1/nps/summary/", {"start": "0236-01-01"})
    assert response.status_code == 400 and "start" in response.json()
