"""A saved segment as an outreach audience (``outreach.audience``): its members among the
sender's accounts, and the audience forms offer the segments the sender sees."""

from __future__ import annotations

import pytest

from accounts.models import SegmentKind, Stakeholder
from accounts.saved_segments import segment_add_accounts, segment_create, segment_members_apply
from accounts.selectors import account_scope
from outreach.audience import audience_clean, audience_stakeholders
from outreach.forms import AudienceForm
from outreach.program_forms import ProgramForm


@pytest.mark.django_db
def test_members_of_a_saved_segment_within_the_senders_scope(org):
    a1, a2 = org.accounts["csm_a1"]
    b1 = org.accounts["csm_b1"][0]
    for account in (a1, a2, b1):
        Stakeholder.objects.create(account=account, name=f"Contact {account.pk}", email=f"c{account.pk}@example.com")
    pilot = segment_create(actor=org.csm_a1, name="Pilot", kind=SegmentKind.STATIC, shared=True)
    segment_add_accounts(actor=org.csm_a1, segment=pilot, account_ids=[a1.pk])
    segment_members_apply(segment=pilot, entered=[b1.pk], left=[])  # a member outside csm_a1's scope

    audience = audience_clean({"saved_segments": [str(pilot.pk)]})
    assert audience["saved_segments"] == [pilot.pk]
    people = audience_stakeholders(accounts=account_scope(user=org.csm_a1), audience=audience)
    assert list(people.values_list("account_id", flat=True)) == [a1.pk]
    everyone = audience_stakeholders(accounts=account_scope(user=org.admin), audience=audience)
    assert set(everyone.values_list("account_id", flat=True)) == {a1.pk, b1.pk}
    with pytest.raises(Exception, match="whole numbers"):
        audience_clean({"saved_segments": ["x"]})


@pytest.mark.django_db
def test_the_audience_forms_offer_the_segments_the_sender_sees(org):
    shared = segment_create(actor=org.csm_a1, name="Team A pilot", shared=True)
    segment_create(actor=org.csm_b1, name="Team B pilot", shared=True)
    for form_class in (AudienceForm, ProgramForm):
        form = form_class(user=org.manager_a)
        assert form.fields["saved_segments"].choices == [(shared.pk, "Team A pilot")]
    form = AudienceForm({"saved_segments": [str(shared.pk)]}, user=org.csm_a2)
    assert form.is_valid() and form.audience()["saved_segments"] == [shared.pk]
    form = AudienceForm({"saved_segments": [str(shared.pk)]}, user=org.csm_b1)
    assert not form.is_valid() and "saved_segments" in form.errors
