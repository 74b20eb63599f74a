"""Raw email bytes → what the inbox stores: decoded, sanitised text, never raising.

Broken MIME is the normal case for an inbox: a wrong charset label, a truncated part, a
header that is not RFC 5322. Everything that can be decoded is kept and what could not
is written down as a defect, so the CSM still gets the email on the timeline.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.errors import MessageError
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

BODY_MAX_CHARS = 100_000
# What the email package raises on a header it cannot parse.
PARSE_ERRORS = (MessageError, ValueError, TypeError, IndexError, AttributeError, LookupError)
# Mail clients label GBK/GB18030 text "gb2312"; GB18030 is a superset of both.
CHARSET_UPGRADES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030"}
ADDRESS = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The line a mail client writes above a forwarded message (Gmail, Outlook, Apple Mail,
# QQ/NetEase/Foxmail in Chinese).
FORWARD_MARKERS = re.compile(
    r"^\s*(-{2,}\s*(Forwarded message|Original Message|转发的邮件|原始邮件)\s*-{2,}|Begin forwarded message:)",
    re.IGNORECASE | re.MULTILINE,
)
FORWARD_HEADER = re.compile(r"^\s*[>\s]*(From|To|Cc|发件人|收件人|抄送)\s*[:：](.*)$", re.IGNORECASE)
FORWARD_HEADER_LINES = 20


@dataclass
class ParsedEmail:
    message_id: str
    subject: str
    from_header: str
    from_addresses: list[str]
    to_addresses: list[str]
    forwarded_addresses: list[str]
    sent_at: datetime | None
    body: str
    attachments: list[dict[str, object]] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    size: int = 0


def parse_email(raw: bytes) -> ParsedEmail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    defects: list[str] = []
    from_header = _header(message, "From", defects)
    parsed = ParsedEmail(
        message_id=_message_id(message, raw, defects),
        subject=" ".join(_header(message, "Subject", defects).split())[:300],
        from_header=from_header[:500],
        from_addresses=_addresses([from_header]),
        to_addresses=_addresses([_header(message, name, defects) for name in ("To", "Cc")]),
        forwarded_addresses=[],
        sent_at=_sent_at(_header(message, "Date", defects)),
        body="",
        size=len(raw),
    )
    plain, html = _walk(message, parsed, defects)
    body = plain if plain.strip() else html_to_text(html)
    body = CONTROL.sub("", body.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(body) > BODY_MAX_CHARS:
        body = body[:BODY_MAX_CHARS]
        defects.append(f"text cut to {BODY_MAX_CHARS} characters")
    parsed.body = body
    parsed.forwarded_addresses = forwarded_addresses(body)
    parsed.defects = list(dict.fromkeys(defects))[:50]
    return parsed


def _header(message: Message, name: str, defects: list[str]) -> str:
    try:
        value = message.get(name)
        return "" if value is None else str(value)
    except PARSE_ERRORS as exc:  # a header policy.default cannot parse: keep the raw text
        defects.append(f"{name} header: {type(exc).__name__}")
        raw = [value for key, value in message.raw_items() if key.lower() == name.lower()]
        return " ".join(str(raw[0]).split()) if raw else ""


def _message_id(message: Message, raw: bytes, defects: list[str]) -> str:
    value = "".join(_header(message, "Message-ID", defects).split())[:500]
    if value:
        return value
    # Without a Message-ID the same bytes still count as the same email.
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@hourglass.inbox>"


def _addresses(values: list[str]) -> list[str]:
    found: list[str] = []
    for _name, address in getaddresses([v for v in values if v]):
        address = address.strip().lower()
        if ADDRESS.fullmatch(address) and address not in found:
            found.append(address)
    return found


def _sent_at(value: str) -> datetime | None:
    if not value:
        return None
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return sent.replace(tzinfo=UTC) if sent.tzinfo is None else sent


def _walk(message: Message, parsed: ParsedEmail, defects: list[str]) -> tuple[str, str]:
    """The first text/plain and text/html bodies; attachments listed on ``parsed``."""
    plain = html = ""
    defects.extend(type(defect).__name__ for defect in message.defects)
    for part in message.walk():
        defects.extend(type(defect).__name__ for defect in part.defects)
        if part.is_multipart():
            continue
        filename = _filename(part, defects)
        content_type = part.get_content_type()
        if filename or part.get_content_disposition() == "attachment" or not content_type.startswith("text/"):
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
            parsed.attachments.append({"name": filename or content_type, "content_type": content_type, "size": size})
        elif content_type == "text/plain" and not plain:
            plain = _text(part, defects)
        elif content_type == "text/html" and not html:
            html = _text(part, defects)
    return plain, html


def _filename(part: Message, defects: list[str]) -> str:
    try:
        return " ".join((part.get_filename() or "").split())[:200]
    except PARSE_ERRORS as exc:
        defects.append(f"attachment name: {type(exc).__name__}")
        return "?"


def _text(part: Message, defects: list[str]) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload() or "")
    label = (part.get_content_charset() or "utf-8").lower()
    charset = CHARSET_UPGRADES.get(label, label)
    try:
        return payload.decode(charset)
    except LookupError:
        defects.append(f"unknown charset {label[:40]}")
        return payload.decode("utf-8", errors="replace")
    except UnicodeDecodeError:
        defects.append(f"text not valid {label[:40]}")
        return payload.decode(charset, errors="replace")


def forwarded_addresses(body: str) -> list[str]:
    """Addresses in the header block under a "Forwarded message" line of the text."""
    found: list[str] = []
    for marker in FORWARD_MARKERS.finditer(body):
        lines = body[marker.end() :].split("\n")[: FORWARD_HEADER_LINES + 1]
        for line in lines:
            header = FORWARD_HEADER.match(line)
            if header is None:
                continue
            for address in ADDRESS.findall(header.group(2)):
                if address.lower() not in found:
                    found.append(address.lower())
    return found


class _TextExtractor(HTMLParser):
    SKIPPED = {"script", "style", "head", "title", "template", "noscript"}
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML body: no script, style or markup (the timeline escapes it)."""
    if not html:
        return ""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
