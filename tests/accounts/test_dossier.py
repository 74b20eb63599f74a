from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.dossier import (
    DossierConflict,
    account_completeness,
    dossier_rescore,
    dossier_section_save,
    dossier_sections_for,
)
from accounts.models import (
    Account,
    DossierSection,
    KeyPersonLevel,
    ProcessKind,
    PurchasedProduct,
    SalesPromise,
    SectionKey,
    Tier,
)
from accounts.stakeholders import stakeholder_create

pytestmark = pytest.mark.django_db

LONG = "A detailed paragraph about this customer, long enough to count as a filled section of the dossier."


@pytest.fixture
def account(org):
    return org.accounts["csm_a1"][0]


def save(account, actor, key, content="", rows=None):
    version = dossier_sections_for(account=account)[key].version
    return dossier_section_save(actor=actor, account=account, key=key, base_version=version, content=content, rows=rows)


def status(account, key):
    return next(s for s in account_completeness(account=account).sections if s.key == key)


def test_empty_dossier_scores_zero_and_lists_all_ten_sections(account):
    result = account_completeness(account=account)
    assert result.score == 0
    assert len(result.sections) == 10 == len(result.missing)


def test_notes_sections_filled_partial_and_score_is_saved(org, account):
    save(account, org.csm_a1, SectionKey.COMPANY_OVERVIEW, LONG)
    save(account, org.csm_a1, SectionKey.ORG_STRUCTURE, "Flat.")
    assert status(account, SectionKey.COMPANY_OVERVIEW).fill == "filled"
    assert status(account, SectionKey.ORG_STRUCTURE).fill == "partial"
    account.refresh_from_db()
    assert account.dossier_score == 15


def test_structured_sections_explain_what_is_missing(org, account):
    save(account, org.csm_a1, SectionKey.PURCHASED_PRODUCTS, rows=[{"product": "CRM", "seats": None}])
    assert status(account, SectionKey.PURCHASED_PRODUCTS).fill == "partial"
    assert "seats" in status(account, SectionKey.PURCHASED_PRODUCTS).reason
    product = PurchasedProduct.objects.get(account=account)
    save(
        account, org.csm_a1, SectionKey.PURCHASED_PRODUCTS,
        rows=[{"id": product.pk, "product": "CRM", "seats": 50, "start_date": date(2026, 1, 1)}],
    )  # fmt: skip
    assert status(account, SectionKey.PURCHASED_PRODUCTS).fill == "filled"
    save(
        account, org.csm_a1, SectionKey.CUSTOMER_PROCESSES,
        rows=[{"kind": ProcessKind.BIDDING, "notes": "Open tender every 3 years", "typical_days": 60}],
    )  # fmt: skip
    processes = status(account, SectionKey.CUSTOMER_PROCESSES)
    assert processes.fill == "partial" and "Approval" in processes.reason
    save(account, org.csm_a1, SectionKey.SALES_PROMISES, content="Sales promised nothing beyond the contract.")
    assert status(account, SectionKey.SALES_PROMISES).fill == "filled"


def test_rows_are_replaced_exactly_and_removed_rows_deleted(org, account):
    save(account, org.csm_a1, SectionKey.SALES_PROMISES, rows=[{"promise": "SSO by Q2"}, {"promise": "API"}])
    _first, second = SalesPromise.objects.filter(account=account).order_by("pk")
    keep = [{"id": second.pk, "promise": "API v2", "status": "fulfilled"}]
    save(account, org.csm_a1, SectionKey.SALES_PROMISES, rows=keep)
    remaining = SalesPromise.objects.filter(account=account).values_list("promise", "status")
    assert list(remaining) == [("API v2", "fulfilled")]


def test_bad_rows_name_the_row_and_field_and_nothing_is_written(org, account):
    with pytest.raises(ValidationError) as error:
        save(
            account, org.csm_a1, SectionKey.SALES_PROMISES,
            rows=[{"promise": "ok"}, {"promise": "", "status": "maybe"}],
        )  # fmt: skip
    assert {"rows[1].promise", "rows[1].status"} <= set(error.value.message_dict)
    assert not SalesPromise.objects.exists()
    assert dossier_sections_for(account=account)[SectionKey.SALES_PROMISES].version == 0


