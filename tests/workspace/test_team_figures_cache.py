"""The team page keeps its figures a few minutes per viewer; refresh and capacity changes recompute."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from capacity.models import CapacitySettings
from capacity.rebalancing import MoveRequest, rebalance_apply
from tests.conftest import login
from tests.factories import AccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("capacity_defaults")]

TEAM = reverse("capacity:team")


def accounts_of(response, username: str) -> int:
    return next(row.accounts for row in response.context["rows"] if row.user.username == username)


def test_figures_are_kept_and_shown_with_their_time_until_refreshed(client, org):
    login(client, org.manager_a)
    first = client.get(TEAM)
    assert accounts_of(first, "csm_a1") == 2
    assert not first.context["figures"].cached
    html = first.content.decode()
    assert 'data-testid="figures-as-of"' in html and "?refresh=1" in html

    AccountFactory(owner=org.csm_a1, name="Signed today")
    cached = client.get(TEAM)
    assert cached.context["figures"].cached
    assert accounts_of(cached, "csm_a1") == 2  # as of the time shown
    assert cached.context["figures"].computed_at == first.context["figures"].computed_at

    refreshed = client.get(TEAM + "?refresh=1")
    assert not refreshed.context["figures"].cached
    assert accounts_of(refreshed, "csm_a1") == 3
    assert accounts_of(client.get(TEAM), "csm_a1") == 3  # the refreshed figures are the cached ones now


def test_cached_figures_are_never_shared_between_viewers(client, org):
    login(client, org.admin).get(TEAM)  # the admin's figures (every CSM) are cached
    csm_rows = [row.user.username for row in login(client, org.csm_a1).get(TEAM).context["rows"]]
    assert csm_rows == ["csm_a1"]
    manager_rows = sorted(row.user.username for row in login(client, org.manager_b).get(TEAM).context["rows"])
    assert manager_rows == ["csm_b1"]


def test_applying_a_rebalancing_recomputes_the_figures(client, org, django_capture_on_commit_callbacks):
    login(client, org.manager_a)
    assert accounts_of(client.get(TEAM), "csm_a2") == 2
    account = org.accounts["csm_a1"][0]
    move = MoveRequest(account_id=account.pk, from_id=org.csm_a1.pk, to_id=org.csm_a2.pk)
    with django_capture_on_commit_callbacks(execute=True):
        result = rebalance_apply(actor=org.manager_a, moves=[move])
    assert result.moved
    after = client.get(TEAM)
    assert not after.context["figures"].cached
    assert accounts_of(after, "csm_a2") == 3 and accounts_of(after, "csm_a1") == 1


def test_changing_the_capacity_settings_recomputes_the_figures(client, org):
    login(client, org.manager_a)
    client.get(TEAM)
    settings_row = CapacitySettings.objects.get(pk=1)
    settings_row.csm_annual_cost = Decimal("123456")
    settings_row.save()
    assert not client.get(TEAM).context["figures"].cached


def test_zero_seconds_turns_the_cache_off(client, org, settings):
    settings.HOURGLASS_TEAM_FIGURES_CACHE_SECONDS = 0
    login(client, org.manager_a)
    client.get(TEAM)
    AccountFactory(owner=org.csm_a1)
    response = client.get(TEAM)
    assert not response.context["figures"].cached
    assert accounts_of(response, "csm_a1") == 3
