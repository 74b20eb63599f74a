"""``ChoiceLabels``: the same ``get_<field>_display()`` as Django's, in the active language."""

from __future__ import annotations

import pytest
from django.utils import translation

from accounts.models import Account, AccountStatus
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db


def test_display_is_the_choice_label_in_the_active_language():
    account = AccountFactory(status=AccountStatus.ONBOARDING)
    with translation.override("en"):
        english = account.get_status_display()
    with translation.override("zh-hans"):
        chinese = account.get_status_display()
    assert english == str(AccountStatus.ONBOARDING.label) == "Onboarding"
    assert chinese != english and chinese  # translated per call, not frozen at first use
    with translation.override("en"):
        assert account.get_status_display() == english


def test_a_value_outside_the_choices_is_shown_as_it_is():
    account = Account(status="legacy-status")
    assert account.get_status_display() == "legacy-status"
