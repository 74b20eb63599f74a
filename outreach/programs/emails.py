"""Program emails: merge fields, the signed click and unsubscribe links, the bodies.

A step's email is queued with its subject and ``render_with=PROGRAM_RENDERER``; the
outbox's delivery worker renders the bodies here (in the language stored on the step
run) and adds the ``List-Unsubscribe`` headers. The link of a step goes through
``/outreach/c/<token>/`` (a ``django.core.signing`` signature of the step run's id),
which records the click and redirects to the step's own URL, read from the database:
the token carries no address, so it cannot be turned into an open redirect. With
``HOURGLASS_PROGRAM_CLICK_TRACKING`` off, the email links to the step's URL directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Max, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Account, Stakeholder
from core.people import display_name
from health.models import DailyRollup

from ..models import Enrollment, ProgramStep, StepRun

PROGRAM_RENDERER = "outreach.program"
USAGE_DAYS = 30
_CLICK = signing.Signer(salt="outreach.program.click")
_UNSUBSCRIBE = signing.Signer(salt="outreach.program.unsubscribe")
MERGE_NAMES = ("contact_name", "account_name", "csm_name", "events_30d", "active_users_30d")


def click_token(run_id: int) -> str:
    return _CLICK.sign(str(run_id))


def unsubscribe_token(enrollment_id: int) -> str:
    return _UNSUBSCRIBE.sign(str(enrollment_id))


def _unsign(signer: signing.Signer, token: str) -> int | None:
    try:
        value = signer.unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def run_id_from_click_token(token: str) -> int | None:
    return _unsign(_CLICK, token)


def enrollment_id_from_unsubscribe_token(token: str) -> int | None:
    return _unsign(_UNSUBSCRIBE, token)


def _absolute(path: str) -> str:
    return settings.HOURGLASS_BASE_URL.rstrip("/") + path


@dataclass(frozen=True)
class Usage:
    events: int
    active_users: int


def usage_by_account(account_ids: Any, *, today: Any = None) -> dict[int, Usage]:
    """Events and the most active users of a day over the last 30 days: one query
    (``account_ids``: a list, or a query of account ids)."""
    today = today or timezone.localdate()
    rows = (
        DailyRollup.objects.filter(account_id__in=account_ids, day__gt=today - timedelta(days=USAGE_DAYS))
        .values("account_id")
        .annotate(total=Sum("events"), users=Max("active_users"))
        .order_by()
    )
    return {row["account_id"]: Usage(int(row["total"] or 0), int(row["users"] or 0)) for row in rows}


def program_merge(*, stakeholder: Stakeholder | None, account: Account, usage: Usage | None) -> dict[str, str]:
    """Merge data (call it in the email's language): a neutral phrase for what is missing."""
    owner = account.owner
    return {
        "contact_name": (stakeholder.name.strip() if stakeholder else "") or _("there"),
        "account_name": account.name.strip() or _("your company"),
        "csm_name": (display_name(owner) if owner is not None else "").strip() or _("your customer success team"),
        "events_30d": str(usage.events if usage else 0),
        "active_users_30d": str(usage.active_users if usage else 0),
    }


def _merged(text: str, merge: dict[str, str]) -> str:
    for name, value in merge.items():
        text = text.replace("{" + name + "}", value)
    return text


def _field(step: ProgramStep, name: str, language: str) -> str:
    suffix = "zh_hans" if language.lower().startswith("zh") else "en"
    return str(getattr(step, f"{name}_{suffix}") or "").strip() or str(getattr(step, f"{name}_en") or "").strip()


def step_subject(step: ProgramStep, *, language: str, merge: dict[str, str]) -> str:
    with translation.override(language):
        return _merged(_field(step, "subject", language) or _("News from your customer success team"), merge)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def step_email(step: ProgramStep, enrollment: Enrollment, *, language: str, run_id: int | None = None) -> RenderedEmail:
    """The email of ``step`` for ``enrollment`` in ``language``. Without ``run_id`` (a
    preview or a test send) the link points to the step's URL and nothing is tracked."""
    account = enrollment.account
    usage = usage_by_account([account.pk]).get(account.pk)
    with translation.override(language):
        stakeholder = enrollment.stakeholder if enrollment.stakeholder_id else None
        merge = program_merge(stakeholder=stakeholder, account=account, usage=usage)
        link = step.link_url
        if link and run_id is not None and settings.HOURGLASS_PROGRAM_CLICK_TRACKING:
            link = _absolute(reverse("outreach:program_click", args=[click_token(run_id)]))
        context: dict[str, Any] = {
            "subject": step_subject(step, language=language, merge=merge),
            "paragraphs": [part for part in _merged(_field(step, "body", language), merge).split("\n\n") if part],
            "link": link,
            "link_text": _merged(_field(step, "link_text", language), merge) or _("Open"),
            "unsubscribe_url": _absolute(
                reverse("outreach:program_unsubscribe", args=[unsubscribe_token(enrollment.pk)])
            ),
            "merge": merge,
        }
        return RenderedEmail(
            subject=context["subject"],
            text=render_to_string("outreach/email/program.txt", context),
            html=render_to_string("outreach/email/program.html", context),
        )


def program_email_render(*, enrollment_id: int, step_id: int) -> tuple[str, str]:
    """(text, HTML) of a queued step email, in the language stored on its step run."""
    run = StepRun.objects.select_related("step", "enrollment__account__owner", "enrollment__stakeholder").get(
        enrollment_id=enrollment_id, step_id=step_id
    )
    email = step_email(run.step, run.enrollment, language=run.language or settings.LANGUAGE_CODE, run_id=run.pk)
    return email.text, email.html


def program_email_headers(*, enrollment_id: int, step_id: int) -> dict[str, str]:
    url = _absolute(reverse("outreach:program_unsubscribe", args=[unsubscribe_token(enrollment_id)]))
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
