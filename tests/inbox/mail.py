"""Building and sending test email over real SMTP (smtplib against the listener)."""

from __future__ import annotations

import smtplib
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from django.utils import timezone

INBOX = "log@inbox.test"


def message(
    *,
    sender: str,
    to: str = "",
    cc: str = "",
    subject: str = "Renewal call follow-up",
    text: str = "Thanks for the call today.",
    html: str = "",
    message_id: str | None = None,
    attachments: list[tuple[str, bytes]] | None = None,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    if to:
        mail["To"] = to
    if cc:
        mail["Cc"] = cc
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = message_id or make_msgid(domain="example.com")
    if text:
        mail.set_content(text)
    if html:
        if text:
            mail.add_alternative(html, subtype="html")
        else:
            mail.set_content(html, subtype="html")
    for name, data in attachments or []:
        mail.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return mail


def send(port: int, mail: EmailMessage | bytes, *, mail_from: str, rcpt: str = INBOX) -> Any:
    """Send ``mail`` to the listener as a client would; returns smtplib's refusals ({})."""
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        raw = mail if isinstance(mail, bytes) else mail.as_bytes(policy=policy.SMTP)
        return client.sendmail(mail_from, [rcpt], raw)


def big_message(*, sender: str, size: int) -> bytes:
    """A plain message of about ``size`` bytes, CRLF lines as a mail client sends them."""
    head = f"From: {sender}\r\nTo: someone@acme.cn\r\nSubject: Big\r\nMessage-ID: <big@example.com>\r\n\r\n"
    line = b"x" * 98 + b"\r\n"
    return head.encode() + line * (size // len(line))
