"""Seed 003's compensation structures by stage, reproduced."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from capacity.compensation import EARLY, GROWTH, MATURE, compensation_hint


@pytest.mark.parametrize(
    ("contracts", "rate", "stage", "split"),
    [
        (5, Decimal("0.95"), EARLY, "9:1 – 8:2"),  # "about 5 contracts a year each"
        (5, None, EARLY, "9:1 – 8:2"),
        (50, Decimal("0.70"), GROWTH, "5:5 – 6:4"),  # "50 or more a year"
        (80, None, GROWTH, "5:5 – 6:4"),
        (60, Decimal("0.85"), MATURE, "5:4:1 – 5:3:2"),  # "renewal rate 85% or more"
        (120, Decimal("0.92"), MATURE, "5:4:1 – 5:3:2"),
        (30, Decimal("0.60"), GROWTH, "5:5 – 6:4"),
    ],
)
def test_seed_003_cases(contracts: int, rate: Decimal | None, stage: str, split: str) -> None:
    hint = compensation_hint(contracts_per_csm_year=contracts, renewal_rate=rate)
    assert (hint.stage, hint.split) == (stage, split)
    assert hint.reasons[0].startswith(f"{contracts} contracts per CSM a year")


def test_in_between_case_says_so() -> None:
    hint = compensation_hint(contracts_per_csm_year=30, renewal_rate=Decimal("0.6"))
    assert any("start at the 6:4 end" in reason for reason in hint.reasons)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        compensation_hint(contracts_per_csm_year=-1, renewal_rate=None)
    with pytest.raises(ValueError):
        compensation_hint(contracts_per_csm_year=5, renewal_rate=Decimal("1.5"))


def test_team_page_shows_the_hint_for_managers_only(client: Any, org: Any, capacity_defaults: Any) -> None:
    client.force_login(org.manager_a)
    page = client.get(reverse("capacity:team"), {"contracts": "60", "renewal_rate": "90"}).content.decode()
    assert "5:4:1 – 5:3:2" in page and "Fixed + commission + bonus" in page
    page = client.get(reverse("capacity:team"), {"contracts": "many", "renewal_rate": "90"}).content.decode()
    assert "Enter a whole number of contracts" in page
    client.force_login(org.csm_a1)
    assert 'data-testid="compensation"' not in client.get(reverse("capacity:team")).content.decode()