def test_someone_elses_row_cannot_be_edited_through_this_account(org, account):
    other = org.accounts["csm_a2"][0]
    foreign = SalesPromise.objects.create(account=other, promise="Theirs")
    with pytest.raises(ValidationError):
        save(account, org.csm_a1, SectionKey.SALES_PROMISES, rows=[{"id": foreign.pk, "promise": "Mine now"}])
    foreign.refresh_from_db()
    assert foreign.promise == "Theirs"


def test_second_save_from_the_same_version_is_a_conflict(org, account):
    base = dossier_sections_for(account=account)[SectionKey.INTERNAL_POLITICS].version
    dossier_section_save(actor=org.csm_a1, account=account, key="internal_politics", base_version=base, content="A")
    with pytest.raises(DossierConflict) as conflict:
        dossier_section_save(
            actor=org.manager_a, account=account, key="internal_politics", base_version=base, content="B"
        )
    assert conflict.value.section.content == "A"
    assert conflict.value.section.updated_by == org.csm_a1
    assert DossierSection.objects.get(account=account, key="internal_politics").content == "A"


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_one_wins_one_conflicts(org):
    account = org.accounts["csm_a1"][0]
    base = dossier_sections_for(account=account)[SectionKey.WORK_GOALS].version
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def editor(text: str) -> None:
        barrier.wait()
        try:
            dossier_section_save(actor=org.csm_a1, account=account, key="work_goals", base_version=base, content=text)
            outcomes.append("saved")
        except DossierConflict:
            outcomes.append("conflict")
        except Exception as exc:  # noqa: BLE001 - SQLite may refuse the 2nd writer outright: "not saved"
            outcomes.append(f"refused:{type(exc).__name__}")
        finally:
            connection.close()

    threads = [threading.Thread(target=editor, args=(text,)) for text in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("saved") == 1
    section = DossierSection.objects.get(account=account, key="work_goals")
    assert section.version == base + 1
    assert section.content in {"first", "second"}


def test_stale_sections_count_half(org, account, settings):
    settings.HOURGLASS_DOSSIER_STALE_DAYS = 90
    save(account, org.csm_a1, SectionKey.COMPANY_OVERVIEW, LONG)
    DossierSection.objects.filter(account=account, key="company_overview").update(
        updated_at=timezone.now() - timedelta(days=91)
    )
    overview = status(account, SectionKey.COMPANY_OVERVIEW)
    assert overview.stale and overview.points == 5
    assert "90" in overview.reason
    assert dossier_rescore(account_ids=[account.pk]) == 1
    account.refresh_from_db()
    assert account.dossier_score == 5


def test_key_people_section_comes_from_stakeholders(org, account):
    stakeholder_create(
        actor=org.csm_a1, account=account, name="Boss", tier=Tier.S, key_level=KeyPersonLevel.DECISION_MAKER,
        demands="ROI in a year", personality="Direct",
    )  # fmt: skip
    partial = status(account, SectionKey.KEY_PEOPLE)
    assert partial.fill == "partial" and "level-2" in partial.reason
    stakeholder_create(
        actor=org.csm_a1, account=account, name="Admin", key_level=KeyPersonLevel.DAY_TO_DAY,
        demands="Fewer clicks", personality="Careful",
    )  # fmt: skip
    assert status(account, SectionKey.KEY_PEOPLE).fill == "filled"
    account.refresh_from_db()
    assert account.dossier_score == 10


def test_unknown_section_and_rows_on_a_notes_section_are_refused(org, account):
    with pytest.raises(ValidationError):
        dossier_section_save(actor=org.csm_a1, account=account, key="gossip", base_version=0, content="x")
    with pytest.raises(ValidationError):
        dossier_section_save(
            actor=org.csm_a1, account=account, key="company_overview", base_version=0, content="x", rows=[]
        )


# --- pages --------------------------------------------------------------------------


def test_edit_section_in_place_with_htmx(client, org, account):
    client.force_login(org.csm_a1)
    url = reverse("accounts:dossier_edit", args=[account.pk, "company_overview"])
    form = client.get(url, HTTP_HX_REQUEST="true")
    assert 'name="base_version"' in form.content.decode()
    saved = client.post(url, {"content": LONG, "base_version": "0"}, HTTP_HX_REQUEST="true")
    body = saved.content.decode()
    assert saved.status_code == 200
    assert 'data-section="company_overview"' in body and "A detailed paragraph" in body
    assert 'id="dossier-score"' in body and 'hx-swap-oob="true"' in body  # the score updates too


def test_conflict_shows_the_other_version_and_keeps_the_draft(client, org, account):
    save(account, org.manager_a, SectionKey.INTERNAL_POLITICS, "Manager's view of the politics")
    client.force_login(org.csm_a1)
    url = reverse("accounts:dossier_edit", args=[account.pk, "internal_politics"])
    response = client.post(url, {"content": "My draft", "base_version": "0"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'data-testid="dossier-conflict"' in body
    assert "Manager&#x27;s view of the politics" in body or "Manager's view of the politics" in body
    assert "My draft" in body
    assert 'name="base_version" value="1"' in body
    assert DossierSection.objects.get(account=account, key="internal_politics").content.startswith("Manager")
    plain = client.post(url, {"content": "My draft", "base_version": "0"})
    assert plain.status_code == 409


def test_structured_section_via_formset(client, org, account):
    client.force_login(org.csm_a1)
    url = reverse("accounts:dossier_edit", args=[account.pk, "major_events"])
    prefix = "rows-major_events"
    response = client.post(
        url,
        {
            "content": "", "base_version": "0",
            f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-date": "2026-03-01", f"{prefix}-0-title": "New CIO", f"{prefix}-0-description": "",
        },
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert response.status_code == 200
    assert "New CIO" in response.content.decode()
    assert account.major_events.count() == 1


def test_other_csm_cannot_edit_the_dossier(client, org, account):
    client.force_login(org.csm_b1)
    url = reverse("accounts:dossier_edit", args=[account.pk, "company_overview"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"content": "x", "base_version": "0"}).status_code == 404
    assert not DossierSection.objects.filter(account=account, content="x").exists()


def test_unknown_section_is_404(client, org, account):
    client.force_login(org.csm_a1)
    assert client.get(reverse("accounts:dossier_edit", args=[account.pk, "gossip"])).status_code == 404


def test_list_sorts_by_completeness_and_api_exposes_it(client, org, account):
    Account.objects.filter(pk=account.pk).update(dossier_score=80)
    client.force_login(org.csm_a1)
    rows = client.get("/api/v1/accounts/", {"ordering": "-dossier_score"}).json()["results"]
    assert rows[0]["id"] == account.pk and rows[0]["dossier_score"] == 80
    page = client.get("/accounts/?ordering=-dossier_score").content.decode()
    assert page.index(account.name) < page.index(org.accounts["csm_a1"][1].name)


def test_section_history_shows_who_changed_what(client, org, account):
    save(account, org.csm_a1, SectionKey.INTERNAL_POLITICS, "The COO chose us.\nSales director doubts.")
    save(account, org.manager_a, SectionKey.INTERNAL_POLITICS, "The COO chose us.\nSales director now supports us.")
    client.force_login(org.csm_a1)
    page = client.get(reverse("accounts:dossier_history", args=[account.pk, "internal_politics"]))
    body = page.content.decode()
    assert body.count('data-testid="revision"') == 2
    assert 'class="hg-diff-removed">− Sales director doubts.' in body
    assert 'class="hg-diff-added">+ Sales director now supports us.' in body
    assert "manager_a" in body or org.manager_a.get_full_name() in body
    client.force_login(org.csm_b1)
    assert client.get(reverse("accounts:dossier_history", args=[account.pk, "internal_politics"])).status_code == 404
