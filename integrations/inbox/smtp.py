"""The inbound SMTP listener (aiosmtpd): accept, check, store — the rest is a service call.

The session does the minimum: the recipient must be an inbox address, the message
within ``HOURGLASS_INBOX_MAX_BYTES`` (aiosmtpd answers 552 otherwise), the sender a
Hourglass user (550 otherwise). The database work runs in a worker thread, never in the
event loop, so one slow message does not stall the other sessions.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import close_old_connections, connections

from .services import Received, inbound_email_match, inbound_email_receive

logger = logging.getLogger(__name__)

REPLIES = {
    Received.STORED: "250 2.0.0 Stored for the timeline",
    Received.DUPLICATE: "250 2.0.0 Already received (same Message-ID)",
    Received.UNKNOWN_SENDER: "550 5.7.1 Sender is not a Hourglass user",
}


def receive_and_match(raw: bytes, envelope_from: str) -> str:
    """Store the message, then match it (a failed match leaves it pending, not lost)."""
    close_old_connections()
    try:
        result = inbound_email_receive(raw=raw, envelope_from=envelope_from)
        if result.outcome is Received.STORED and result.email is not None:
            try:
                inbound_email_match(email_id=result.email.pk)
            except Exception:
                logger.exception("inbox: matching email %s failed; it stays pending", result.email.pk)
        return REPLIES[result.outcome]
    finally:
        # Mail is rare next to page views: a connection per message, none left idle in
        # the executor's threads.
        connections.close_all()


class InboxHandler:
    """aiosmtpd calls ``handle_RCPT`` and ``handle_DATA`` by these names."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        domains = {d.lower() for d in settings.HOURGLASS_INBOX_DOMAINS}
        if domains and address.rsplit("@", 1)[-1].lower() not in domains:
            return "550 5.1.1 Not an inbox address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, receive_and_match, raw, envelope.mail_from or "")
        except Exception:
            logger.exception("inbox: storing a message from %s failed", envelope.mail_from)
            return "451 4.3.0 Temporary failure, please try again later"


def inbox_controller(*, host: str | None = None, port: int | None = None) -> Controller:
    """A listener (not yet started) with the inbox's limits; ``start()``/``stop()`` it."""
    return Controller(
        InboxHandler(),
        hostname=host or settings.HOURGLASS_INBOX_HOST,
        port=port or settings.HOURGLASS_INBOX_PORT,
        server_hostname="hourglass-inbox",
        ident="Hourglass inbox",
        data_size_limit=settings.HOURGLASS_INBOX_MAX_BYTES,
        enable_SMTPUTF8=True,
    )
