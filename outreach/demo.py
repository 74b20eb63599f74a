"""Demo surveys: a quarterly NPS survey already sent four times, with answers, and an
automatic CSAT survey after calls and meetings.

Runs after ``accounts.demo`` (stakeholders) and ``health.demo``. The NPS answers are
written as the survey would have recorded them: an ``NpsResponse`` each (so the NPS page
and health's NPS measure count them), its ``SurveyResponse`` and a timeline entry. No
email is queued: the demo's "sent" emails are history.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import AccountStatus, KeyPersonLevel, Stakeholder, TouchpointKind
from accounts.timeline import TimelineDraft, timeline_record_many
from health.models import NpsResponse

from .models import (
    ContactPreference,
    Program,
    RecipientStatus,
    Survey,
    SurveyKind,
    SurveyRecipient,
    SurveyResponse,
    SurveyStatus,
)
from .program_demo import reset_programs, seed_program
from .responses import answer_timeline_message

QUARTERS = 4
ASKED_SHARE = 0.6
ANSWER_SHARE = 0.45
COMMENTS = {
    "promoter": ("Reliable, and our CSM knows our business.", "产品稳定，客户成功经理很懂我们的业务。"),
    "passive": ("Fine overall; reports could be faster.", "总体不错，报表可以再快一些。"),
    "detractor": ("Too many issues since the last upgrade.", "上次升级后问题太多。"),
}


def present() -> bool:
    return Survey.objects.exists() or Program.objects.exists()


def reset() -> None:
    reset_programs()
    NpsResponse.objects.filter(external_id__startswith="survey:").delete()
    SurveyResponse.objects.all().delete()
    SurveyRecipient.objects.all().delete()
    Survey.objects.all().delete()
    ContactPreference.objects.all().delete()


def seed(ctx: Any) -> None:
    survey = _seed_surveys(ctx)
    recipients = _seed_recipients(ctx, survey)
    answered = [recipient for recipient in recipients if ctx.rng.random() < ANSWER_SHARE]
    answers = _seed_answers(ctx, survey, answered)
    last = {recipient.email: recipient.sent_at for recipient in recipients}
    ContactPreference.objects.bulk_create(
        [ContactPreference(email=email, last_surveyed_at=at) for email, at in last.items()], batch_size=2000
    )
    sent_times = [at for at in last.values() if at is not None]
    Survey.objects.filter(pk=survey.pk).update(last_sent_at=max(sent_times, default=None))
    ctx.summary.append(f"NPS survey sent {QUARTERS} times: {len(recipients)} emails, {answers} answers")
    seed_program(ctx)


def _seed_surveys(ctx: Any) -> Survey:
    """The quarterly NPS survey (returned) and a CSAT survey after calls and meetings."""
    admin = ctx.users.get("admin")
    survey = Survey.objects.create(
        kind=SurveyKind.NPS,
        name="Quarterly NPS",
        subject_zh_hans="{account_name}：您愿意向朋友推荐我们吗？",
        status=SurveyStatus.SENT,
        auto_enabled=True,
        auto_every_months=3,
        audience={"segments": [], "tiers": [], "key_levels": [KeyPersonLevel.DAY_TO_DAY], "account_ids": []},
        created_by=admin,
        created_at=timezone.now() - timedelta(days=365),
    )
    Survey.objects.create(
        kind=SurveyKind.CSAT,
        name="Support CSAT after calls and meetings",
        auto_enabled=True,
        auto_touchpoint_kinds=[TouchpointKind.CALL, TouchpointKind.MEETING],
        created_by=admin,
    )
    return survey


def _seed_recipients(ctx: Any, survey: Survey) -> list[SurveyRecipient]:
    """The survey's emails of the last QUARTERS quarters to the day-to-day contacts."""
    rng = ctx.rng
    zone = timezone.get_current_timezone()
    people = list(
        Stakeholder.objects.filter(is_active=True, erased_at=None, key_level=KeyPersonLevel.DAY_TO_DAY)
        .exclude(email="")
        .exclude(account__status=AccountStatus.CHURNED)
        .select_related("account")
        .order_by("pk")
    )
    recipients: list[SurveyRecipient] = []
    for quarter in range(QUARTERS, 0, -1):  # oldest first
        day = ctx.today - timedelta(days=91 * quarter - 10)
        sent_at = datetime.combine(day, time(10), tzinfo=zone)
        for person in people:
            if rng.random() < ASKED_SHARE:
                recipients.append(
                    SurveyRecipient(
                        survey=survey,
                        wave=f"auto:{day.isoformat()}",
                        account=person.account,
                        stakeholder=person,
                        email=person.email.lower(),
                        language="zh-hans" if not person.account.name.isascii() else settings.LANGUAGE_CODE,
                        status=RecipientStatus.QUEUED,
                        send_after=sent_at,
                        sent_at=sent_at,
                        expires_at=sent_at + timedelta(days=survey.expires_days),
                        created_at=sent_at,
                    )
                )
    SurveyRecipient.objects.bulk_create(recipients, batch_size=2000)
    return list(SurveyRecipient.objects.filter(survey=survey).select_related("account").order_by("pk"))


def _seed_answers(ctx: Any, survey: Survey, answered: list[SurveyRecipient]) -> int:
    """An NPS answer per answering recipient, where imported answers land too (the NPS
    responses), with its survey response and timeline entry; returns how many."""
    rng = ctx.rng
    zone = timezone.get_current_timezone()
    nps_rows: list[NpsResponse] = []
    for recipient in answered:
        score = rng.choices(range(11), weights=[1, 1, 1, 2, 2, 3, 4, 8, 10, 12, 9])[0]
        band = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        at = (recipient.sent_at or timezone.now()) + timedelta(hours=rng.randint(1, 96))
        comment = COMMENTS[band][0 if recipient.language == "en" else 1] if rng.random() < 0.5 else ""
        nps_rows.append(
            NpsResponse(
                account=recipient.account,
                stakeholder_id=recipient.stakeholder_id,
                score=score,
                comment=comment,
                responded_on=timezone.localdate(at),
                external_id=f"survey:{recipient.pk}",
                created_at=at,
            )
        )
    NpsResponse.objects.bulk_create(nps_rows, batch_size=2000)
    stored = {
        row.external_id: row
        for row in NpsResponse.objects.filter(external_id__startswith="survey:").only("pk", "external_id")
    }
    responses = []
    timeline = []
    for recipient, nps in zip(answered, nps_rows, strict=True):
        at = datetime.combine(nps.responded_on, time(12), tzinfo=zone)
        responses.append(
            SurveyResponse(
                recipient=recipient,
                survey=survey,
                account=recipient.account,
                stakeholder_id=recipient.stakeholder_id,
                score=nps.score,
                comment=nps.comment,
                nps_response=stored[f"survey:{recipient.pk}"],
                responded_at=at,
                updated_at=at,
            )
        )
        timeline.append(
            TimelineDraft(
                account=recipient.account,
                kind="survey_answered",
                message=answer_timeline_message(SurveyKind.NPS, nps.score),
                body=nps.comment,
                occurred_at=at,
                data={"survey_id": survey.pk, "kind": SurveyKind.NPS, "score": nps.score},
                dedupe_key=f"survey-answered:{recipient.pk}",
            )
        )
    SurveyResponse.objects.bulk_create(responses, batch_size=2000)
    SurveyRecipient.objects.filter(pk__in=[r.pk for r in answered]).update(answered_at=timezone.now())
    timeline_record_many(timeline)
    return len(responses)
