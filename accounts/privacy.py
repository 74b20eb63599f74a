"""Personal-data export and erasure of a customer contact (PIPL/GDPR; docs/privacy.md).

``accounts`` owns the stakeholder, the timeline, the dossier and risk flags; the apps
above it (health's NPS responses, renewals' customer reminders, playbooks' tasks) hold
more about a contact but may not be imported from here. They answer two signals this
app declares, sent synchronously so that the export is one answer and the erasure one
transaction: ``stakeholder_personal_data`` and ``stakeholder_erasing``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.messages import message
from core.models import OutboundEmail
from core.people import person_or_none
from core.privacy import history_rows, mentioning_rows, redact_rows, redact_value, redaction_pattern
from core.types import AnyUser
from org.models import Role
from org.roles import role_of

from .dossier import dossier_rescore
from .models import (
    CustomerProcess,
    DossierReview,
    DossierReviewRating,
    DossierSection,
    ErasureRecord,
    MajorEvent,
    RiskFlag,
    SalesPromise,
    Stakeholder,
    TimelineEntry,
)
from .signals import stakeholder_erased, stakeholder_erasing, stakeholder_personal_data
from .timeline import timeline_record

logger = logging.getLogger("hourglass.privacy")

# Stored as data, in one language for every reader (the catalogue has its translation).
ERASED_NAME = gettext_noop("Erased contact")
ERASED_EMAIL = "erased@invalid"
# The personal fields of a stakeholder and what erasure leaves in them. Tier, key level,
# relationship stage, job title, department, reporting line and account stay: the
# account keeps its structure ("an S-tier decision maker who left").
ERASED_VALUES: dict[str, str] = {
    "name": ERASED_NAME,
    "email": "",
    "phone": "",
    "demands": "",
    "personality": "",
    "work_goals": "",
}
PERSONAL_FIELDS = tuple(ERASED_VALUES)
CHANGE_REASON = "erasure"
EXPORT_FORMAT = "hourglass.personal-data/1"

# Free text of the account's own rows that may mention a contact: (model, path to the
# account, fields). The other stakeholders' notes are among them (a colleague's notes
# may name this one); the contact's own row is erased whole.
MENTION_FIELDS: tuple[tuple[type[models.Model], str, tuple[str, ...]], ...] = (
    (TimelineEntry, "account", ("title", "body", "outcome", "data", "message_params", "body_messages")),
    (RiskFlag, "account", ("reason", "resolution", "reason_params")),
    (DossierSection, "account", ("content",)),
    (SalesPromise, "account", ("promise",)),
    (CustomerProcess, "account", ("notes",)),
    (MajorEvent, "account", ("title", "description")),
    (DossierReview, "account", ("comment",)),
    (DossierReviewRating, "review__account", ("comment",)),
    (Stakeholder, "account", ("demands", "personality", "work_goals")),
)


def can_manage_personal_data(user: AnyUser) -> bool:
    """Export and erasure are for admins only (a manager or CSM gets 403)."""
    return role_of(user) == Role.ADMIN


def is_erased(stakeholder: Stakeholder) -> bool:
    """Erased and nothing personal stored again since (erasing again would change nothing)."""
    return stakeholder.erased_at is not None and all(
        getattr(stakeholder, name) == value for name, value in ERASED_VALUES.items()
    )


def stakeholder_terms(stakeholder: Stakeholder) -> set[str]:
    """Every name, email and phone the contact is or was stored with (history included)."""
    values: list[str] = [stakeholder.name, stakeholder.email, stakeholder.phone]
    past = history_rows(Stakeholder, [stakeholder.pk])
    if past is not None:
        for row in past.values_list("name", "email", "phone"):
            values.extend(row)
    return {value.strip() for value in values if value and value.strip() and value.strip() != ERASED_NAME}


def _emails(terms: Iterable[str]) -> set[str]:
    return {term.lower() for term in terms if "@" in term}


def _outbox_to(stakeholder: Stakeholder, emails: set[str]) -> models.QuerySet[OutboundEmail]:
    """Outbox emails addressed to the contact: rendered for them or sent to one of their addresses."""
    addressed = Q(render_args__contact_id=stakeholder.pk)
    for email in emails:
        addressed |= Q(to__icontains=email) | Q(cc__icontains=email)
    return OutboundEmail.objects.filter(addressed)


# --- Export ----------------------------------------------------------------------------


def _row(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": obj.pk}
    for name in fields:
        row[name] = getattr(obj, name)
    return row


def _history(stakeholder: Stakeholder) -> list[dict[str, Any]]:
    past = history_rows(Stakeholder, [stakeholder.pk])
    if past is None:
        return []
    fields = ["history_id", "history_date", "history_type", "history_change_reason", "history_user_id"]
    fields += [f.attname for f in Stakeholder._meta.concrete_fields if f.attname != "id"]
    return list(past.order_by("history_date", "history_id").values(*fields))


def _candidates(model: type[models.Model], path: str, stakeholder: Stakeholder) -> models.QuerySet[Any]:
    rows = model._default_manager.filter(**{path: stakeholder.account_id})
    return rows.exclude(pk=stakeholder.pk) if model is Stakeholder else rows


def _mentions(stakeholder: Stakeholder, pattern: re.Pattern[str] | None) -> list[dict[str, Any]]:
    """Rows of the account's own text that mention the contact (besides their own row)."""
    found: list[dict[str, Any]] = []
    for model, path, fields in MENTION_FIELDS:
        rows = mentioning_rows(_candidates(model, path, stakeholder), fields=fields, pattern=pattern)
        found.extend({"model": model._meta.label_lower, **row} for row in rows)
        past = history_rows(model, []) if "__" not in path else None
        if past is not None:  # earlier versions of the rows (and of deleted ones) too
            history = past.model.objects.filter(**{path: stakeholder.account_id})
            if model is Stakeholder:
                history = history.exclude(id=stakeholder.pk)  # their own rows are the "history" section
            rows = mentioning_rows(history, fields=(*fields, "id", "history_date"), pattern=pattern)
            found.extend({"model": past.model._meta.label_lower, **row} for row in rows)
    return found


