"""Every page fits its window: no horizontal page scroll at 1440x900 or 390x844, in English
and in Chinese, for an admin and a CSM, with data that stresses the layout (an unbroken
long word in a subject, a long body). Every page is also saved as a screenshot to
``test-artifacts/visual/`` for a person to review.

The pages are those of the permission matrix (``matrix_get_pages``), so a new page is
checked the day it lands. One browser context per role, language and width; each page is
checked once it has loaded and its htmx ``load`` fragments have arrived, no other waits.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import TimelineEntry
from playbooks.models import Task
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_zh_hans_pages import NOT_PAGES, migration_seeds  # noqa: F401 - a fixture
from tests.factories import PASSWORD
from tests.matrix_support import OK, PROFILES
from tests.test_permission_matrix import MATRIX, targets  # noqa: F401 - the matrix's objects, as a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

VISUAL = ARTIFACTS / "visual"
WIDTHS = {"1440": {"width": 1440, "height": 900}, "390": {"width": 390, "height": 844}}
LANGUAGES = ("en", "zh-hans")
LONG_WORD = "Supercalifragilistic" * 8  # 160 characters without a break point
LONG_BODY = "\n\n".join(f"Paragraph {n}: " + "the customer said a lot of things. " * 30 for n in range(40))

# Links that answer with a redirect to another site (a tracked click in a program email).
SENDS_AWAY = ("click",)
# What overflows, and where: the outermost elements that reach past the window's right
# edge while their parent does not (the parent that clips or scrolls them is fine).
OVERFLOW_JS = """
() => {
  const width = window.innerWidth;
  const result = {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, culprits: []};
  if (result.scrollWidth <= width) return result;
  const clips = (el) => {
    for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      const overflow = getComputedStyle(node).overflowX;
      if (overflow !== 'visible') return true;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + [...el.classList].slice(0, 3).join('.') : '');
  for (const el of document.body.querySelectorAll('*')) {
    const right = el.getBoundingClientRect().right + window.scrollX;
    const parent = el.parentElement;
    if (right <= width + 1 || !parent || clips(el)) continue;
    if (parent !== document.body && parent.getBoundingClientRect().right + window.scrollX > width + 1) continue;
    result.culprits.push(name(parent) + ' > ' + name(el) + ' ' + Math.round(right) + 'px');
    if (result.culprits.length >= 4) break;
  }
  return result;
}
"""
# An htmx fragment (a table body, a panel) has no stylesheet of its own.
FULL_PAGE_JS = "() => document.querySelector('link[rel=stylesheet]') !== null"
# htmx swaps in the fragments a page asks for on load (an account's tasks, its stage).
HTMX_SETTLED_JS = "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"


def pages_for(role: str, objects: dict[str, Any]) -> dict[str, str]:
    """URL name -> URL of every GET page of the permission matrix that ``role`` may open."""
    pages = {}
    for name, entry in sorted(MATRIX.items()):
        if entry.method != "get" or name.startswith("api:") or PROFILES[entry.profile][role] != OK:
            continue
        if any(word in name for word in NOT_PAGES + SENDS_AWAY) or name == "login":
            continue
        kwargs = {key: getattr(objects[target], "pk", objects[target]) for key, target in entry.kwargs}
        pages[name] = reverse(name, kwargs=kwargs or None)
    return pages


def stress_data(objects: dict[str, Any]) -> None:
    """Content that used to widen or lengthen pages: a long unbroken word, a long body."""
    account = objects["account"]
    TimelineEntry.objects.filter(pk=objects["timeline_entry"].pk).update(
        title=f"Call about {LONG_WORD}", body=LONG_BODY
    )
    TimelineEntry.objects.create(
        account=account, kind="note", is_touchpoint=True, title=LONG_WORD, body=LONG_WORD,
        occurred_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    Task.objects.filter(pk=objects["task"].pk).update(title=f"Follow up {LONG_WORD}", description=LONG_BODY)


def log_in(browser: Any, base_url: str, username: str) -> Any:
    """The session cookies of ``username``, logged in through the form."""
    context = browser.new_context(base_url=base_url)
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    assert "/login/" not in page.url, f"{username} could not log in"
    state = context.storage_state()
    context.close()
    return state


def open_page(context: Any, broken: list[str]) -> Any:
    """A page that reports what our Content-Security-Policy blocks and any missing file."""
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda m: broken.append(m.text) if "Content Security Policy" in m.text else None)
    page.on(
        "response",
        lambda r: broken.append(f"404 {r.url}") if r.status == 404 and r.request.resource_type != "document" else None,
    )
    return page


def check(page: Any, url: str, shot: str) -> str | None:
    """Opens ``url``; returns how it overflows (None when it fits or is not a page)."""
    response = page.goto(url, wait_until="load")
    if response is None or "text/html" not in response.headers.get("content-type", ""):
        return None
    if not page.evaluate(FULL_PAGE_JS):
        return None  # an htmx fragment: checked inside the page that loads it
    page.wait_for_function(HTMX_SETTLED_JS)
    fit = page.evaluate(OVERFLOW_JS)
    page.screenshot(path=str(VISUAL / f"{shot}.png"), full_page=True)
    if fit["scrollWidth"] <= fit["innerWidth"]:
        return None
    return f"{fit['scrollWidth']}px wide; {fit['culprits']}"


@pytest.fixture
def sweep(browser: Any, live_server: Any, migration_seeds: None, org: Any, targets: dict) -> Iterator[Any]:  # noqa: F811
    """Visits a role's pages in every language and width; returns what did not fit."""
    stress_data(targets)
    VISUAL.mkdir(parents=True, exist_ok=True)
    host = live_server.url.split("//", 1)[1].split(":", 1)[0]
    broken: list[str] = []

    def run(
        role: str, widths: tuple[str, ...] = tuple(WIDTHS), languages: tuple[str, ...] = tuple(LANGUAGES)
    ) -> tuple[int, list[str]]:
        state = log_in(browser, live_server.url, getattr(org, role).username)
        pages = pages_for(role, targets)
        problems: list[str] = []
        for language in languages:
            for width in widths:
                viewport = WIDTHS[width]
                context = browser.new_context(base_url=live_server.url, viewport=viewport, storage_state=state)
                cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "domain": host, "path": "/"}
                context.add_cookies([cookie])
                try:
                    page = open_page(context, broken)
                    for name, url in pages.items():
                        if found := check(page, url, f"{role}-{language}-{width}-{name.replace(':', '-')}"):
                            problems.append(f"{name} ({url}) {language} at {width}px: {found}")
                finally:
                    context.close()
        return len(pages), problems

    yield run
    assert broken == [], broken


# One test per language and width: each visits every page once, within the per-test timeout
# even on a busy machine.
@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_page_fits_for_an_admin(sweep, language, width):
    count, problems = sweep("admin", widths=(width,), languages=(language,))
    assert count > 60
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_page_fits_for_a_csm(sweep, language):
    # The admin's sweep covers the same templates at both widths; a CSM's pages are checked
    # where a CSM's own data is laid out most tightly, on a phone.
    count, problems = sweep("csm_a1", widths=("390",), languages=(language,))
    assert count > 40
    assert problems == [], "\n".join(problems)
