"""The account page's work area: one tab per kind of work, each with its own URL.

Activity is rendered in the page's first response; the others are fetched by htmx the
first time they are shown (``/accounts/<pk>/tab/<slug>/``), so the page paints before
the dossier, the people or the health history are read. Each builder reads a constant
number of queries whatever the account's size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.dossier import dossier_overview
from accounts.models import Account, TouchpointKind
from accounts.reviews import can_review, latest_review
from accounts.selectors import stakeholder_rows, stakeholders_for_account, timeline_for_account
from config.http import HtmxHttpRequest
from playbooks.selectors import account_tasks

from .touch import kind_from_entries, kind_labels, touch_form

TIMELINE_PAGE = 100
TASKS_SHOWN = 50
HISTORY_SHOWN = 20


@dataclass(frozen=True)
class Tab:
    slug: str
    label: Promise


TABS = (
    Tab("activity", pgettext_lazy("account tab", "Activity")),
    Tab("dossier", pgettext_lazy("account tab", "Dossier")),
    Tab("people", pgettext_lazy("account tab", "People")),
    Tab("renewal", _("Renewal & expansion")),
    Tab("health", pgettext_lazy("account tab", "Health")),
    Tab("knowledge", pgettext_lazy("account tab", "Knowledge")),
)
TAB_SLUGS = tuple(tab.slug for tab in TABS)


def timeline_context(request: HtmxHttpRequest, account: Account, **extra: Any) -> dict[str, Any]:
    """The timeline (filtered by ``?kind=``) and the log-a-touch form."""
    kind = request.GET.get("kind", "")
    if kind not in TouchpointKind.values:
        kind = ""
    timeline = list(
        timeline_for_account(
            account=account, kinds=[kind] if kind else None, touchpoints_only=request.GET.get("only") == "touchpoints"
        )[:TIMELINE_PAGE]
    )
    form = extra.pop("touchpoint_form", None)
    if form is None:
        # The kind filtered on, else the one the timeline just read suggests.
        form = touch_form(request, account, kind or kind_from_entries(timeline, user=request.user))
    return {
        "timeline": timeline,
        "timeline_kind": kind,
        "touchpoint_kinds": TouchpointKind.choices,
        "touch_kind_labels": kind_labels(),
        "touchpoint_form": form,
        **extra,
    }


def _tasks(account: Account) -> list[Any]:
    tasks = list(account_tasks(account=account)[:TASKS_SHOWN])
    for task in tasks:
        task.account = account  # the rows name their account: this one, already read
    return tasks


def activity_context(request: HtmxHttpRequest, account: Account, **extra: Any) -> dict[str, Any]:
    """The Activity tab: the timeline and its form, and the account's tasks."""
    return {
        **timeline_context(request, account, **extra),
        "tasks": _tasks(account),
        "today": timezone.localdate(),
        "compact": True,
    }


def _dossier(request: HtmxHttpRequest, account: Account) -> dict[str, Any]:
    return {
        "dossier": dossier_overview(account=account),
        "review": latest_review(account=account),
        "can_review": can_review(request.user),
        "history": account.history.select_related("history_user").order_by("-history_date")[:HISTORY_SHOWN],
    }


def _people(request: HtmxHttpRequest, account: Account) -> dict[str, Any]:
    return {
        "stakeholders_by_tier": stakeholder_rows(account=account),
        "former_stakeholders": stakeholders_for_account(account=account).filter(is_active=False),
    }


def _nothing(request: HtmxHttpRequest, account: Account) -> dict[str, Any]:
    # Renewal, health and knowledge: their apps' panels read what they need.
    return {}


BUILDERS: dict[str, Callable[[HtmxHttpRequest, Account], dict[str, Any]]] = {
    "activity": activity_context,
    "dossier": _dossier,
    "people": _people,
    "renewal": _nothing,
    "health": _nothing,
    "knowledge": _nothing,
}


def tab_context(request: HtmxHttpRequest, account: Account, slug: str) -> dict[str, Any]:
    return {"account": account, "tab": slug, **BUILDERS[slug](request, account)}
