"""The public answer and unsubscribe pages: tokens, expiry, reuse, edits, CSRF, rate limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import TimelineEntry
from health.models import NpsResponse
from outreach.emails import recipient_token
from outreach.models import ContactPreference, Survey, SurveyResponse
from playbooks.models import Task, TriggerKind
from tests.outreach.conftest import sent_recipient

pytestmark = pytest.mark.django_db


def url(recipient, score=None):
    path = reverse("outreach:respond", args=[recipient_token(recipient.pk)])
    return path if score is None else f"{path}?score={score}"


def test_score_link_confirms_on_get_and_records_on_post(client, contacts, nps_survey):
    recipient = sent_recipient(nps_survey, contacts[0])
    page = client.get(url(recipient, 9))
    assert page.status_code == 200
    body = page.content.decode()
    assert contacts[0].account.name in body and contacts[0].name not in body and contacts[0].email not in body
    assert 'value="9"' in body and "checked" in body
    assert not SurveyResponse.objects.exists()  # a scanner's GET records nothing
    answer = client.post(url(recipient), {"score": "9", "comment": "Great onboarding"})
    assert answer.status_code == 302
    saved = client.get(answer["Location"])
    assert saved.status_code == 200 and b'data-testid="survey-saved"' in saved.content
    response = SurveyResponse.objects.get()
    assert (response.score, response.comment) == (9, "Great onboarding")
    nps = NpsResponse.objects.get()
    assert (nps.score, nps.account_id, nps.stakeholder_id, nps.external_id) == (
        9, recipient.account_id, contacts[0].pk, f"survey:{recipient.pk}",
    )  # fmt: skip
    entry = TimelineEntry.objects.get(account=recipient.account, kind="survey_answered")
    assert "9" in entry.title and entry.body == "Great onboarding"


def test_edit_within_24_hours_then_closed(client, contacts, nps_survey):
    recipient = sent_recipient(nps_survey, contacts[0])
    client.post(url(recipient), {"score": "9"})
    assert client.post(url(recipient), {"score": "7", "comment": "On second thought"}).status_code == 302
    assert SurveyResponse.objects.get().score == 7
    assert NpsResponse.objects.get().score == 7
    assert NpsResponse.objects.count() == 1 and TimelineEntry.objects.filter(kind="survey_answered").count() == 1
    SurveyResponse.objects.update(responded_at=timezone.now() - timedelta(hours=25))
    reused = client.post(url(recipient), {"score": "10"})
    assert reused.status_code == 409 and b'data-code="answered"' in reused.content
    assert client.get(url(recipient, 10)).status_code == 409
    assert SurveyResponse.objects.get().score == 7


def test_expired_forged_and_unknown_tokens(client, contacts, nps_survey):
    recipient = sent_recipient(nps_survey, contacts[0], expires_at=timezone.now() - timedelta(minutes=1))
    expired = client.get(url(recipient, 9))
    assert expired.status_code == 410 and b'data-code="expired"' in expired.content
    assert client.post(url(recipient), {"score": "9"}).status_code == 410
    token = recipient_token(recipient.pk)
    forged = client.get(reverse("outreach:respond", args=[token[:-3] + "abc"]))
    assert forged.status_code == 404 and b'data-code="invalid"' in forged.content
    other = client.get(reverse("outreach:respond", args=[f"{recipient.pk + 1}:xyz"]))
    assert other.status_code == 404
    unknown = client.get(reverse("outreach:respond", args=[recipient_token(999999)]))
    assert unknown.status_code == 404
    assert not SurveyResponse.objects.exists()


def test_bad_score_names_the_field(client, contacts, nps_survey):
    recipient = sent_recipient(nps_survey, contacts[0])
    for bad in ("11", "-1", "x", ""):
        answer = client.post(url(recipient), {"score": bad})
        assert answer.status_code == 400 and b'data-testid="error-score"' in answer.content
    long = client.post(url(recipient), {"score": "5", "comment": "x" * 4001})
    assert long.status_code == 400 and b'data-testid="error-comment"' in long.content
    assert not SurveyResponse.objects.exists()


def test_csat_scale_is_1_to_5(client, contacts):
    survey = Survey.objects.create(kind="csat", name="Support CSAT")
    recipient = sent_recipient(survey, contacts[0])
    assert client.post(url(recipient), {"score": "0"}).status_code == 400
    assert client.post(url(recipient), {"score": "4", "comment": "Quick fix"}).status_code == 302
    assert SurveyResponse.objects.get().score == 4
    assert not NpsResponse.objects.exists()  # CSAT lives in outreach only
    assert TimelineEntry.objects.filter(kind="survey_answered", data__kind="csat").exists()


def test_comment_form_is_csrf_protected(contacts, nps_survey):
    recipient = sent_recipient(nps_survey, contacts[0])
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url(recipient), {"score": "9"}).status_code == 403
    page = strict.get(url(recipient, 9))
    token = page.cookies["csrftoken"].value
    assert strict.post(url(recipient), {"score": "9", "csrfmiddlewaretoken": token}).status_code == 302


def test_rate_limited_per_ip(client, contacts, nps_survey, settings):
    settings.HOURGLASS_SURVEY_RATE_PER_MINUTE = 3
    recipient = sent_recipient(nps_survey, contacts[0])
    codes = [client.get(url(recipient, 9)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get(url(recipient, 9)).status_code == 200


def test_detractor_answer_creates_the_playbook_task(
    client, contacts, nps_survey, celery_eager, django_capture_on_commit_callbacks
):
    from playbooks.defaults import install_default_playbooks
    from playbooks.models import Playbook, PlaybookStep

    install_default_playbooks(Playbook, PlaybookStep)
    recipient = sent_recipient(nps_survey, contacts[0])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(recipient), {"score": "3", "comment": "Too slow"})
    tasks = Task.objects.filter(account=recipient.account, playbook__trigger=TriggerKind.NPS_DETRACTOR)
    assert tasks.count() >= 1


def test_unsubscribe_page_and_one_click_post(contacts, nps_survey):
    recipient = sent_recipient(nps_survey, contacts[0])
    strict = Client(enforce_csrf_checks=True)
    path = reverse("outreach:unsubscribe", args=[recipient_token(recipient.pk)])
    assert strict.get(path).status_code == 200
    assert not ContactPreference.objects.filter(unsubscribed_at__isnull=False).exists()
    # RFC 8058: the mail provider POSTs without any CSRF token; the signed token suffices.
    done = strict.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and b'data-testid="unsubscribed"' in done.content
    assert ContactPreference.objects.get(email=contacts[0].email).unsubscribed_at is not None
    assert strict.post(path).status_code == 200  # again: still unsubscribed, no error
    assert strict.get(reverse("outreach:unsubscribe", args=["1:forged"])).status_code == 404


def test_the_answer_page_is_one_query_and_writes_no_session(client, contacts, nps_survey, django_assert_num_queries):
    """Hit by everyone a send reached, at once: a constant query count, nothing stored for
    an anonymous visitor (no session row, no session cookie), whatever the survey's size."""
    from django.contrib.sessions.models import Session

    recipient = sent_recipient(nps_survey, contacts[0])
    client.get(url(recipient, 9))  # warm caches (content types, translations)
    with django_assert_num_queries(1):
        page = client.get(url(recipient, 9))
    assert page.status_code == 200 and "sessionid" not in page.cookies
    assert not Session.objects.exists()
    body = page.content.decode()
    assert body.count('name="score"') == 11 and 'id="id_score_9"' in body
    assert 'value="9" class="btn-check" id="id_score_9" checked' in body
    for score in (0, 10):
        assert f'data-testid="score-{score}"' in body
