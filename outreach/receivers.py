"""What outreach does when other parts of Hourglass announce something."""

from __future__ import annotations

from typing import Any

from core.outbox import email_permanently_failed


def on_email_permanently_failed(sender: Any, *, addresses: list[str], error: str = "", **kwargs: Any) -> None:
    """An SMTP server refused an address for good (5xx): no survey goes to it again."""
    from .responses import contacts_mark_bounced

    contacts_mark_bounced(emails=addresses, reason=error)


def connect() -> None:
    email_permanently_failed.connect(on_email_permanently_failed, dispatch_uid="outreach.email_permanently_failed")
