"""NPS: recording (API, CSV), the formula per grouping and period, the detractor signal."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Stakeholder
from health.models import NpsResponse
from health.nps import nps_response_record, nps_summary, nps_value
from health.signals import nps_detractor_received
from tests.conftest import login
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

DAY = date(2025, 5, 20)


@pytest.fixture
def detractors():
    calls = []

    def handler(sender, **kwargs):
        calls.append(kwargs)

    nps_detractor_received.connect(handler, dispatch_uid="test-detractors")
    yield calls
    nps_detractor_received.disconnect(dispatch_uid="test-detractors")


def record(account, *scores, day=DAY):
    for score in scores:
        nps_response_record(actor=None, account=account, score=score, responded_on=day)


def test_nps_formula():
    assert nps_value(promoters=0, detractors=0, responses=0) is None
    assert nps_value(promoters=2, detractors=2, responses=6) == 0.0
    assert nps_value(promoters=2, detractors=1, responses=3) == 33.3
    assert nps_value(promoters=0, detractors=4, responses=4) == -100.0


def test_no_responses_is_none_never_zero(org):
    [company] = nps_summary(NpsResponse.objects.all())
    assert (company.responses, company.nps) == (0, None)


def test_nps_per_account_owner_segment_company_and_period(org):
    a1, a2 = org.accounts["csm_a1"]
    b1 = org.accounts["csm_b1"][0]
    small = AccountFactory(owner=org.csm_b1, arr=1000)  # tech-touch segment
    record(a1, 10, 9, 8, 7, 6, 0)  # 2 promoters, 2 detractors of 6 → 0
    record(a2, 10, 10, 6)  # → 33.3
    record(b1, 3)  # → -100
    record(small, 9)  # → 100
    record(b1, 10, day=date(2024, 1, 1))  # outside the period below
    everything = NpsResponse.objects.all()
    period = {"start": date(2025, 1, 1), "end": date(2025, 12, 31)}
    by_account = {f.key: f.nps for f in nps_summary(everything, group_by="account", **period)}
    assert by_account == {a1.pk: 0.0, a2.pk: 33.3, b1.pk: -100.0, small.pk: 100.0}
    by_owner = {f.key: f.nps for f in nps_summary(everything, group_by="owner", **period)}
    assert by_owner == {org.csm_a1.pk: round(100 * (4 - 3) / 9, 1), org.csm_b1.pk: 0.0}
    by_segment = {f.key: (f.responses, f.nps) for f in nps_summary(everything, group_by="segment", **period)}
    assert by_segment == {"mid_market": (10, 0.0), "tech_touch": (1, 100.0)}
    [company] = nps_summary(everything, **period)
    assert (company.responses, company.promoters, company.passives, company.detractors) == (11, 5, 2, 4)
    assert company.nps == round(100 * (5 - 4) / 11, 1)
    [all_time] = nps_summary(everything)
    assert all_time.responses == 12


def test_a_detractor_sends_the_signal_after_commit_once(org, detractors, django_capture_on_commit_callbacks):
    account = org.accounts["csm_a1"][0]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response, created = nps_response_record(
            actor=org.csm_a1, account=account, score=6, responded_on=DAY, external_id="s-1"
        )
        assert detractors == []  # not before commit
        nps_response_record(actor=org.csm_a1, account=account, score=6, responded_on=DAY, external_id="s-1")
        nps_response_record(actor=org.csm_a1, account=account, score=7, responded_on=DAY)  # passive
    assert created and len(callbacks) == 2  # one per new response (webhooks hear every one)
    assert [(c["response"].pk, c["account"]) for c in detractors] == [(response.pk, account)]
    assert NpsResponse.objects.count() == 2


def nps_url():
    return "/api/v1/nps/"


def test_api_post_and_list(org, django_capture_on_commit_callbacks, detractors):
    account = org.accounts["csm_a1"][0]
    person = Stakeholder.objects.create(account=account, name="Wang Wei", tier="S")
    client = login(Client(), org.csm_a1)
    payload = {
        "account": account.pk,
        "stakeholder": person.pk,
        "score": 4,
        "comment": "Slow reports",
        "responded_on": "2025-05-20",
        "external_id": "survey-77",
    }
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(nps_url(), payload, content_type="application/json")
        second = client.post(nps_url(), payload, content_type="application/json")
    assert first.status_code == 201, first.content
    assert first.json()["category"] == "detractor" and first.json()["stakeholder"] == person.pk
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert len(detractors) == 1
    login(Client(), org.csm_b1).post(
        nps_url(),
        {**payload, "account": org.accounts["csm_b1"][0].pk, "stakeholder": None},
        content_type="application/json",
    )
    listed = client.get(nps_url()).json()["results"]
    assert [row["id"] for row in listed] == [first.json()["id"]]


def test_api_errors_name_the_field(org):
    mine, theirs = org.accounts["csm_a1"][0], org.accounts["csm_b1"][0]
    foreign_person = Stakeholder.objects.create(account=theirs, name="Li Na")
    client = login(Client(), org.csm_a1)
    base = {"account": mine.pk, "score": 9, "responded_on": "2025-05-20"}

    def errors(**changes):
        answer = client.post(nps_url(), {**base, **changes}, content_type="application/json")
        assert answer.status_code == 400
        return set(answer.json())

    assert errors(score=11) == {"score"}
    assert errors(responded_on="20/05/2025") == {"responded_on"}
    assert errors(account=theirs.pk) == {"account"}
    assert errors(stakeholder=foreign_person.pk) == {"stakeholder"}
    assert not NpsResponse.objects.exists()


def test_api_summary(org):
    record(org.accounts["csm_a1"][0], 10, 0)
    record(org.accounts["csm_b1"][0], 0)
    client = login(Client(), org.csm_a1)
    assert client.get(nps_url() + "summary/").json() == [
        {"key": None, "responses": 2, "promoters": 1, "passives": 0, "detractors": 1, "nps": 0.0}
    ]
    assert client.get(nps_url() + "summary/", {"start": "2030-01-01"}).json()[0]["nps"] is None
    assert client.get(nps_url() + "summary/", {"group_by": "planet"}).status_code == 400


def write_csv(tmp_path, text):
    path = tmp_path / "nps.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_command(org, tmp_path, detractors, django_capture_on_commit_callbacks):
    account = org.accounts["csm_a1"][0]
    Stakeholder.objects.create(account=account, name="Wang Wei", email="Wang@Example.com")
    path = write_csv(
        tmp_path,
        "account_external_id,score,responded_on,comment,stakeholder_email,external_id\n"
        f"{account.external_id},10,2025-05-01,Great,wang@example.com,r1\n"
        f"{account.external_id},2,2025-05-02,,,r2\n",
    )
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_nps", str(path), "--as", "csm_a1", stdout=out)
        call_command("import_nps", str(path), "--as", "csm_a1", stdout=out)  # idempotent
    assert "Imported 2" in out.getvalue() and "2 already stored" in out.getvalue()
    assert NpsResponse.objects.count() == 2
    assert NpsResponse.objects.get(external_id="r1").stakeholder.name == "Wang Wei"
    assert len(detractors) == 1


def test_import_is_all_or_nothing_with_errors_by_row_and_column(org, tmp_path):
    mine, theirs = org.accounts["csm_a1"][0], org.accounts["csm_b1"][0]
    path = write_csv(
        tmp_path,
        "account_external_id,score,responded_on,stakeholder_email\n"
        f"{mine.external_id},10,2025-05-01,\n"
        f"{theirs.external_id},11,yesterday,\n"
        f"{mine.external_id},5,2025-05-01,nobody@example.com\n",
    )
    err = StringIO()
    with pytest.raises(CommandError, match="4 error"):
        call_command("import_nps", str(path), "--as", "csm_a1", stderr=err)
    lines = err.getvalue().splitlines()
    assert any(line.startswith("row 3, column account_external_id") for line in lines)
    assert any(line.startswith("row 3, column score") for line in lines)
    assert any(line.startswith("row 3, column responded_on") for line in lines)
    assert any(line.startswith("row 4, column stakeholder_email") for line in lines)
    assert not NpsResponse.objects.exists()


def test_import_reports_missing_columns(org, tmp_path):
    path = write_csv(tmp_path, "account_external_id,comment\nX,hi\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_nps", str(path), "--as", "csm_a1", stderr=err)
    assert "row 1, column score" in err.getvalue()
