from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models.functions import TruncQuarter

from health.models import NpsResponse
from outreach.models import Survey, SurveyKind, SurveyResponse, SurveyStatus

pytestmark = pytest.mark.django_db


def test_demo_has_an_nps_survey_sent_with_answers_over_four_quarters():
    call_command("seed_demo", "--seed", "5", "--accounts", "60")
    survey = Survey.objects.get(kind=SurveyKind.NPS)
    assert survey.status == SurveyStatus.SENT
    responses = SurveyResponse.objects.filter(survey=survey)
    assert responses.exists()
    assert responses.annotate(q=TruncQuarter("responded_at")).values("q").distinct().count() >= 4
    assert NpsResponse.objects.filter(external_id__startswith="survey:").count() == responses.count()
    assert all(response.nps_response_id for response in responses)
    call_command("seed_demo", "--seed", "5", "--accounts", "60", "--reset")
    assert SurveyResponse.objects.filter(survey__kind=SurveyKind.NPS).count() == responses.count()


def test_demo_runs_a_tech_touch_onboarding_program():
    from outreach.models import Enrollment, Program, StepRun

    call_command("seed_demo", "--seed", "5", "--accounts", "60")
    program = Program.objects.get(name="Tech-touch onboarding")
    assert program.status == "active" and program.audience["segments"] == ["tech_touch"]
    enrollments = Enrollment.objects.filter(program=program)
    assert enrollments.exists()
    assert StepRun.objects.filter(enrollment__program=program, outcome="sent").exists()
    assert enrollments.filter(status="active").exists() or enrollments.filter(status="done").exists()
