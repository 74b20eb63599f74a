"""Message keys for timeline entries, risk flags and dossier-review notifications written
before texts were stored as keys (run by migration ``accounts 0010``).

Works on the models it is given (a migration's historical models, or the real ones in a
test). Only kinds whose values can be recovered are proposed; ``core.message_backfill``
keeps a proposal only if it renders back to the stored text. Alerts' entries are
health's (``health 0009``).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from core.message_backfill import Proposal, backfill, dates_in
from core.messages import Message, message, word
from core.people import name_from_parts

STAGE_FIELD = "playbooks.AccountStage.stage"
RENEWAL_STATUS_FIELD = "renewals.RenewalOpportunity.status"
VERDICT_FIELD = "accounts.DossierReview.verdict"
TIER_FIELD = "accounts.Stakeholder.tier"
NOBODY = word(gettext_noop("nobody"))


def _choice(path: str, code: Any) -> dict[str, Any]:
    return {"choice": path, "value": code}


class _Names:
    """Display names of users and names of stakeholders, read once for all rows."""

    def __init__(self, user_model: Any, stakeholder_model: Any, stakeholder_ids: set[int]) -> None:
        self.users = {
            pk: name_from_parts(first, last, username)
            for pk, first, last, username in user_model.objects.values_list("pk", "first_name", "last_name", "username")
        }
        people = stakeholder_model.objects.filter(pk__in=stakeholder_ids)
        self.stakeholders = {
            pk: (name, tier, title) for pk, name, tier, title in people.values_list("pk", "name", "tier", "title")
        }

    def person(self, pk: Any) -> Any:
        if pk is None:
            return NOBODY
        return self.users.get(pk)


def _owner_change(key: str, data: dict[str, Any], names: _Names) -> Message | None:
    old, new = names.person(data.get("from")), names.person(data.get("to"))
    if old is None or new is None:
        return None
    return message(key, old=old, new=new)


def timeline_proposal(entry: Any, names: _Names) -> Proposal | None:
    """The message (and body lines) an old system entry of a known kind was written from."""
    data = entry.data if isinstance(entry.data, dict) else {}
    kind = entry.kind
    if kind == "account_created":
        return message(gettext_noop("Account created")), ()
    if kind == "owner_changed":
        return _owner_change(gettext_noop("Owner changed: %(old)s → %(new)s"), data, names), ()
    if kind == "capacity_rebalanced":
        return _owner_change(gettext_noop("Reassigned by rebalancing: %(old)s → %(new)s"), data, names), ()
    if kind == "stakeholder_erased":
        return message(gettext_noop("A contact's personal data was erased")), ()
    if kind == "activity_drop_acknowledged":
        return message(gettext_noop("Activity drop alert acknowledged")), ()
    if kind == "activity_drop_resolved":
        return message(gettext_noop("Activity drop alert resolved")), ()
    if kind == "stakeholder_left" and data.get("stakeholder_id") in names.stakeholders:
        name, tier, _title = names.stakeholders[data["stakeholder_id"]]
        return message(gettext_noop("%(name)s (%(tier)s) left"), name=name, tier=data.get("tier", tier)), ()
    if kind == "renewal_customer_reminder_sent" and data.get("stakeholder_id") in names.stakeholders:
        name = names.stakeholders[data["stakeholder_id"]][0]
        return message(gettext_noop("Renewal reminder sent to %(name)s"), name=name), ()
    if kind == "dossier_reviewed" and data.get("verdict"):
        verdict = _choice(VERDICT_FIELD, data["verdict"])
        return message(gettext_noop("Dossier reviewed: %(verdict)s"), verdict=verdict), ()
    if kind == "stage_changed" and data.get("stage"):
        stage = _choice(STAGE_FIELD, data["stage"])
        body = (
            message(gettext_noop("Previous stage: %(stage)s."), stage=_choice(STAGE_FIELD, data["previous"]))
            if data.get("previous")
            else message(gettext_noop("First stage recorded for this account."))
        )
        return message(gettext_noop("Lifecycle stage: %(stage)s"), stage=stage), (body,)
    if kind == "renewal_at_risk" and data.get("due_date"):
        return message(gettext_noop("Renewal due %(date)s marked at risk"), date=data["due_date"]), ()
    if kind == "renewal_closed" and data.get("outcome") and len(dates_in(entry.title)) == 1:
        return message(
            gettext_noop("Renewal due %(date)s closed: %(outcome)s"),
            date=dates_in(entry.title)[0],
            outcome=_choice(RENEWAL_STATUS_FIELD, data["outcome"]),
        ), ()
    if kind == "renewal_lapsed" and dates_in(entry.title):
        return message(
            gettext_noop("Renewal due %(date)s lapsed: the date passed without a decision"),
            date=dates_in(entry.title),
        ), ()
    if kind == "contract_amended" and data.get("arr_delta") and data.get("effective_date"):
        delta = str(data["arr_delta"])
        key = (
            gettext_noop("Contract reduced by %(delta)s from %(date)s")
            if delta.startswith("-")
            else gettext_noop("Contract expanded by %(delta)s from %(date)s")
        )
        return message(key, delta=delta.lstrip("-"), date=data["effective_date"]), ()
    if kind == "renewal_reminder_sent" and isinstance(data.get("days_left"), int):
        return _reminder_subject(data["days_left"], entry.account.name), ()
    return None


def _reminder_subject(days_left: int, account: str) -> Message:
    if days_left < 0:
        return message(gettext_noop("Renewal overdue by %(days)s days: %(account)s"), days=-days_left, account=account)
    if days_left == 0:
        return message(gettext_noop("Renewal due today: %(account)s"), account=account)
    return message(gettext_noop("Renewal in %(days)s days: %(account)s"), days=days_left, account=account)


def risk_flag_proposal(flag: Any, names: _Names) -> Proposal | None:
    """Decision-chain flags raised when a key person left ("stakeholder-left:<id>")."""
    prefix = "stakeholder-left:"
    if not (flag.dedupe_key or "").startswith(prefix):
        return None
    try:
        person = names.stakeholders.get(int(flag.dedupe_key[len(prefix) :]))
    except ValueError:
        return None
    if person is None:
        return None
    name, tier, title = person
    return message(
        gettext_noop("%(name)s, %(title)s, left the customer."),
        name=name,
        title=title or _choice(TIER_FIELD, tier),
    ), ()


def review_notification_proposal(notification: Any, reviews: dict[int, Any], names: _Names) -> Proposal | None:
    prefix = "dossier-review:"
    if notification.kind != "dossier_review" or not (notification.dedupe_key or "").startswith(prefix):
        return None
    try:
        review = reviews.get(int(notification.dedupe_key[len(prefix) :]))
    except ValueError:
        return None
    if review is None or names.users.get(review.reviewer_id) is None:
        return None
    return message(
        gettext_noop("%(reviewer)s reviewed the dossier of %(account)s: %(verdict)s"),
        reviewer=names.users[review.reviewer_id],
        account=review.account.name,
        verdict=_choice(VERDICT_FIELD, review.verdict),
    ), ()


def messages_backfill(
    *, timeline_model: Any, risk_model: Any, notification_model: Any, review_model: Any, user_model: Any,
    stakeholder_model: Any,
) -> dict[str, int]:  # fmt: skip
    """Back-fill every old row that can be; returns the rows changed per model."""
    mentioned = timeline_model.objects.filter(
        is_touchpoint=False, message_key="", kind__in=["stakeholder_left", "renewal_customer_reminder_sent"]
    ).values_list("data__stakeholder_id", flat=True)
    flag_keys = risk_model.objects.filter(reason_key="", dedupe_key__startswith="stakeholder-left:").values_list(
        "dedupe_key", flat=True
    )
    ids = {pk for pk in mentioned if isinstance(pk, int)}
    ids |= {int(key.rsplit(":", 1)[1]) for key in flag_keys if key.rsplit(":", 1)[1].isdigit()}
    names = _Names(user_model, stakeholder_model, ids)
    entries = (
        timeline_model.objects.filter(is_touchpoint=False, message_key="")
        .select_related("account")
        .order_by("pk")
        .iterator(chunk_size=2000)
    )
    flags = risk_model.objects.filter(reason_key="", dedupe_key__startswith="stakeholder-left:").order_by("pk")
    reviews = {review.pk: review for review in review_model.objects.select_related("account")}
    notifications = notification_model.objects.filter(kind="dossier_review", message_key="").order_by("pk")
    return {
        "timeline": backfill(entries, model=timeline_model, propose=lambda row: timeline_proposal(row, names)),
        "risk_flags": backfill(
            flags,
            model=risk_model,
            propose=lambda row: risk_flag_proposal(row, names),
            title_field="reason",
            body_field=None,
            key_field="reason_key",
            params_field="reason_params",
            lines_field=None,
        ),
        "notifications": backfill(
            notifications,
            model=notification_model,
            propose=lambda row: review_notification_proposal(row, reviews, names),
        ),
    }
