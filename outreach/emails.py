"""Survey emails: the signed links, the texts in the contact's language, the bodies.

The dispatch queues each email with its subject and ``render_with=SURVEY_RENDERER``; the
outbox's delivery worker renders the bodies here on the first attempt and adds the
``List-Unsubscribe`` headers (RFC 2369 and RFC 8058 one-click).

Tokens are ``django.core.signing`` signatures of the recipient's id (salted for this
use): unguessable without ``SECRET_KEY``, checked without a lookup, and never stored. A
forged or altered token fails the signature; expiry and reuse are the recipient row's
business (``expires_at``, its response).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.people import display_name

from .models import Survey, SurveyKind, SurveyRecipient

SURVEY_RENDERER = "outreach.survey"
_SALT = "outreach.recipient"
_SIGNER = signing.Signer(salt=_SALT)


def recipient_token(recipient_id: int) -> str:
    return _SIGNER.sign(str(recipient_id))


def recipient_id_from_token(token: str) -> int | None:
    """The recipient a token was signed for, or None when it is forged or malformed."""
    try:
        value = _SIGNER.unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def _absolute(path: str) -> str:
    return settings.HOURGLASS_BASE_URL.rstrip("/") + path


def response_url(recipient_id: int, score: int | None = None) -> str:
    path = reverse("outreach:respond", args=[recipient_token(recipient_id)])
    return _absolute(path if score is None else f"{path}?score={score}")


def unsubscribe_url(recipient_id: int) -> str:
    return _absolute(reverse("outreach:unsubscribe", args=[recipient_token(recipient_id)]))


def _field(survey: Survey, name: str, language: str) -> str:
    suffix = "zh_hans" if language.lower().startswith("zh") else "en"
    return str(getattr(survey, f"{name}_{suffix}") or "").strip()


def default_question(kind: str) -> str:
    if kind == SurveyKind.CSAT:
        return _("How satisfied are you with the service you received?")
    return _("How likely are you to recommend us to a friend or colleague?")


def survey_texts(survey: Survey, *, language: str, merge: dict[str, str]) -> dict[str, str]:
    """Subject, introduction and question of ``survey`` in ``language`` (call it with that
    language active): the survey's own wording, else the default one; merge fields
    ``{contact_name}``, ``{account_name}``, ``{csm_name}`` filled in (unknown ones left)."""
    texts = {
        "subject": _field(survey, "subject", language) or _("A quick question from your customer success team"),
        "intro": _field(survey, "intro", language)
        or _("We would like to know how we are doing for {account_name}. It takes one click."),
        "question": _field(survey, "question", language) or default_question(survey.kind),
    }
    for key, text in texts.items():
        for name, value in merge.items():
            text = text.replace("{" + name + "}", value)
        texts[key] = text
    return texts


def merge_fields(*, contact_name: str, account_name: str, csm_name: str) -> dict[str, str]:
    """Merge data with a neutral phrase for whatever is missing (never "None")."""
    return {
        "contact_name": contact_name.strip() or _("there"),
        "account_name": account_name.strip() or _("your company"),
        "csm_name": csm_name.strip() or _("your customer success team"),
    }


def recipient_merge(recipient: SurveyRecipient) -> dict[str, str]:
    owner = recipient.account.owner
    return merge_fields(
        contact_name=recipient.stakeholder.name if recipient.stakeholder_id else "",
        account_name=recipient.account.name,
        csm_name=display_name(owner) if owner is not None else "",
    )


def survey_subject(survey: Survey, *, language: str, account_name: str) -> str:
    with translation.override(language):
        merge = merge_fields(contact_name="", account_name=account_name, csm_name="")
        return survey_texts(survey, language=language, merge=merge)["subject"]


def survey_email_render(*, recipient_id: int) -> tuple[str, str]:
    """(text, HTML) of one recipient's survey email, in the recipient's language."""
    recipient = SurveyRecipient.objects.select_related("survey", "account__owner", "stakeholder").get(pk=recipient_id)
    with translation.override(recipient.language):
        merge = recipient_merge(recipient)
        context: dict[str, Any] = {
            "texts": survey_texts(recipient.survey, language=recipient.language, merge=merge),
            "merge": merge,
            "kind": recipient.survey.kind,
            "links": [(score, response_url(recipient.pk, score)) for score in recipient.survey.scores],
            "comment_url": response_url(recipient.pk),
            "unsubscribe_url": unsubscribe_url(recipient.pk),
            "expires_at": recipient.expires_at,
        }
        return (
            render_to_string("outreach/email/survey.txt", context),
            render_to_string("outreach/email/survey.html", context),
        )


def survey_email_headers(*, recipient_id: int) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(recipient_id)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
