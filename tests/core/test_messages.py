"""Generated text stored as a message key and rendered in the reader's language."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from accounts.models import DossierReview, Stakeholder
from core.messages import (
    KEY_MAX_LENGTH,
    Message,
    choice,
    lines_render,
    message,
    message_fields,
    message_lines,
    message_render,
    messages_render,
    word,
)
from core.models import Notification, OutboundEmail
from core.notifications import NotificationDraft, notification_send, notifications_send
from org.models import CsProfile

AT_RISK = gettext_noop("Renewal due %(date)s marked at risk")
OWNER = gettext_noop("Owner changed: %(old)s → %(new)s")


@pytest.fixture(autouse=True)
def _default_language_after():
    """A request in zh-hans leaves its language active in the thread: reset it, so the
    tests that run next see the default."""
    yield
    translation.deactivate()


def in_language(code: str, note: Message) -> str:
    with translation.override(code):
        return note.render(fallback="stored")


def test_a_key_renders_in_the_active_language():
    note = message(AT_RISK, date="2026-03-31")
    assert in_language("en", note) == "Renewal due 2026-03-31 marked at risk"
    assert in_language("zh-hans", note) == "2026-03-31 到期的续费被标记为有风险"


@pytest.mark.django_db
def test_choice_and_word_parameters_are_translated_when_read():
    verdict = message(
        gettext_noop("Dossier reviewed: %(verdict)s"), verdict=choice(DossierReview, "verdict", "approved")
    )
    assert in_language("en", verdict) == "Dossier reviewed: Approved"
    assert in_language("zh-hans", verdict) == "档案已审阅：通过"
    nobody = message(OWNER, old="Zhao Min", new=word(gettext_noop("nobody")))
    assert in_language("en", nobody) == "Owner changed: Zhao Min → nobody"
    assert in_language("zh-hans", nobody) == "负责人变更：Zhao Min → 无"
    tier = message(
        gettext_noop("%(name)s, %(title)s, left the customer."), name="Li", title=choice(Stakeholder, "tier", "S")
    )
    assert in_language("en", tier) == "Li, S — executive (CEO, VP), left the customer."


def test_an_unknown_choice_code_or_field_shows_the_code():
    unknown_code = message(gettext_noop("Dossier reviewed: %(verdict)s"), verdict=choice(DossierReview, "verdict", "x"))
    assert in_language("en", unknown_code) == "Dossier reviewed: x"
    gone = Message(AT_RISK, {"date": {"choice": "nowhere.Model.field", "value": "2026-01-01"}})
    assert in_language("en", gone) == "Renewal due 2026-01-01 marked at risk"
    malformed = Message(AT_RISK, {"date": {"choice": "no-dots", "value": "v"}})
    assert in_language("en", malformed) == "Renewal due v marked at risk"


def test_a_list_parameter_is_joined():
    note = message(gettext_noop("Renewal due %(date)s lapsed: the date passed without a decision"), date=["a", "b"])
    assert in_language("en", note) == "Renewal due a, b lapsed: the date passed without a decision"


@pytest.mark.parametrize(
    "params",
    [
        {},  # a sentence with placeholders and no values
        {"day": "2026-03-31"},  # the wrong name
        {"date": {"neither": "choice nor msgid"}},  # a broken parameter
        ["2026-03-31"],  # not a mapping
        "2026-03-31",
    ],
)
def test_params_that_do_not_fit_fall_back_to_the_stored_text(params):
    for code in ("en", "zh-hans"):
        with translation.override(code):
            rendered = message_render(AT_RISK, params, fallback="stored title")
        assert rendered == "stored title"
        assert "%(" not in rendered


def test_an_empty_key_or_a_bad_format_falls_back():
    assert message_render("", {"a": 1}, fallback="kept") == "kept"
    assert message_render("100%(x)", {"x": 1}, fallback="kept") == "kept"  # incomplete format
    # A key the catalogue does not know is shown as written (its English msgid) …
    assert message_render("Something %(x)s", {"x": 1}, fallback="kept") == "Something 1"
    # … and a sentence without placeholders keeps a lone percent sign.
    assert message_render("Up 5%", {}, fallback="kept") == "Up 5%"


def test_body_lines_render_together_or_fall_back_whole():
    lines = [message(AT_RISK, date="d"), message(gettext_noop("First stage recorded for this account."))]
    stored = message_lines(lines)
    assert stored == [
        {"key": AT_RISK, "params": {"date": "d"}},
        {"key": "First stage recorded for this account.", "params": {}},
    ]
    with translation.override("en"):
        assert messages_render(stored) == "Renewal due d marked at risk\nFirst stage recorded for this account."
        assert lines_render(lines) == messages_render(stored)
    broken = [stored[0], {"key": AT_RISK, "params": {}}]
    assert messages_render(broken, fallback="body") == "body"
    assert messages_render(["not a dict"], fallback="body") == "body"
    assert messages_render([], fallback="body") == "body"


def test_a_key_too_long_for_its_column_is_not_stored():
    assert message_fields(message("x" * (KEY_MAX_LENGTH + 1))) == ("", {})
    assert message_fields(None) == ("", {})
    assert message_fields(message(AT_RISK, date="d")) == (AT_RISK, {"date": "d"})


# --- Notifications ---------------------------------------------------------------------


def _chinese(user) -> None:
    CsProfile.objects.filter(user=user).update(language="zh-hans")
    user.cs_profile.refresh_from_db()


@pytest.mark.django_db
def test_a_notification_written_in_english_reads_in_chinese(client, org):
    note = message(AT_RISK, date="2026-03-31")
    with translation.override("en"):
        notification = notification_send(recipient=org.csm_a1, kind="test", message=note, dedupe_key="n1")
    assert notification is not None
    notification.refresh_from_db()
    assert notification.title == "Renewal due 2026-03-31 marked at risk"  # the stored fallback
    assert (notification.message_key, notification.message_params) == (AT_RISK, {"date": "2026-03-31"})
    client.force_login(org.csm_a1)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2026-03-31 到期的续费被标记为有风险" in page
    assert "marked at risk" not in page
    # Sent again with the same key: nothing new.
    assert notification_send(recipient=org.csm_a1, kind="test", message=note, dedupe_key="n1") is None


@pytest.mark.django_db
def test_a_notification_written_in_chinese_reads_in_english(client, org):
    note = message(
        gettext_noop("Lifecycle stage: %(stage)s"), stage={"choice": "playbooks.AccountStage.stage", "value": "steady"}
    )
    with translation.override("zh-hans"):
        notifications_send([NotificationDraft(recipient=org.csm_a1, kind="test", message=note, dedupe_key="n2")])
    stored = Notification.objects.get(dedupe_key="n2")
    assert stored.title == "生命周期阶段：平稳期"  # stored in the writer's language
    client.force_login(org.csm_a1)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Lifecycle stage: Steady" in page


@pytest.mark.django_db
def test_the_email_mirror_is_in_the_recipients_language(org):
    _chinese(org.csm_a1)
    org.csm_a1.email = "a1@example.com"
    org.csm_a1.save(update_fields=["email"])
    body = message(gettext_noop("Deliveries wait until you turn it on again."))
    with translation.override("en"):
        notification_send(
            recipient=org.csm_a1,
            kind="test",
            message=message(AT_RISK, date="2026-03-31"),
            body_messages=[body],
            dedupe_key="n3",
            email=True,
        )
    email = OutboundEmail.objects.get(dedupe_key__startswith="notification:")
    assert email.subject == "2026-03-31 到期的续费被标记为有风险"
    stored = Notification.objects.get(dedupe_key="n3")
    assert stored.body == "Deliveries wait until you turn it on again."
    with translation.override("zh-hans"):
        assert stored.display_body != stored.body and stored.display_body


@pytest.mark.django_db
def test_a_notification_with_bad_params_shows_its_stored_title(client, org):
    Notification.objects.create(
        recipient=org.csm_a1, kind="test", title="Stored title", message_key=AT_RISK, message_params={"wrong": 1}
    )
    client.force_login(org.csm_a1)
    response = client.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Stored title" in page and "%(" not in page


@pytest.mark.django_db
def test_the_notifications_page_queries_do_not_grow_with_keyed_rows(client, org):
    def add(count: int, start: int) -> None:
        notifications_send(
            NotificationDraft(
                recipient=org.csm_a1, kind="test", message=message(AT_RISK, date=f"2026-01-{i % 28 + 1:02d}")
            )
            for i in range(start, start + count)
        )

    client.force_login(org.csm_a1)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("notifications"), HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 200
        return len(ctx.captured_queries)

    add(1, 0)
    one = queries()
    add(19, 1)
    assert queries() == one
