"""Secrets at rest, signatures, and the SSRF guard of outbound URLs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import socket
from collections.abc import Callable
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


def _resolver() -> Callable[[str, int], list[str]]:
    """``HOURGLASS_WEBHOOK_RESOLVER`` (a callable, set by tests only) or the system resolver.

    The seam exists so tests can give a host name answers that change between calls (DNS
    rebinding) without touching /etc/hosts or the network."""
    hook: Callable[[str, int], list[str]] | None = getattr(settings, "HOURGLASS_WEBHOOK_RESOLVER", None)
    return hook or _system_resolve


def _system_resolve(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def address_allowed(address: str) -> bool:
    """A public unicast address, or one in ``HOURGLASS_WEBHOOK_ALLOW_NETWORKS``, or any
    address when ``HOURGLASS_WEBHOOK_ALLOW_PRIVATE`` is on."""
    if settings.HOURGLASS_WEBHOOK_ALLOW_PRIVATE:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in ipaddress.ip_network(net, strict=False) for net in settings.HOURGLASS_WEBHOOK_ALLOW_NETWORKS):
        return True
    return ip.is_global and not ip.is_multicast


def url_check_syntax(url: str) -> None:
    """http(s) with a host; raises ValidationError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValidationError(_("Only http and https URLs are allowed."), code="scheme")
    if not parts.hostname:
        raise ValidationError(_("The URL needs a host name."), code="host")


def url_resolve_checked(url: str) -> str:
    """The address to connect to for ``url``: its host resolved once, now, and every
    address it resolves to checked (one refused address refuses the host). The caller
    connects to exactly this address (``transport``), so a second lookup by the HTTP
    library can never lead elsewhere (DNS rebinding)."""
    url_check_syntax(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        addresses = _resolver()(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError) as exc:
        raise ValidationError(_("The host name %(host)s does not resolve.") % {"host": host}, code="dns") from exc
    if not addresses:
        raise ValidationError(_("The host name %(host)s does not resolve.") % {"host": host}, code="dns")
    for address in addresses:
        if not address_allowed(address):
            raise ValidationError(
                _("%(host)s resolves to a private, loopback or link-local address, which is not allowed.")
                % {"host": host},
                code="private",
            )
    return addresses[0]


def url_check_target(url: str) -> None:
    """Refuse loopback/private/link-local targets unless allowed (when an endpoint is
    saved; every send checks again through ``url_resolve_checked``)."""
    url_check_syntax(url)
    if settings.HOURGLASS_WEBHOOK_ALLOW_PRIVATE:
        return
    url_resolve_checked(url)
