"""The public pages a survey email links to: answer (score and comment) and unsubscribe.

No login: the signed token in the URL is the only key (``outreach.emails``). The pages
show nothing about the account but its name. A score link is a GET, and mail scanners
open links before people do, so the GET only shows the chosen score with a button; the
answer is recorded by the POST (CSRF protected). The unsubscribe POST is CSRF-exempt on
purpose: RFC 8058's one-click unsubscribe is a POST from the mail provider, and the
signed token is what authorises it. Every answer is rate-limited per IP address.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.forms import form_add_service_errors

from .emails import recipient_id_from_token
from .forms import ResponseForm
from .models import SurveyRecipient
from .responses import SurveyLinkError, edit_deadline, recipient_state, survey_response_record
from .services import contact_unsubscribe

_WINDOW = 60


def _over_limit(request: HttpRequest) -> bool:
    """A fixed one-minute window per client address, counted in the shared cache."""
    limit = int(settings.HOURGLASS_SURVEY_RATE_PER_MINUTE)
    if limit <= 0:
        return False
    window = int(time.time() // _WINDOW)
    key = f"outreach:public:{request.META.get('REMOTE_ADDR', '')}:{window}"
    try:
        used = cache.incr(key)  # one round trip once the window's counter exists
    except ValueError:  # the window's first request (or the counter expired meanwhile)
        # (when another request created it in between, count on it)
        used = 1 if cache.add(key, 1, timeout=_WINDOW * 2) else cache.incr(key)
    return used > limit


def _problem(request: HttpRequest, code: str, status: int, recipient: SurveyRecipient | None = None) -> HttpResponse:
    response = render(request, "outreach/public/problem.html", {"code": code, "recipient": recipient}, status=status)
    if status == 429:
        response["Retry-After"] = str(_WINDOW)
    return response


def _recipient(token: str) -> SurveyRecipient | None:
    pk = recipient_id_from_token(token)
    if pk is None:
        return None
    # One query for everything the page and the email texts read (the owner: the csm_name merge field).
    related = ("survey", "account__owner", "stakeholder", "response")
    return SurveyRecipient.objects.select_related(*related).filter(pk=pk).first()


@require_http_methods(["GET", "POST"])
def respond_view(request: HttpRequest, token: str) -> HttpResponse:
    if _over_limit(request):
        return _problem(request, "busy", 429)
    recipient = _recipient(token)
    if recipient is None:
        return _problem(request, "invalid", 404)
    with translation.override(recipient.language):
        state = recipient_state(recipient)
        if state in ("expired", "unsent"):
            return _problem(request, "expired", 410, recipient)
        if state == "answered":
            return _problem(request, "answered", 409, recipient)
        existing = getattr(recipient, "response", None)
        initial = {"score": request.GET.get("score"), "comment": ""}
        if existing is not None:
            initial = {"score": request.GET.get("score") or existing.score, "comment": existing.comment}
        form = ResponseForm(request.POST or None, scores=recipient.survey.scores, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                survey_response_record(
                    recipient=recipient, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
                )
            except ValidationError as error:
                form_add_service_errors(form, error)
            except SurveyLinkError as error:
                return _problem(request, error.code, error.status, recipient)
            else:
                return redirect(f"{request.path}?saved=1")
        status = 400 if request.method == "POST" else 200
        chosen = form["score"].value()
        context = {
            "recipient": recipient,
            "survey": recipient.survey,
            "form": form,
            "scores": list(recipient.survey.scores),
            "selected": int(chosen) if str(chosen or "").isdigit() else None,
            "comment": form["comment"].value() or "",
            "question": _question(recipient),
            "response": existing,
            "editable_until": edit_deadline(existing) if existing is not None else None,
            "saved": request.GET.get("saved") == "1" and existing is not None,
        }
        return render(request, "outreach/public/respond.html", context, status=status)


def _question(recipient: SurveyRecipient) -> str:
    from .emails import recipient_merge, survey_texts

    merge = recipient_merge(recipient)
    return survey_texts(recipient.survey, language=recipient.language, merge=merge)["question"]


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    if _over_limit(request):
        return _problem(request, "busy", 429)
    recipient = _recipient(token)
    if recipient is None:
        return _problem(request, "invalid", 404)
    with translation.override(recipient.language):
        done = False
        if request.method == "POST":
            contact_unsubscribe(email=recipient.email)
            done = True
        return render(request, "outreach/public/unsubscribe.html", {"recipient": recipient, "done": done})
