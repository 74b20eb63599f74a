"""Erasure: the contact's personal data goes from every table, history included."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.models import ErasureRecord, Stakeholder, TimelineEntry
from accounts.privacy import ERASED_EMAIL, ERASED_NAME, stakeholder_erase
from accounts.stakeholders import stakeholder_create
from accounts.timeline import touchpoint_log
from core.models import OutboundEmail
from health.models import NpsResponse
from health.nps import nps_responses_for_user, nps_summary
from renewals.models import RenewalReminder

from .conftest import EMAIL, NAME, PHONE, SECRETS, World

pytestmark = pytest.mark.django_db


def _raw_cells_containing(needles: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """Every text cell of every table that contains one of ``needles`` (case-insensitive)."""
    found: list[tuple[str, str, str]] = []
    lowered = [needle.lower() for needle in needles]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (names from introspection)
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    text = str(value).lower() if value is not None else ""
                    found.extend((table, column, needle) for needle in lowered if needle in text)
    return found


def _tiers(account: Any) -> Counter[str]:
    return Counter(Stakeholder.objects.filter(account=account).values_list("tier", flat=True))


def test_no_personal_value_remains_in_any_table(org: Any, world: World) -> None:
    assert _raw_cells_containing(SECRETS)  # the fixture put them everywhere
    _record, erased = stakeholder_erase(actor=org.admin, stakeholder=world.person, confirm_name=NAME)
    assert erased
    assert _raw_cells_containing(SECRETS) == []


def test_history_rows_keep_nothing_personal(org: Any, world: World) -> None:
    before = world.person.history.count()
    stakeholder_erase(actor=org.admin, stakeholder=world.person, confirm_name=NAME)
    rows = list(Stakeholder.history.filter(id=world.person.pk).order_by("history_date", "history_id"))
    assert len(rows) == before + 1  # the erasure itself is one more history row …
    assert rows[-1].history_change_reason == "erasure" and rows[-1].history_user == org.admin
    for row in rows:  # … and no row, old or new, keeps a personal value
        assert (row.name, row.email, row.phone, row.demands, row.personality, row.work_goals) == (
            ERASED_NAME, "", "", "", "", "",
        )  # fmt: skip
        assert row.tier == "A"


def test_the_account_keeps_its_structure(org: Any, world: World) -> None:
    tiers, nps = _tiers(world.account), nps_summary(nps_responses_for_user(user=org.admin), group_by="account")
    stakeholder_erase(actor=org.admin, stakeholder=world.person, confirm_name=NAME)
    person = Stakeholder.objects.get(pk=world.person.pk)
    assert person.name == ERASED_NAME and person.email == person.phone == ""
    assert (person.tier, person.key_level, person.title, person.reports_to_id) == ("A", 1, "CFO", world.boss.pk)
    assert person.is_active is False and person.left_on is not None and person.erased_at is not None
    assert _tiers(world.account) == tiers
    assert Stakeholder.objects.get(pk=world.colleague.pk).reports_to_id == person.pk
    assert set(TimelineEntry.objects.get(pk=world.touchpoint.pk).stakeholders.all()) == {world.boss, person}
    # NPS keeps its score and respondent link; only the words go.
    own = NpsResponse.objects.get(pk=world.own_nps.pk)
    assert (own.score, own.stakeholder_id, own.comment) == (9, person.pk, "")
    assert nps_summary(nps_responses_for_user(user=org.admin), group_by="account") == nps


def test_mentions_are_replaced_by_the_tombstone(org: Any, world: World) -> None:
    stakeholder_erase(actor=org.admin, stakeholder=world.person, confirm_name=NAME)
    touchpoint = TimelineEntry.objects.get(pk=world.touchpoint.pk)
    assert touchpoint.title == f"Call with {ERASED_NAME}"
    assert touchpoint.body == f"{ERASED_NAME} ({ERASED_NAME}, {ERASED_NAME}) wants SSO"
    left = TimelineEntry.objects.get(account=world.account, kind="stakeholder_left")
    assert left.title == f"{ERASED_NAME} (A) left"
    assert TimelineEntry.objects.get(pk=world.unrelated.pk).body == "Wendy's team? no"  # not her name
    assert NpsResponse.objects.get(pk=world.other_nps.pk).comment == f"Ask {ERASED_NAME}, she knows"
    email = OutboundEmail.objects.get(pk=world.email.pk)
    assert email.to == [ERASED_EMAIL] and email.cc == [org.csm_a1.email]
    assert email.status == OutboundEmail.Status.FAILED  # a queued email to her is never sent
    assert RenewalReminder.objects.get(pk=world.reminder.pk).recipient_email == ERASED_EMAIL


def test_one_audit_record_names_who_when_and_counts(org: Any, world: World) -> None:
    record, _ = stakeholder_erase(actor=org.admin, stakeholder=world.person, confirm_name=f"  {NAME} ")
    assert (record.stakeholder_id, record.account_id) == (world.person.pk, world.account.pk)
    assert record.actor_id == org.admin.pk
    assert record.actor_username == "admin" and record.erased_at is not None
    assert record.counts["accounts.timelineentry"] == 2  # the touchpoint and the departure entry
    assert record.counts["health.npsresponse"] == 1 and record.counts["health.npsresponse_mentions"] == 1
    assert record.counts["renewals.renewalreminder"] == 1 and record.counts["core.outboundemail"] == 1
    assert record.counts["playbooks.task"] == 1 and record.counts["playbooks.taskcomment"] == 1
    assert record.counts["accounts.historicalstakeholder"] >= 3
    entry = TimelineEntry.objects.get(account=world.account, kind="stakeholder_erased")
    assert entry.data["erasure_id"] == record.pk and entry.actor == org.admin


def test_erasing_twice_is_harmless(org: Any, world: World) -> None:
    first, erased = stakeholder_erase(actor=org.admin, stakeholder=world.person, confirm_name=NAME)
    history = Stakeholder.history.filter(id=world.person.pk).count()
    again, erased_again = stakeholder_erase(actor=org.admin, stakeholder=world.person, confirm_name=ERASED_NAME)
    assert (erased, erased_again, again.pk) == (True, False, first.pk)
    assert ErasureRecord.objects.count() == 1
    assert Stakeholder.history.filter(id=world.person.pk).count() == history


def test_a_contact_given_data_again_after_erasure_can_be_erased_again(org: Any, world: World) -> None:
    stakeholder_erase(actor=org.admin, stakeholder=world.person, confirm_name=NAME)
    Stakeholder.objects.filter(pk=world.person.pk).update(name="Wendy Again", email="again@customer.example")
    _, erased = stakeholder_erase(actor=org.admin, stakeholder=world.person, confirm_name="Wendy Again")
    assert erased and ErasureRecord.objects.count() == 2
    assert _raw_cells_containing(("Wendy Again", "again@customer.example")) == []


def test_a_wrong_name_changes_nothing(org: Any, world: World) -> None:
    history = Stakeholder.history.filter(id=world.person.pk).count()
    for typed in ("", "wendy vasquez", "Wendy", "Erased contact"):
        with pytest.raises(ValidationError) as error:
            stakeholder_erase(actor=org.admin, stakeholder=world.person, confirm_name=typed)
        assert "confirm_name" in error.value.message_dict
    person = Stakeholder.objects.get(pk=world.person.pk)
    assert (person.name, person.email, person.phone, person.erased_at) == (NAME, EMAIL, PHONE, None)
    assert Stakeholder.history.filter(id=world.person.pk).count() == history
    assert not ErasureRecord.objects.exists()
    assert TimelineEntry.objects.get(pk=world.touchpoint.pk).title == f"Call with {NAME}"


@pytest.mark.parametrize("role", ["manager_a", "csm_a1"])
def test_only_admins_may_erase(org: Any, world: World, role: str) -> None:
    with pytest.raises(PermissionDenied):
        stakeholder_erase(actor=getattr(org, role), stakeholder=world.person, confirm_name=NAME)
    assert Stakeholder.objects.get(pk=world.person.pk).name == NAME
    assert not ErasureRecord.objects.exists()


def test_short_names_do_not_redact_parts_of_words(org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    ann = stakeholder_create(actor=org.csm_a1, account=account, name="Ann")
    touchpoint_log(actor=org.csm_a1, account=account, kind="note", title="Annual review with Ann", body="ANN: planning")
    stakeholder_erase(actor=org.admin, stakeholder=ann, confirm_name="Ann")
    entry = TimelineEntry.objects.get(account=account, kind="note")
    assert (entry.title, entry.body) == (f"Annual review with {ERASED_NAME}", f"{ERASED_NAME}: planning")


def test_chinese_names_are_redacted_inside_sentences(org: Any) -> None:
    account = org.accounts["csm_a1"][0]
    person = stakeholder_create(actor=org.csm_a1, account=account, name="王伟", tier="S")
    touchpoint_log(actor=org.csm_a1, account=account, kind="visit", title="拜访王伟总", body="王伟说预算已批")
    stakeholder_erase(actor=org.admin, stakeholder=person, confirm_name="王伟")
    entry = TimelineEntry.objects.get(account=account, kind="visit")
    assert (entry.title, entry.body) == (f"拜访{ERASED_NAME}总", f"{ERASED_NAME}说预算已批")


def test_other_accounts_are_untouched(org: Any, world: World) -> None:
    other = org.accounts["csm_b1"][0]
    entry = touchpoint_log(actor=org.csm_b1, account=other, kind="note", title=f"Met {NAME} at a fair")
    stakeholder_erase(actor=org.admin, stakeholder=world.person, confirm_name=NAME)
    assert TimelineEntry.objects.get(pk=entry.pk).title == f"Met {NAME} at a fair"
