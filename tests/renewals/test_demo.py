from __future__ import annotations

import pytest
from django.core.management import call_command

from renewals.models import Contract, RenewalOpportunity, RenewalStatus

pytestmark = pytest.mark.django_db


def snapshot():
    return list(
        Contract.objects.order_by("account__external_id", "start_date").values_list(
            "account__external_id", "start_date", "end_date", "arr", "products", "renewal__status"
        )
    )


def test_demo_contracts_are_deterministic_and_cover_the_pipeline():
    call_command("seed_demo", "--seed", "5", "--accounts", "80")
    first = snapshot()
    call_command("seed_demo", "--seed", "5", "--accounts", "80", "--reset")
    assert snapshot() == first
    statuses = set(RenewalOpportunity.objects.values_list("status", flat=True))
    assert {RenewalStatus.OPEN, RenewalStatus.RENEWED} <= statuses
    assert Contract.objects.filter(previous__isnull=False).exists()  # closed renewals started a next period
