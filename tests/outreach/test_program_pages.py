"""Program pages: who sees and manages what, the form, a contact's state, preview, test
send, the unsubscribe page, and constant query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.models import OutboundEmail
from outreach.models import ContactPreference, Enrollment, Program
from outreach.programs.emails import unsubscribe_token
from outreach.programs.enrol import program_enrol
from outreach.programs.runner import program_steps_run
from tests.outreach.conftest import contact
from tests.outreach.programs_support import make_program

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(org):
    contact(org.accounts["csm_a1"][0], "Li Wei", "li.wei@customer.test")
    contact(org.accounts["csm_b1"][0], "Other Team", "other@customer.test")
    program = make_program(org.admin)
    program_enrol(program=program)
    program_steps_run()
    return program


def test_a_csm_sees_their_contacts_read_only(client, org, running):
    client.force_login(org.csm_a1)
    assert "Onboarding" in client.get(reverse("outreach:program_list")).content.decode()
    page = client.get(reverse("outreach:program_detail", args=[running.pk])).content.decode()
    assert "Li Wei" in page and "Other Team" not in page
    assert "program-pause" not in page and reverse("outreach:program_edit", args=[running.pk]) not in page
    assert client.get(reverse("outreach:program_edit", args=[running.pk])).status_code == 403
    denied = client.post(reverse("outreach:program_status", args=[running.pk]), {"status": "paused"})
    assert denied.status_code == 403 and Program.objects.get().status == "active"
    other = Enrollment.objects.get(stakeholder__name="Other Team")
    hidden = reverse("outreach:program_enrollment", args=[running.pk, other.pk])
    assert client.get(hidden).status_code == 404
    mine = Enrollment.objects.get(stakeholder__name="Li Wei")
    state = client.get(reverse("outreach:program_enrollment", args=[running.pk, mine.pk])).content.decode()
    assert "Email sent" in state and "Waiting" in state and "3 · " in state
    client.force_login(org.csm_a2)  # no contact of theirs in it
    assert "Onboarding" not in client.get(reverse("outreach:program_list")).content.decode()
    assert client.get(reverse("outreach:program_detail", args=[running.pk])).status_code == 404


def test_a_manager_creates_a_program_through_the_form(client, org):
    client.force_login(org.manager_a)
    data = {
        "name": "Tech-touch onboarding",
        "segments": ["tech_touch"],
        "entry": "always",
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "0",
        "steps-0-position": "1",
        "steps-0-kind": "email",
        "steps-0-subject_en": "Welcome",
        "steps-0-body_en": "Hello {contact_name}",
        "steps-0-task_due_days": "3",
        "steps-1-position": "2",
        "steps-1-kind": "wait",
        "steps-1-wait_days": "7",
        "steps-1-task_due_days": "3",
        "steps-2-position": "3",
        "steps-2-kind": "branch",
        "steps-2-condition": "health",
        "steps-2-goto_position": "1",  # backwards: refused, naming the field
        "steps-2-task_due_days": "3",
    }
    refused = client.post(reverse("outreach:program_create"), data)
    assert refused.status_code == 400 and "Jump forward" in refused.content.decode()
    assert not Program.objects.exists()
    data |= {"steps-2-kind": "exit", "steps-2-condition": "", "steps-2-goto_position": ""}
    saved = client.post(reverse("outreach:program_create"), data)
    program = Program.objects.get()
    assert saved.status_code == 302 and program.audience["segments"] == ["tech_touch"]
    assert list(program.steps.values_list("kind", flat=True)) == ["email", "wait", "exit"]
    client.post(reverse("outreach:program_status", args=[program.pk]), {"status": "active"})
    assert Program.objects.get().status == "active"
    assert client.get(reverse("outreach:program_edit", args=[program.pk])).status_code == 200


def test_preview_and_test_send_to_oneself(client, org, running):
    step = running.steps.get(position=1)
    mine = Enrollment.objects.get(stakeholder__name="Li Wei")
    client.force_login(org.admin)
    url = reverse("outreach:program_step_preview", args=[running.pk, step.pk])
    page = client.get(url, {"enrollment": mine.pk, "language": "zh-hans"}).content.decode()
    assert "欢迎，Li Wei" in page and "None" not in page
    neutral = client.get(url).content.decode()
    assert "Welcome, there" in neutral
    before = OutboundEmail.objects.count()
    send = reverse("outreach:program_step_test_send", args=[running.pk, step.pk])
    answer = client.post(send, {"enrollment": mine.pk})
    assert answer.status_code == 302
    test = OutboundEmail.objects.exclude(dedupe_key__startswith="program:").latest("pk")
    assert OutboundEmail.objects.count() == before + 1 and test.to == [org.admin.email]
    assert test.subject.startswith("[Test]") and "Li Wei" in test.body_text


def test_program_unsubscribe_page(client, org, running):
    mine = Enrollment.objects.get(stakeholder__name="Li Wei")
    url = reverse("outreach:program_unsubscribe", args=[unsubscribe_token(mine.pk)])
    assert client.get(url).status_code == 200
    assert not ContactPreference.objects.filter(email="li.wei@customer.test", unsubscribed_at__isnull=False).exists()
    assert client.post(url).status_code == 200
    assert ContactPreference.objects.get(email="li.wei@customer.test").unsubscribed_at is not None
    forged = client.get(reverse("outreach:program_unsubscribe", args=[f"{mine.pk}:bad"]))
    assert forged.status_code == 404


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_program_pages_query_counts_do_not_grow_with_contacts(client, org):
    account = org.accounts["csm_a1"][0]
    contact(account, "First", "first@customer.test")
    program = make_program(org.admin)
    program_enrol(program=program)
    program_steps_run()
    client.force_login(org.admin)
    detail = reverse("outreach:program_detail", args=[program.pk])
    listing = reverse("outreach:program_list")
    one = (_queries(client, detail), _queries(client, listing))
    for n in range(20):
        contact(account, f"Contact {n}", f"c{n}@customer.test")
    program_enrol(program=program)
    program_steps_run()
    enrollment = Enrollment.objects.filter(program=program).first()
    assert _queries(client, reverse("outreach:program_enrollment", args=[program.pk, enrollment.pk])) < 20
    assert (_queries(client, detail), _queries(client, listing)) == one


def test_an_admin_clears_a_bounce_and_others_may_not(client, org):
    ContactPreference.objects.create(email="gone@customer.test", bounced_at=timezone.now(), bounce_reason="550 no user")
    client.force_login(org.manager_a)
    assert client.get(reverse("outreach:bounce_list")).status_code == 403
    assert client.post(reverse("outreach:bounce_clear"), {"email": "gone@customer.test"}).status_code == 403
    assert ContactPreference.objects.get(email="gone@customer.test").bounced_at is not None
    client.force_login(org.admin)
    page = client.get(reverse("outreach:bounce_list")).content.decode()
    assert "gone@customer.test" in page and "550 no user" in page
    assert client.post(reverse("outreach:bounce_clear"), {"email": ""}).status_code == 400
    answer = client.post(reverse("outreach:bounce_clear"), {"email": "Gone@Customer.test"})
    assert answer.status_code == 302
    pref = ContactPreference.objects.get(email="gone@customer.test")
    assert pref.bounced_at is None and pref.bounce_reason == ""
    assert "gone@customer.test" not in client.get(reverse("outreach:bounce_list")).content.decode()
