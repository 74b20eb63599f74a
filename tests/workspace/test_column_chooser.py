"""The column chooser (``org.columns``): saved per person and table, applied on the
book, renewals and team pages (and their htmx reloads), bad input refused, one query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from org.models import ColumnPreference

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("table", "page", "column"),
    [
        ("book", "accounts:list", "industry"),
        ("renewals", "renewals:list", "forecast"),
        ("team", "capacity:team", "load"),
    ],
)
def test_a_hidden_column_stays_hidden_for_that_person(client, org, table, page, column):
    client.force_login(org.csm_a1)
    response = client.post(reverse("column_preference", args=[table]), {"hidden": [column, "arr"]})
    assert response.status_code == 200 and response.json() == {"hidden": ["arr", column]}

    html = client.get(reverse(page)).content.decode()
    assert f"hg-hide-arr hg-hide-{column}" in html and 'data-testid="columns-menu"' in html
    assert f'data-col="{column}"' in html
    assert f"hg-hide-{column}" in client.get(reverse(page), **HTMX).content.decode()
    client.force_login(org.csm_a2)
    assert f"hg-hide-{column}" not in client.get(reverse(page)).content.decode()


@pytest.mark.django_db
def test_bad_input_is_refused(client, org):
    url = reverse("column_preference", args=["book"])
    assert client.post(url, {"hidden": ["arr"]}).status_code == 302  # login first
    client.force_login(org.csm_a1)
    response = client.post(url, {"hidden": ["<script>"]})
    assert response.status_code == 400 and "hidden" in response.json()["errors"]
    assert client.post(url, {"hidden": [f"c{i}" for i in range(41)]}).status_code == 400
    assert client.post(reverse("column_preference", args=["nope"]), {"hidden": ["arr"]}).status_code == 404
    assert client.get(url).status_code == 405
    assert not ColumnPreference.objects.exists()
    # Showing every column again is a choice too.
    client.post(url, {"hidden": ["arr"]})
    assert client.post(url, {}).json() == {"hidden": []}
    assert ColumnPreference.objects.get().hidden == []


@pytest.mark.django_db
def test_the_choice_costs_one_query_whatever_the_rows(client, org):
    client.force_login(org.csm_a1)
    client.post(reverse("column_preference", args=["book"]), {"hidden": ["industry"]})
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse("accounts:list"))
    assert sum("org_columnpreference" in q["sql"] for q in ctx.captured_queries) == 1
