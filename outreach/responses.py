"""What comes back: answers, unsubscribes and bounces.

An NPS answer is recorded through health's own service (``nps_response_record``, the one
the CSV import and API use), so it reaches the NPS page, the health score's NPS measure
and, for a detractor, the playbooks; a CSAT answer is an ``outreach.SurveyResponse``
only. Both write one entry on the account timeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.timeline import timeline_record
from core.messages import Message, message
from health.nps import nps_response_record, nps_response_update

from .models import ContactPreference, RecipientStatus, SurveyKind, SurveyRecipient, SurveyResponse

COMMENT_MAX = 4000


class SurveyLinkError(Exception):
    """A link that cannot take an answer (expired, or answered and no longer editable)."""

    status = 410
    code = "expired"


class SurveyLinkExpired(SurveyLinkError):
    status, code = 410, "expired"


class SurveyAlreadyAnswered(SurveyLinkError):
    status, code = 409, "answered"


def edit_deadline(response: SurveyResponse) -> datetime:
    return response.responded_at + timedelta(hours=settings.HOURGLASS_SURVEY_EDIT_HOURS)


def recipient_state(recipient: SurveyRecipient, *, now: datetime | None = None) -> str:
    """``open`` (may answer), ``editable`` (answered, may change it), ``answered``, ``expired``
    or ``unsent`` (the email never went out: nothing to answer)."""
    now = now or timezone.now()
    response = getattr(recipient, "response", None)
    if response is not None:
        return "editable" if now <= edit_deadline(response) else "answered"
    if recipient.status != RecipientStatus.QUEUED:
        return "unsent"
    if recipient.expires_at is not None and now > recipient.expires_at:
        return "expired"
    return "open"


def _clean(recipient: SurveyRecipient, score: object, comment: object) -> tuple[int, str]:
    scores = recipient.survey.scores
    try:
        value = int(str(score))
    except (TypeError, ValueError):
        value = None
    if value is None or value not in scores:
        raise ValidationError(
            {"score": _("Choose a score from %(low)s to %(high)s.") % {"low": scores[0], "high": scores[-1]}}
        )
    text = str(comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise ValidationError({"comment": _("At most %(count)s characters.") % {"count": COMMENT_MAX}})
    return value, text


def answer_timeline_message(kind: str, score: int) -> Message:
    """The timeline title of an answer (a message key: read in the reader's language)."""
    if kind == SurveyKind.CSAT:
        return message(gettext_noop("CSAT survey answered: %(score)s of 5"), score=score)
    return message(gettext_noop("NPS survey answered: %(score)s of 10"), score=score)


@transaction.atomic
def survey_response_record(
    *, recipient: SurveyRecipient, score: object, comment: object = "", now: datetime | None = None
) -> tuple[SurveyResponse, bool]:
    """Record (or, within ``HOURGLASS_SURVEY_EDIT_HOURS``, change) one recipient's answer.

    Returns ``(response, created)``. Bad input is a ``ValidationError`` naming the field;
    an expired link ``SurveyLinkExpired``, an answer past its edit window
    ``SurveyAlreadyAnswered``. Two submissions at once: the row lock makes one of them the
    edit of the other.
    """
    now = now or timezone.now()
    recipient = (
        SurveyRecipient.objects.select_for_update()
        .select_related("survey", "account", "stakeholder")
        .get(pk=recipient.pk)
    )
    value, text = _clean(recipient, score, comment)
    existing = SurveyResponse.objects.filter(recipient=recipient).select_related("nps_response").first()
    if existing is not None:
        if now > edit_deadline(existing):
            raise SurveyAlreadyAnswered
        existing.score, existing.comment, existing.updated_at = value, text, now
        existing.save(update_fields=["score", "comment", "updated_at"])
        if existing.nps_response is not None:
            nps_response_update(response=existing.nps_response, score=value, comment=text)
        return existing, False
    state = recipient_state(recipient, now=now)
    if state != "open":
        raise SurveyLinkExpired
    nps = None
    if recipient.survey.kind == SurveyKind.NPS:
        nps, _created = nps_response_record(
            actor=None,
            account=recipient.account,
            score=value,
            comment=text,
            responded_on=timezone.localdate(now),
            stakeholder=recipient.stakeholder,
            external_id=f"survey:{recipient.pk}",
        )
    response = SurveyResponse.objects.create(
        recipient=recipient,
        survey=recipient.survey,
        account=recipient.account,
        stakeholder=recipient.stakeholder,
        score=value,
        comment=text,
        nps_response=nps,
        responded_at=now,
        updated_at=now,
    )
    SurveyRecipient.objects.filter(pk=recipient.pk).update(answered_at=now)
    timeline_record(
        account=recipient.account,
        kind="survey_answered",
        message=answer_timeline_message(recipient.survey.kind, value),
        body=text,
        occurred_at=now,
        data={
            "survey_id": recipient.survey_id,
            "kind": recipient.survey.kind,
            "score": value,
            "response_id": response.pk,
        },
        dedupe_key=f"survey-answered:{recipient.pk}",
    )
    return response, True


def _normalised(emails: Iterable[str]) -> list[str]:
    return sorted({email.strip().lower() for email in emails if email and email.strip()})


@transaction.atomic
def contact_unsubscribe(*, email: str, now: datetime | None = None) -> bool:
    """No more surveys to ``email``; True when it was subscribed until now. Emails not yet
    sent to it are skipped at dispatch."""
    now = now or timezone.now()
    address = _normalised([email])[0]
    pref, _created = ContactPreference.objects.select_for_update().get_or_create(email=address)
    if pref.unsubscribed_at is not None:
        return False
    pref.unsubscribed_at = now
    pref.save(update_fields=["unsubscribed_at", "updated_at"])
    return True


@transaction.atomic
def contacts_mark_bounced(*, emails: Iterable[str], reason: str = "", now: datetime | None = None) -> int:
    """Mark addresses bounced (the bounce API, an SMTP 5xx at send); returns how many were
    newly marked. A bounced address gets no survey until an admin clears it."""
    now = now or timezone.now()
    addresses = _normalised(emails)
    if not addresses:
        return 0
    fresh = set(addresses) - set(
        ContactPreference.objects.filter(email__in=addresses, bounced_at__isnull=False).values_list("email", flat=True)
    )
    ContactPreference.objects.bulk_create(
        [ContactPreference(email=address) for address in addresses], ignore_conflicts=True
    )
    ContactPreference.objects.filter(email__in=fresh).update(bounced_at=now, bounce_reason=reason[:300])
    return len(fresh)
