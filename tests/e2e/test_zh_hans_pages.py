"""A CSM whose language is zh-hans sees no English UI text: every visible text node that
equals an English msgid of the catalogue with a different Chinese msgstr is a failure.
Names, ids, numbers and demo company names are data, not msgids, so they pass."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import Account
from capacity.demo import DEMO_PASSWORD
from capacity.services import capacity_defaults_ensure
from org.models import CsProfile
from playbooks.defaults import install_default_playbooks
from playbooks.models import Playbook, PlaybookStep, Task
from renewals.models import DEFAULT_CHURN_REASONS, ChurnReason
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PASSWORD
from tests.i18n_catalogue import zh_hans_catalogue
from tests.test_permission_matrix import targets  # noqa: F401 - the matrix's objects, as a fixture
from workspace.demo import demo_seed

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Visible text nodes, plus what a user reads without it being a text node: placeholders,
# button values, titles and the options of visible selects.
VISIBLE_TEXTS_JS = """
() => {
  const visible = (el) => {
    if (!el) return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    return el.getClientRects().length > 0;
  };
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'OPTION'].includes(parent.tagName)) continue;
    if (parent.closest('.visually-hidden, [aria-hidden=true]')) continue;
    // Identifiers shown as code (CSV columns, JSON keys) are not UI text.
    if (parent.closest('code, kbd, samp, pre')) continue;
    if (node.textContent.trim() && visible(parent)) texts.push(node.textContent);
  }
  for (const el of document.querySelectorAll('[placeholder], [title], input[type=submit][value]')) {
    if (!visible(el)) continue;
    for (const name of ['placeholder', 'title', 'value']) {
      if (el.hasAttribute(name) && (name !== 'value' || el.type === 'submit')) texts.push(el.getAttribute(name));
    }
  }
  // The language menu and a language choice (a program email's preview) name each
  // language in its own language ("English", "简体中文").
  for (const select of document.querySelectorAll('select:not(#hg-language):not([name=language])')) {
    if (visible(select)) for (const option of select.options) texts.push(option.textContent);
  }
  return texts;
}
"""
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{|\{%")
# The product's name and terms kept in English in the Chinese UI too.
SAME_IN_BOTH = {"Hourglass", "ARR", "NPS", "CSAT", "API", "CRM", "CSV", "QBR", "OK"}


def english_msgids() -> dict[str, str]:
    """English text -> its Chinese, for msgids a page can show verbatim (no placeholders)."""
    english: dict[str, str] = {}
    for message in zh_hans_catalogue().values():
        if not message.translated:
            continue
        for text, chinese in ((message.msgid, message.msgstrs[0]), (message.msgid_plural, message.msgstrs[-1])):
            if text and not PLACEHOLDER.search(text) and text != chinese and text not in SAME_IN_BOTH:
                english.setdefault(text, chinese)
    return english


def untranslated_on(page: Any, english: dict[str, str]) -> list[tuple[str, str]]:
    found = set()
    for raw in page.evaluate(VISIBLE_TEXTS_JS):
        text = " ".join(raw.split())
        if text == "---------":  # Django's empty choice: say what empty means, in words
            found.add((text, "全部 / 未分配 / …"))
        for candidate in (text, text.rstrip(":：…").strip()):
            if candidate in english:
                found.add((candidate, english[candidate]))
    return sorted(found)


def report(problems: dict[str, list[tuple[str, str]]], filename: str) -> None:
    """What a failure found, in full (pytest truncates the assertion), for review."""
    ARTIFACTS.mkdir(exist_ok=True)
    lines = [
        f"{where}: {text!r} (catalogue: {chinese})" for where, found in problems.items() for text, chinese in found
    ]
    (ARTIFACTS / filename).write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def zh_csm_page(migration_seeds: None, page: Any) -> Any:
    """The demo data set, and its CSM csm.li logged in with Chinese as their language."""
    demo_seed(seed=7, accounts=24)
    CsProfile.objects.filter(user__username="csm.li").update(language="zh-hans")
    page.goto("/login/")
    page.fill("#id_username", "csm.li")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/my-day/")
    return page


def test_a_chinese_csm_sees_no_english_on_my_day_the_book_an_account_and_the_task_list(zh_csm_page, screenshot):
    page = zh_csm_page
    english = english_msgids()
    assert len(english) > 1000
    account = Account.objects.filter(owner__username="csm.li").order_by("-arr").first()
    task = Task.objects.filter(assignee__username="csm.li").first()
    assert account is not None and task is not None
    pages = {
        "my-day": reverse("my_day"),
        "book": reverse("accounts:list"),
        "account": reverse("accounts:detail", args=[account.pk]),
        "task-list": reverse("playbooks:task_list"),
        "task": reverse("playbooks:task_detail", args=[task.pk]),
    }
    problems = {}
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "zh-hans", url
        screenshot(f"zh-hans-{name}")
        if found := untranslated_on(page, english):
            problems[url] = found
    report(problems, "zh-hans-untranslated.txt")
    assert problems == {}


def test_the_check_catches_an_english_msgid_left_on_a_chinese_page(zh_csm_page):
    page = zh_csm_page
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p>Overdue contacts</p><p>Acme 42</p>')")
    english = english_msgids()
    assert ("Overdue contacts", english["Overdue contacts"]) in untranslated_on(page, english)
    assert [text for text, _ in untranslated_on(page, english) if text == "Acme 42"] == []


# Pages a browser does not render as a page (files, feeds, machine endpoints), by URL name.
NOT_PAGES = ("export", "csv", "ics", "feed", "download", "rejected", "metrics", "healthz", "schema", "logout")


# Customer-facing pages (a survey, its unsubscribe links) speak the recipient's language;
# a program email's tracked link redirects to the customer's site.
RECIPIENT_LANGUAGE_PAGES = {
    "outreach:respond",
    "outreach:unsubscribe",
    "outreach:program_unsubscribe",
    "outreach:program_click",
}
# Pages where the sweep may find English, each with the reason; none today. Any page
# with English fails the test, and so does a fix (take its line out then).
KNOWN_PAGES: dict[str, str] = {}


def matrix_get_pages(objects: dict[str, Any]) -> dict[str, str]:
    """URL name -> URL of every GET page of the permission matrix an admin may open."""
    from tests.matrix_support import OK, PROFILES
    from tests.test_permission_matrix import MATRIX

    pages = {}
    for name, entry in sorted(MATRIX.items()):
        if entry.method != "get" or name.startswith("api:") or PROFILES[entry.profile]["admin"] != OK:
            continue
        if any(word in name for word in NOT_PAGES) or name in RECIPIENT_LANGUAGE_PAGES:
            continue
        kwargs = {key: getattr(objects[target], "pk", objects[target]) for key, target in entry.kwargs}
        pages[name] = reverse(name, kwargs=kwargs or None)
    return pages


@pytest.fixture
def migration_seeds(db: None) -> None:
    """What migrations seed and a transactional test flushes: churn reasons, the capacity
    defaults (activity types), the built-in playbooks."""
    for order, (code, label) in enumerate(DEFAULT_CHURN_REASONS, start=1):
        ChurnReason.objects.get_or_create(code=code, defaults={"label": label, "sort_order": order * 10})
    capacity_defaults_ensure()
    install_default_playbooks(Playbook, PlaybookStep)


def test_every_get_page_of_the_url_conf_is_chinese_for_a_chinese_admin(migration_seeds, page, org, targets):  # noqa: F811
    CsProfile.objects.filter(user=org.admin).update(language="zh-hans")
    page.goto("/login/")
    page.fill("#id_username", org.admin.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    english = english_msgids()
    pages = matrix_get_pages(targets)
    assert len(pages) > 60
    problems = {}
    for name, url in pages.items():
        response = page.goto(url)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        if found := untranslated_on(page, english):
            problems[name] = found
    report(problems, "zh-hans-untranslated-all-pages.txt")
    assert sorted(problems) == sorted(KNOWN_PAGES)
