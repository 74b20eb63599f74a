"""Outbound HTTP of deliveries: keep-alive pools, connected to the address the guard checked.

- **Pinned**: a request goes to the IP address that ``security.url_resolve_checked``
  returned — the HTTP library never resolves the host name again, so a DNS answer that
  changes between the check and the connect (DNS rebinding) cannot lead it to a private
  address. The ``Host`` header carries the URL's host; for https the TLS SNI and the
  certificate check use the host name too (not the address).
- **Keep-alive**: one urllib3 pool per (address, port, host name) per worker process,
  reused across batches; ``HOURGLASS_WEBHOOK_CONCURRENCY`` connections each at most.
- **Bounded**: connect and read timeouts; the answer is read up to the limit (a longer
  one closes its connection rather than reading on); no redirects, no retries here (the
  outbox retries), no proxy, no compression asked for.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError, NewConnectionError, ProtocolError, SSLError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Target:
    """Where one request goes: the URL's parts and the checked address to connect to."""

    scheme: str
    hostname: str
    port: int
    address: str
    path: str

    @property
    def host_header(self) -> str:
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def target_for(url: str, address: str) -> Target:
    """Where to send ``url``, connecting to ``address`` (from ``url_resolve_checked``)."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    return Target(scheme=parts.scheme, hostname=parts.hostname or "", port=port, address=address, path=path)


@dataclass
class Answer:
    status: int
    retry_after: str
    content: bytes


class Transport:
    """Keep-alive pools of one worker process (thread-safe: urllib3's pools are)."""

    def __init__(self, *, maxsize: int) -> None:
        self.concurrency = maxsize
        self.pools = urllib3.PoolManager(num_pools=64, maxsize=maxsize, block=False, retries=False)

    def post(self, target: Target, body: bytes, headers: dict[str, str], *, timeout: float, limit: int) -> Answer:
        pool_kwargs: dict[str, Any] = {}
        if target.scheme == "https":
            pool_kwargs = {
                "server_hostname": target.hostname,  # SNI
                "assert_hostname": target.hostname,  # the certificate must name the host, not the address
                "cert_reqs": "CERT_REQUIRED",
                "ca_certs": settings.HOURGLASS_WEBHOOK_CA_BUNDLE or certifi.where(),
            }
        pool = self.pools.connection_from_host(target.address, target.port, target.scheme, pool_kwargs=pool_kwargs)
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": target.host_header},
            retries=False,
            redirect=False,
            assert_same_host=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            preload_content=False,
            decode_content=False,
            release_conn=False,
        )
        try:
            content = response.read(limit, decode_content=False)
            if len(content) >= limit:
                response.close()  # more may follow: drop the connection rather than read on
        finally:
            response.release_conn()
        return Answer(status=response.status, retry_after=response.headers.get("Retry-After", ""), content=content)


def error_text(exc: BaseException) -> str:
    """What the delivery log shows for a failed request (host and port, never the path:
    chat robots carry their key there)."""
    if isinstance(exc, NewConnectionError):
        return f"ConnectionError: {exc}"[:500]
    if isinstance(exc, Urllib3Timeout):
        return "timeout"
    if isinstance(exc, SSLError):
        return f"SSLError: {exc}"[:500]
    if isinstance(exc, ProtocolError | OSError):
        return f"ConnectionError: {exc}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


TRANSPORT_ERRORS = (HTTPError, OSError)

_lock = threading.Lock()
_process: dict[str, Any] = {}


def process_transport() -> tuple[Transport, ThreadPoolExecutor]:
    """This process's transport and sending threads (made after a fork, never inherited)."""
    size = max(int(settings.HOURGLASS_WEBHOOK_CONCURRENCY), 1)
    with _lock:
        if _process.get("pid") != os.getpid() or _process.get("size") != size:
            if "executor" in _process:
                _process["executor"].shutdown(wait=False)
            _process.update(
                pid=os.getpid(),
                size=size,
                transport=Transport(maxsize=size),
                executor=ThreadPoolExecutor(max_workers=size, thread_name_prefix="webhooks-send"),
            )
        return _process["transport"], _process["executor"]