def stakeholder_personal_data_export(*, stakeholder: Stakeholder, actor: AnyUser | None = None) -> dict[str, Any]:
    """Everything held about the contact, as JSON-ready data (dates as ISO strings).

    Who read it is logged (by ids: the log must not become another copy of the data).
    """
    logger.info("personal data of stakeholder %s exported by user %s", stakeholder.pk, getattr(actor, "pk", None))
    terms = stakeholder_terms(stakeholder)
    pattern = redaction_pattern(terms)
    fields = [f.attname for f in Stakeholder._meta.concrete_fields]
    touchpoints = stakeholder.touchpoints.order_by("occurred_at", "pk")
    linked = TimelineEntry.objects.filter(account_id=stakeholder.account_id, data__stakeholder_id=stakeholder.pk)
    entry_fields = ("kind", "is_touchpoint", "occurred_at", "title", "body", "outcome", "duration_minutes", "data")
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": timezone.now(),
        "stakeholder": {**_row(stakeholder, fields), "account_name": stakeholder.account.name},
        "history": _history(stakeholder),
        "touchpoints": [_row(entry, entry_fields) for entry in touchpoints],
        "timeline_entries": [_row(entry, entry_fields) for entry in linked.order_by("occurred_at", "pk")],
        "mentions": _mentions(stakeholder, pattern),
        "emails": [
            _row(email, ("to", "cc", "subject", "body_text", "status", "created_at", "sent_at"))
            for email in _outbox_to(stakeholder, _emails(terms)).order_by("created_at", "pk")
        ],
        "erasures": [
            _row(record, ("erased_at", "actor_username", "counts"))
            for record in ErasureRecord.objects.filter(stakeholder_id=stakeholder.pk).order_by("erased_at", "pk")
        ],
    }
    for _receiver, sections in stakeholder_personal_data.send(sender=Stakeholder, stakeholder=stakeholder, terms=terms):
        if isinstance(sections, dict):
            data.update(sections)
    # One round trip through JSON: the caller gets plain strings, numbers, lists and dicts.
    result: dict[str, Any] = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return result


def personal_data_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


# --- Erasure ---------------------------------------------------------------------------


