"""A real HTTP receiver on loopback (a thread): records requests, checks signatures, and
answers what the test tells it (a status, a slow answer, a 429 with Retry-After)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def signature_valid(secret: str, received: Received, tolerance: float = 300) -> bool:
    """What docs/webhooks.md tells receivers to do, written independently of the sender."""
    header = received.headers.get("hourglass-signature", "")
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    timestamp = parts.get("t", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass
class Receiver:
    port: int = 0
    # Answers in order, then ``default``: an int status, "slow:<seconds>" (then 200),
    # or "429:<retry-after>".
    script: list[Any] = field(default_factory=list)
    default: Any = 200
    answer_body: bytes = b'{"ok": true}'
    received: list[Received] = field(default_factory=list)
    in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def next_answer(self) -> Any:
        with self.lock:
            return self.script.pop(0) if self.script else self.default

    def delivery_ids(self) -> Counter[str]:
        return Counter(r.headers.get("hourglass-delivery", "") for r in self.received)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.received) < count:
            time.sleep(0.05)
        return list(self.received)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once (no delayed-ACK stall)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # the stdlib's hook name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer = receiver.next_answer()
            headers = {"Content-Type": "application/json"}
            status = answer
            if isinstance(answer, str) and answer.startswith("slow:"):
                with receiver.lock:
                    receiver.in_flight += 1
                time.sleep(float(answer.split(":", 1)[1]))
                with receiver.lock:
                    receiver.in_flight -= 1
                status = 200
            elif isinstance(answer, str) and answer.startswith("429:"):
                status, headers["Retry-After"] = 429, answer.split(":", 1)[1]
            record = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            with receiver.lock:
                receiver.received.append(record)
            payload = receiver.answer_body if int(status) < 300 else b'{"error": "nope"}'
            try:
                self.send_response(int(status))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout): it never saw the answer

    return Handler


@contextmanager
def receiving(**options: Any) -> Iterator[Receiver]:
    receiver = Receiver(**options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
