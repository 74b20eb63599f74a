"""The accounts list page renders its rows, sort links and filter widgets in Python
(``accounts.book_page``, ``core.widgets``, ``core.markup``): the same markup as the
templates and Django widgets they replace, and no query per row."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from accounts.book_page import pk_url_builder, sort_queries
from accounts.models import Account
from core.markup import attrs_html, format_html_fast
from core.widgets import InlineCheckboxSelectMultiple, InlineSelect, InlineSelectMultiple
from health.models import HealthScore
from playbooks.models import AccountStage, Stage
from tests.factories import AccountFactory

CHOICES = [("a", "Alpha & co"), ("b", gettext_lazy("Active")), ("<c>", mark_safe("<em>Safe</em>"))]
GROUPED = [("Group <1>", [("a", "A"), ("b", "B")]), ("c", "C")]


def normalised(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()


@pytest.mark.parametrize(
    ("ours", "django_widget"),
    [
        (InlineSelect, forms.Select),
        (InlineSelectMultiple, forms.SelectMultiple),
        (InlineCheckboxSelectMultiple, forms.CheckboxSelectMultiple),
    ],
)
@pytest.mark.parametrize("choices", [CHOICES, GROUPED])
@pytest.mark.parametrize("value", [None, "a", ["a", "<c>"]])
@pytest.mark.parametrize("attrs", [{"id": "id_x", "class": "form-select"}, {}, {"data-x": 'q"uote', "required": True}])
def test_inline_widgets_render_what_django_renders(ours, django_widget, choices, value, attrs):
    expected = django_widget(choices=choices).render("x", value, attrs=attrs)
    assert normalised(ours(choices=choices).render("x", value, attrs=attrs)) == normalised(expected)


def test_format_html_fast_escapes_like_format_html():
    args = ("<b>", gettext_lazy("Active"), mark_safe("<i>ok</i>"), 5, None, "\"'&")
    assert format_html_fast("{} {} {} {} {} {}", *args) == format_html("{} {} {} {} {} {}", *args)
    assert format_html_fast("{a}{b}", a="<", b=mark_safe("<")) == format_html("{a}{b}", a="<", b=mark_safe("<"))
    assert attrs_html({"id": "x<", "checked": True, "hidden": False}) == ' id="x&lt;" checked'
    others = (True, False, -3, 2.5, Decimal("1.50"), Stage.STEADY, AccountStage)
    assert format_html_fast("{}|" * len(others), *others) == format_html("{}|" * len(others), *others)


@pytest.mark.django_db
def test_detail_urls_are_those_reverse_gives(org):
    detail_url = pk_url_builder("accounts:detail")
    for pk in (1, 42, 2147483647):
        assert detail_url(pk) == reverse("accounts:detail", args=[pk])


def test_sort_links_toggle_the_current_column():
    links = sort_queries("q=a%26b", "arr")
    assert links["arr"] == "q=a%26b&ordering=-arr"
    assert links["name"] == "q=a%26b&ordering=name"
    assert sort_queries("", "-arr")["arr"] == "&ordering=arr"


@pytest.mark.django_db
def test_rows_show_every_column(client, org):
    today = timezone.localdate()
    scored, staged = org.accounts["csm_a1"]
    Account.objects.filter(pk=scored.pk).update(
        name="<Acme> & Sons", external_id="X-1", arr=Decimal("1234567.8"), go_live_date=today, dossier_score=85
    )
    HealthScore.objects.create(account=scored, day=today - timedelta(days=7), score=70, colour="green")
    HealthScore.objects.create(account=scored, day=today, score=58, colour="yellow")
    AccountStage.objects.create(account=staged, stage=Stage.RENEWAL_WINDOW, entered_on=today - timedelta(days=1))
    client.force_login(org.csm_a1)

    html = client.get(reverse("accounts:list")).content.decode()

    assert f'<a href="/accounts/{scored.pk}/">&lt;Acme&gt; &amp; Sons</a>' in html
    assert '<span class="text-muted small ms-1">X-1</span>' in html
    assert '<td class="text-end">¥1,234,568</td>' in html
    assert '<span class="badge hg-health-yellow">58</span> <span class="small text-danger">-12</span>' in html
    assert '<span class="badge text-bg-success">85</span>' in html
    assert f"<td>{today.isoformat()}</td>" in html
    assert (
        '<span class="badge text-bg-light hg-stage-renewal_window">Renewal window</span> '
        '<span class="small text-muted" title="Days in stage">1 day</span>'
    ) in html
    assert html.count('data-testid="account-row"') == 2


@pytest.mark.django_db
def test_rows_in_chinese(client, org):
    AccountStage.objects.create(
        account=org.accounts["csm_a1"][0], stage=Stage.STEADY, entered_on=timezone.localdate() - timedelta(days=3)
    )
    client.force_login(org.admin)
    with translation.override("zh-hans"):
        html = client.get(reverse("accounts:list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "3 天" in html
    assert '<span class="text-muted">Unassigned</span>' not in html and 'title="Days in stage"' not in html


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True])
def test_query_count_is_the_same_for_one_row_and_a_full_page(client, org, htmx):
    client.force_login(org.csm_a1)
    Account.objects.all().delete()
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/accounts/?ordering=-health_score", **headers).status_code == 200
        return len(ctx.captured_queries)

    AccountFactory(owner=org.csm_a1)
    one = count()
    today = timezone.localdate()
    for i in range(59):
        account = AccountFactory(owner=org.csm_a1 if i % 3 else None, external_id=f"N-{i}")
        HealthScore.objects.create(account=account, day=today, score=50 + i % 40, colour="yellow")
        AccountStage.objects.create(account=account, stage=Stage.STEADY, entered_on=today - timedelta(days=i))
    assert count() == one