def _redact_own_rows(stakeholder: Stakeholder, pattern: re.Pattern[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for model, path, fields in MENTION_FIELDS:
        # The account's whole history of the model, deleted rows included (a direct
        # account field); through a relation, the history of the rows that remain.
        history_filter = {path: stakeholder.account_id} if "__" not in path else None
        changed = redact_rows(
            _candidates(model, path, stakeholder),
            fields=fields,
            pattern=pattern,
            replacement=ERASED_NAME,
            history_filter=history_filter,
        )
        if changed:
            counts[model._meta.label_lower] = changed
    return counts


def _redact_outbox(stakeholder: Stakeholder, emails: set[str], pattern: re.Pattern[str] | None) -> int:
    """The emails to the contact keep their status and dates; addresses and text go."""
    changed = 0
    for email in _outbox_to(stakeholder, emails):
        email.to = [ERASED_EMAIL if address.lower() in emails else address for address in email.to]
        email.cc = [ERASED_EMAIL if address.lower() in emails else address for address in email.cc]
        if pattern is not None:
            email.subject = redact_value(email.subject, pattern, ERASED_NAME)
            email.body_text = redact_value(email.body_text, pattern, ERASED_NAME)
            email.body_html = redact_value(email.body_html, pattern, ERASED_NAME)
        if email.status == OutboundEmail.Status.QUEUED:
            # Never deliver to a person who asked to be forgotten.
            email.status = OutboundEmail.Status.FAILED
            email.last_error = "recipient erased"
        email.save(update_fields=["to", "cc", "subject", "body_text", "body_html", "status", "last_error"])
        changed += 1
    return changed


def _redact_admin_log(stakeholder: Stakeholder) -> int:
    """Django admin's log names the objects edited there (``str(stakeholder)``)."""
    content_type = ContentType.objects.get_for_model(Stakeholder)
    entries = LogEntry.objects.filter(content_type=content_type, object_id=str(stakeholder.pk))
    return entries.update(object_repr=f"{ERASED_NAME} ({stakeholder.tier})")


def _check(*, actor: AnyUser, stakeholder: Stakeholder, confirm_name: str) -> None:
    if not can_manage_personal_data(actor):
        raise PermissionDenied
    if (confirm_name or "").strip() != stakeholder.name.strip():
        raise ValidationError({"confirm_name": _("This does not match the contact's name; nothing was erased.")})


@transaction.atomic
def stakeholder_erase(*, actor: AnyUser, stakeholder: Stakeholder, confirm_name: str) -> tuple[ErasureRecord, bool]:
    """Erase the contact's personal data everywhere, in one transaction.

    Returns ``(record, erased)``: erasing a contact already erased (and not edited
    since) changes nothing and returns the earlier record with ``False``.
    """
    stakeholder = Stakeholder.objects.select_for_update().select_related("account").get(pk=stakeholder.pk)
    _check(actor=actor, stakeholder=stakeholder, confirm_name=confirm_name)
    if is_erased(stakeholder):
        earlier = ErasureRecord.objects.filter(stakeholder_id=stakeholder.pk).first()
        if earlier is not None:
            return earlier, False
    terms = stakeholder_terms(stakeholder)
    emails = _emails(terms)
    pattern = redaction_pattern(terms)
    counts: dict[str, int] = {}
    if pattern is not None:
        counts.update(_redact_own_rows(stakeholder, pattern))
    counts["core.outboundemail"] = _redact_outbox(stakeholder, emails, pattern)
    counts["admin.logentry"] = _redact_admin_log(stakeholder)
    for _receiver, result in stakeholder_erasing.send(
        sender=Stakeholder,
        stakeholder=stakeholder,
        pattern=pattern,
        replacement=ERASED_NAME,
        emails=emails,
        actor=actor,
    ):
        if isinstance(result, dict):
            counts.update(result)
    past = history_rows(Stakeholder, [stakeholder.pk])
    counts["accounts.historicalstakeholder"] = past.update(**ERASED_VALUES) if past is not None else 0
    erased_at = _tombstone(stakeholder, actor)
    stakeholder_erased.send(sender=Stakeholder, stakeholder=stakeholder)
    record = ErasureRecord.objects.create(
        stakeholder_id=stakeholder.pk,
        account=stakeholder.account,
        actor=person_or_none(actor),
        actor_username=actor.get_username(),
        erased_at=erased_at,
        counts={key: value for key, value in counts.items() if value},
    )
    timeline_record(
        account=stakeholder.account,
        kind="stakeholder_erased",
        message=message(gettext_noop("A contact's personal data was erased")),
        actor=actor,
        data={"stakeholder_id": stakeholder.pk, "erasure_id": record.pk, "tier": stakeholder.tier},
    )
    return record, True


def _tombstone(stakeholder: Stakeholder, actor: AnyUser) -> datetime:
    """The row stays (tier, level, account, reporting line) as a contact who left."""
    for name, value in ERASED_VALUES.items():
        setattr(stakeholder, name, value)
    stakeholder.is_active = False  # left_on stays as it was: erasure is not a departure date
    stakeholder.erased_at = erased_at = timezone.now()
    stakeholder._history_user = person_or_none(actor)  # type: ignore[attr-defined]
    stakeholder._change_reason = CHANGE_REASON  # type: ignore[attr-defined]
    stakeholder.save()
    dossier_rescore(account_ids=[stakeholder.account_id])
    return erased_at
