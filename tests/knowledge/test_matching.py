"""'Cases like this customer': ranked against hand-ordered examples (seed 003, pitfall 6)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import PurchasedProduct
from knowledge.matching import Profile, normalise_products, rank
from knowledge.models import CompanySize
from knowledge.selectors import cases_for_account

from .conftest import approved_case


class Named:
    def __init__(self, name: str, pk: int) -> None:
        self.name, self.pk = name, pk


def profile(industry: str, size: str | None, arr: str, *products: str) -> Profile:
    return Profile(industry, size, arr, normalise_products(products))


# A 50-person retail customer (SMB) using the CRM.
CUSTOMER = profile("retail", "1_50", "smb", "CRM")


def ordered(cases: list[tuple[str, Profile]], customer: Profile = CUSTOMER) -> list[str]:
    return [m.case.name for m in rank([(Named(n, i), p) for i, (n, p) in enumerate(cases)], customer)]


def test_hand_ordered_examples():
    cases = [
        ("group retailer, 6000 staff, same products", profile("retail", "5000_plus", "enterprise", "CRM")),
        ("same industry, same size, same products", profile("retail", "1_50", "smb", "CRM")),
        ("same industry, one size up", profile("retail", "51_200", "smb", "CRM")),
        ("other industry, same size and products", profile("education", "1_50", "smb", "CRM")),
        ("same industry, same size, other products", profile("retail", "1_50", "smb", "OA")),
        ("smaller firm, tech touch, same industry", profile("retail", "1_50", "tech_touch", "CRM")),
    ]
    assert ordered(cases) == [
        "same industry, same size, same products",
        "smaller firm, tech touch, same industry",  # one band below costs less than one above
        "same industry, one size up",
        "same industry, same size, other products",
        "other industry, same size and products",
        "group retailer, 6000 staff, same products",
    ]


def test_far_larger_case_never_outranks_a_comparable_one_even_with_everything_else_in_common():
    big_twin = profile("retail", "1001_5000", "smb", "CRM")  # same all but 3 bands of size
    unrelated_peer = profile("energy", "51_200", "tech_touch")  # shares nothing but comparable size
    result = rank([(Named("big", 1), big_twin), (Named("peer", 2), unrelated_peer)], CUSTOMER)
    assert [m.case.name for m in result] == ["peer", "big"]
    assert result[0].score < result[1].score  # it is the size rule, not the score, that decides
    assert result[1].far_larger and not result[0].far_larger


def test_arr_far_above_counts_as_far_larger_when_the_size_is_unknown():
    customer = profile("retail", None, "smb", "CRM")
    enterprise = profile("retail", "1_50", "enterprise", "CRM")
    mid = profile("retail", "1_50", "mid_market", "CRM")
    assert ordered([("enterprise", enterprise), ("mid", mid)], customer) == ["mid", "enterprise"]


def test_smaller_cases_are_not_hidden_below_far_larger_ones():
    customer = profile("retail", "1001_5000", "enterprise", "CRM")
    tiny = profile("retail", "1_50", "tech_touch", "CRM")
    assert ordered([("tiny", tiny)], customer) == ["tiny"]
    assert not rank([(Named("tiny", 1), tiny)], customer)[0].far_larger


@pytest.mark.django_db
def test_account_panel_ranking_from_the_database(org):
    account = org.accounts["csm_a1"][0]
    account.industry, account.arr = "retail", Decimal("20000")  # SMB under the CNY bands
    account.save()
    CompanySize.objects.create(account=account, size_band="1_50")
    PurchasedProduct.objects.create(account=account, product="CRM")
    big = approved_case(
        org.csm_a2, org.manager_a, title="Big", size_band="5000_plus", arr_band="enterprise", products=["CRM"]
    )
    peer = approved_case(org.csm_a2, org.manager_a, title="Peer", size_band="51_200", products=["crm"])
    approved_case(org.csm_a2, org.manager_a, title="Other industry", industry="energy", size_band="1_50")
    draft_fields = {
        "industry": "retail",
        "size_band": "1_50",
        "arr_band": "smb",
        "problem": "p",
        "approach": "a",
        "result": "r",
    }
    from knowledge.services import case_create

    case_create(actor=org.csm_a1, title="Draft, not in the library", **draft_fields)
    titles = [m.case.title for m in cases_for_account(account=account)]
    assert titles == ["Peer", "Other industry", "Big"]
    assert cases_for_account(account=account)[0].shared_products == ("crm",)
    assert peer.pk and big.pk
