"""The embedded default prints one line per email, and links follow the port it runs on."""

from __future__ import annotations

import io

from django.core import mail
from django.core.mail import EmailMultiAlternatives

from core.mail_backends import OneLineConsoleBackend
from workspace.management.commands.runstack import child_environment


def test_each_message_is_one_line_with_recipients_and_subject() -> None:
    stream = io.StringIO()
    backend = OneLineConsoleBackend(stream=stream)
    long_body = "A paragraph of the alert.\n" * 200
    messages = [
        EmailMultiAlternatives("Activity dropped:\n Acme", long_body, to=["csm@example.com"], cc=["lead@example.com"]),
        EmailMultiAlternatives("续约提醒", long_body, to=["张伟 <zhang@example.com>"]),
        EmailMultiAlternatives("Nobody to send to", long_body, to=[]),
    ]
    messages[0].attach_alternative("<p>html</p>", "text/html")

    assert backend.send_messages(messages) == 2

    lines = stream.getvalue().splitlines()
    assert lines == [
        "email to csm@example.com, lead@example.com: Activity dropped: Acme",
        "email to 张伟 <zhang@example.com>: 续约提醒",
    ]
    assert "paragraph" not in stream.getvalue()


def test_it_is_what_send_mail_uses_without_an_smtp_host(settings, capsys) -> None:
    settings.EMAIL_BACKEND = "core.mail_backends.OneLineConsoleBackend"
    assert mail.send_mail("Renewal in 30 days", "body text", None, ["csm@example.com"]) == 1
    assert capsys.readouterr().out == "email to csm@example.com: Renewal in 30 days\n"


def test_links_point_at_the_chosen_port_unless_the_deployment_set_a_base_url(monkeypatch) -> None:
    monkeypatch.delenv("HOURGLASS_BASE_URL", raising=False)
    assert child_environment("127.0.0.1", 8123)["HOURGLASS_BASE_URL"] == "http://localhost:8123"
    assert child_environment("cs.example.com", 80)["HOURGLASS_BASE_URL"] == "http://cs.example.com:80"

    monkeypatch.setenv("HOURGLASS_BASE_URL", "https://cs.example.com")
    assert child_environment("127.0.0.1", 8123)["HOURGLASS_BASE_URL"] == "https://cs.example.com"
