"""Erasing a contact enrolled in a program: the enrolment keeps its history with the address
replaced, one in progress leaves the program, and the export lists the enrolments."""

from __future__ import annotations

import pytest

from accounts.privacy import ERASED_EMAIL, stakeholder_erase, stakeholder_personal_data_export
from outreach.models import Enrollment, EnrollmentStatus
from outreach.programs.enrol import program_enrol
from outreach.programs.runner import program_steps_run
from tests.outreach.conftest import contact
from tests.outreach.programs_support import make_program

pytestmark = pytest.mark.django_db


def test_an_erased_contact_leaves_the_program_and_its_address_goes(org):
    account = org.accounts["csm_a1"][0]
    person = contact(account, "Li Wei", "li.wei@erase.test")
    other = contact(account, "Anna Berg", "anna@erase.test")
    program = make_program(org.admin, owner_ids=[org.csm_a1.pk])
    assert program_enrol(program=program) == 2
    program_steps_run()

    exported = stakeholder_personal_data_export(actor=org.admin, stakeholder=person)
    assert [row["email"] for row in exported["program_enrollments"]] == ["li.wei@erase.test"]

    stakeholder_erase(actor=org.admin, stakeholder=person, confirm_name="Li Wei")
    erased = Enrollment.objects.get(stakeholder=person)
    assert erased.email == ERASED_EMAIL
    assert (erased.status, erased.next_action_at, erased.exit_reason) == (EnrollmentStatus.EXITED, None, "erased")
    assert erased.runs.exists()  # the history stays for the program's counts
    kept = Enrollment.objects.get(stakeholder=other)
    assert kept.status == EnrollmentStatus.ACTIVE and kept.email == "anna@erase.test"
