"""Whether a hit on a program email's click link was a person (counted) or a mail scanner.

Mail security gateways (Microsoft Defender Safe Links, Mimecast, Proofpoint, Barracuda …)
and link previews open every link of an email as it arrives, so a redirect that counted
every GET would mark every contact "clicked" and make the click branch meaningless. A
hit is **not** counted as a click (the browser is still redirected, whatever it is) when:

- it is a ``HEAD`` request (link checkers and previews ask for the headers only);
- its ``User-Agent`` is empty or names a known scanner, preview fetcher or HTTP library;
- it comes within ``SCANNER_SECONDS`` of the email's delivery (or before the outbox
  recorded it as sent): gateways follow links while delivering, people read later.

A person whose first click falls in those first seconds is counted at their next click.
Every rule is a check on the request and one column already read (the message's
``sent_at``): no extra query, no JavaScript, no extra page for the reader.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.http import HttpRequest

SCANNER_SECONDS = 60
SCANNER_AGENTS = re.compile(
    r"bot\b|crawl|spider|preview|scan|safelinks|defender|mimecast|proofpoint|barracuda|ironport|"
    r"forcepoint|trendmicro|symantec|messagelabs|fireeye|sophos|zscaler|cloudmark|"
    r"curl|wget|python|go-http-client|java/|okhttp|libwww|httpclient|axios|node-fetch|headless",
    re.IGNORECASE,
)


def scanner_reason(request: HttpRequest, *, sent_at: datetime | None, now: datetime) -> str:
    """Why this hit is not a person's click ("" when it counts)."""
    if request.method == "HEAD":
        return "head"
    agent = request.headers.get("User-Agent", "").strip()
    if not agent or SCANNER_AGENTS.search(agent):
        return "agent"
    if sent_at is None or now - sent_at < timedelta(seconds=SCANNER_SECONDS):
        return "too_soon"
    return ""
