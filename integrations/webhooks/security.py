"""Secrets at rest, signatures, and the SSRF guard of outbound URLs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import socket
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SIGNATURE_HEADER = "Hourglass-Signature"
DELIVERY_HEADER = "Hourglass-Delivery"
EVENT_HEADER = "Hourglass-Event"


def _fernet() -> Fernet:
    # A key of its own, derived from SECRET_KEY: rotating SECRET_KEY means re-entering secrets.
    digest = hashlib.sha256(b"hourglass.webhooks.secret:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def secret_decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""  # SECRET_KEY changed: unsigned until the admin sets the secret again


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`` (docs/webhooks.md)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def url_check_syntax(url: str) -> None:
    """http(s) with a host; raises ValidationError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValidationError(_("Only http and https URLs are allowed."), code="scheme")
    if not parts.hostname:
        raise ValidationError(_("The URL needs a host name."), code="host")


def url_check_target(url: str) -> None:
    """Refuse loopback/private/link-local targets unless allowed: every address the host
    resolves to is checked, now (at send time too: DNS may change after registration)."""
    url_check_syntax(url)
    if settings.HOURGLASS_WEBHOOK_ALLOW_PRIVATE:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError(_("The host name %(host)s does not resolve.") % {"host": host}, code="dns") from exc
    for info in infos:
        if _private(str(info[4][0])):
            raise ValidationError(
                _("%(host)s resolves to a private, loopback or link-local address, which is not allowed.")
                % {"host": host},
                code="private",
            )
