"""Outreach's part of a contact's personal-data export and erasure (accounts.privacy).

Connected in ``OutreachConfig.ready``. A survey recipient row keeps the address its
email went to and the answer keeps the contact's comment: erasure replaces the address
and forgets the comment, but keeps the rows (scores stay in the survey's results, and
the claim keeps a second email from ever being sent). The contact's standing
(unsubscribed, bounced, language) is keyed by the address, so it goes with it. A
program enrolment keeps its history (the counts stay right) with the address replaced;
one still in progress leaves the program, so no further email is due to the contact.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone

from accounts.privacy import ERASED_EMAIL

from .models import ContactPreference, Enrollment, EnrollmentStatus, SurveyRecipient, SurveyResponse

RECIPIENT_FIELDS = ("survey_id", "wave", "email", "language", "status", "sent_at", "expires_at", "answered_at")
RESPONSE_FIELDS = ("survey_id", "score", "comment", "responded_at", "updated_at")
ENROLLMENT_FIELDS = ("program_id", "email", "status", "position", "enrolled_at", "finished_at", "exit_reason")
PREFERENCE_FIELDS = ("email", "unsubscribed_at", "bounced_at", "bounce_reason", "last_surveyed_at", "language")


def _emails(stakeholder: Any, terms: set[str]) -> set[str]:
    found = {term.lower() for term in terms if "@" in term}
    if stakeholder.email:
        found.add(stakeholder.email.lower())
    return found


def on_personal_data(sender: Any, *, stakeholder: Any, terms: set[str], **kwargs: Any) -> dict[str, Any]:
    recipients = SurveyRecipient.objects.filter(stakeholder=stakeholder).order_by("created_at", "pk")
    responses = SurveyResponse.objects.filter(stakeholder=stakeholder).order_by("responded_at", "pk")
    preferences = ContactPreference.objects.filter(email__in=_emails(stakeholder, terms)).order_by("email")
    enrollments = Enrollment.objects.filter(stakeholder=stakeholder).order_by("enrolled_at", "pk")
    return {
        "survey_recipients": [{"id": r.pk, **{f: getattr(r, f) for f in RECIPIENT_FIELDS}} for r in recipients],
        "survey_responses": [{"id": r.pk, **{f: getattr(r, f) for f in RESPONSE_FIELDS}} for r in responses],
        "contact_preferences": [{f: getattr(p, f) for f in PREFERENCE_FIELDS} for p in preferences],
        "program_enrollments": [{"id": e.pk, **{f: getattr(e, f) for f in ENROLLMENT_FIELDS}} for e in enrollments],
    }


def on_erasing(
    sender: Any, *, stakeholder: Any, pattern: re.Pattern[str] | None, emails: set[str], **kwargs: Any
) -> dict[str, int]:
    addresses = {email.lower() for email in emails} | _emails(stakeholder, set())
    preferences, _ = ContactPreference.objects.filter(email__in=addresses).delete()
    enrollments = Enrollment.objects.filter(stakeholder=stakeholder)
    enrollments.filter(status=EnrollmentStatus.ACTIVE).update(
        status=EnrollmentStatus.EXITED, next_action_at=None, exit_reason="erased", finished_at=timezone.now()
    )
    return {
        "outreach.enrollment": enrollments.update(email=ERASED_EMAIL),
        "outreach.surveyrecipient": SurveyRecipient.objects.filter(stakeholder=stakeholder).update(email=ERASED_EMAIL),
        "outreach.surveyresponse": SurveyResponse.objects.filter(stakeholder=stakeholder)
        .exclude(comment="")
        .update(comment=""),
        "outreach.contactpreference": preferences,
    }
