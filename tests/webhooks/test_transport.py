"""The delivery transport against real HTTP(S) receivers on loopback: requests go to the
address the SSRF guard checked (DNS rebinding cannot redirect them), TLS is verified for
the host name, sending is concurrent per endpoint, results are recorded set-based."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.webhooks.delivery import deliveries_claim, deliveries_send
from integrations.webhooks.events import Event
from integrations.webhooks.models import Delivery
from integrations.webhooks.services import CLAIM_LEASE, endpoint_create, events_record
from tests.webhooks.receiver import Receiver, _handler, signature_valid

pytestmark = pytest.mark.django_db

HOST = "hooks.example.test"  # .test never resolves in real DNS: only the resolver hook knows it


def fixed_resolver(host: str, port: int) -> list[str]:
    """A resolver for ``HOURGLASS_WEBHOOK_RESOLVER``: every *.example.test name is 127.0.0.1."""
    if host.endswith(".example.test"):
        return ["127.0.0.1"]
    raise OSError(f"unknown host {host}")


class ScriptedResolver:
    """Answers per call from a script (then the last answer again); counts its calls."""

    def __init__(self, *answers: list[str] | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@contextmanager
def serving(address: str, port: int = 0, tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    receiver = Receiver()
    server = ThreadingHTTPServer((address, port), _handler(receiver))
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    receiver.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def _event(n: int) -> Event:
    return Event("task.created", f"transport:{n}", {"n": n})


def _endpoint(org: Any, url: str) -> tuple[Any, str]:
    return endpoint_create(name="Receiver", url=url, actor=org.admin, event_types=["task.created"])


def test_requests_go_to_the_resolved_address_with_the_url_host(org, receiver, settings):
    settings.HOURGLASS_WEBHOOK_RESOLVER = fixed_resolver
    _endpoint_row, secret = _endpoint(org, f"http://{HOST}:{receiver.port}/hook?team=cs")
    events_record([_event(n) for n in range(3)])
    assert deliveries_send(deliveries_claim()) == 3
    assert len(receiver.received) == 3
    for got in receiver.received:
        assert got.headers["host"] == f"{HOST}:{receiver.port}" and got.path == "/hook?team=cs"
        assert signature_valid(secret, got)


def test_dns_rebinding_cannot_lead_a_delivery_to_a_private_address(org, settings):
    """The host resolves to an allowed address when checked and to loopback right after: the
    request still goes to the checked address, and the next batch's check refuses loopback."""
    with serving("127.0.0.2") as allowed, serving("127.0.0.1", allowed.port) as private:
        _endpoint(org, f"http://{HOST}:{allowed.port}/hook")  # saved while private targets are allowed
        settings.HOURGLASS_WEBHOOK_ALLOW_PRIVATE = False
        settings.HOURGLASS_WEBHOOK_ALLOW_NETWORKS = ["127.0.0.2/32"]
        resolver = ScriptedResolver(["127.0.0.2"], ["127.0.0.1"])
        settings.HOURGLASS_WEBHOOK_RESOLVER = resolver
        events_record([_event(1), _event(2)])
        assert deliveries_send(deliveries_claim()) == 2
        assert len(allowed.received) == 2 and allowed.received[0].headers["host"] == f"{HOST}:{allowed.port}"
        assert resolver.calls == [HOST]  # one lookup, checked, and that address connected to
        events_record([_event(3)])
        assert deliveries_send(deliveries_claim()) == 0
        assert private.received == [] and len(allowed.received) == 2
    refused = Delivery.objects.get(payload__data__n=3)
    assert refused.status == Delivery.Status.FAILED and refused.attempts == 1
    assert "private, loopback or link-local" in refused.last_error


def test_unresolvable_host_is_retried_and_a_refused_address_is_final(org, settings):
    _endpoint(org, "http://gone.example.test/hook")
    _endpoint(org, "http://internal.example.test/hook")
    settings.HOURGLASS_WEBHOOK_ALLOW_PRIVATE = False

    def resolve(host: str, port: int) -> list[str]:
        if host.startswith("gone."):
            raise OSError("Name or service not known")
        return ["10.1.2.3"]

    settings.HOURGLASS_WEBHOOK_RESOLVER = resolve
    events_record([_event(1)])
    assert deliveries_send(deliveries_claim()) == 0
    by_host = {d.endpoint.url.split("/")[2]: d for d in Delivery.objects.select_related("endpoint")}
    gone, internal = by_host["gone.example.test"], by_host["internal.example.test"]
    assert gone.status == Delivery.Status.QUEUED and gone.attempts == 1 and "does not resolve" in gone.last_error
    assert internal.status == Delivery.Status.FAILED and "not allowed" in internal.last_error


def _certificates(tmp_path: Path, name: str) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for ``name`` signed by it (PEM files)."""
    now = dt.datetime.now(dt.UTC)

    def build(subject: str, issuer: x509.Name, key: Any, signer: Any, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if ca:
            usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
            builder = builder.add_extension(usage, critical=True)
        else:
            usage = x509.KeyUsage(True, False, True, False, False, False, False, False, False)
            builder = (
                builder.add_extension(usage, critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hourglass test CA")])
    ca = build("Hourglass test CA", ca_name, ca_key, ca_key, ca=True)
    server = build(name, ca_name, server_key, ca_key, ca=False)
    paths = tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_pem = server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    paths[2].write_bytes(key_pem)
    return paths


def test_https_to_the_pinned_address_verifies_the_certificate_for_the_host_name(org, settings, tmp_path):
    ca, cert, key = _certificates(tmp_path, HOST)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    tls.sni_callback = lambda _sock, name, _ctx: server_names.append(name)
    settings.HOURGLASS_WEBHOOK_CA_BUNDLE = str(ca)
    settings.HOURGLASS_WEBHOOK_RESOLVER = fixed_resolver  # every *.example.test is 127.0.0.1
    with serving("127.0.0.1", tls=tls) as receiver:
        good, _ = _endpoint(org, f"https://{HOST}:{receiver.port}/hook")
        wrong, _ = _endpoint(org, f"https://other.example.test:{receiver.port}/hook")
        events_record([_event(1)])
        assert deliveries_send(deliveries_claim()) == 1
        assert len(receiver.received) == 1 and receiver.received[0].headers["host"] == f"{HOST}:{receiver.port}"
    assert HOST in server_names  # SNI names the host, not 127.0.0.1
    delivered = Delivery.objects.get(endpoint=good)
    assert delivered.status == Delivery.Status.DELIVERED
    mismatch = Delivery.objects.get(endpoint=wrong)  # a certificate for another name: refused, retried
    assert mismatch.status == Delivery.Status.QUEUED and mismatch.response_code is None
    assert mismatch.last_error.startswith("SSLError") and "other.example.test" in mismatch.last_error


def test_an_endpoint_gets_several_requests_at_once_up_to_the_concurrency(org, receiver, settings):
    settings.HOURGLASS_WEBHOOK_CONCURRENCY = 4
    receiver.default = "slow:0.2"
    _endpoint(org, receiver.url)
    events_record([_event(n) for n in range(16)])
    most, stop = [0], threading.Event()

    def watch() -> None:
        while not stop.is_set():
            most[0] = max(most[0], receiver.in_flight)
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        assert deliveries_send(deliveries_claim()) == 16
    finally:
        stop.set()
        watcher.join()
    assert 2 <= most[0] <= 4
    assert len(receiver.delivery_ids()) == 16 and Delivery.objects.filter(attempts=1).count() == 16


def test_recording_a_batch_takes_the_same_statements_for_1_and_20_rows(org, receiver):
    _endpoint(org, receiver.url)

    def statements(rows: int, tag: str) -> list[str]:
        events_record([Event("task.created", f"{tag}:{n}", {"n": n}) for n in range(rows)])
        with CaptureQueriesContext(connection) as queries:
            assert deliveries_send(deliveries_claim(), flush_seconds=3600) == rows
        return [q["sql"] for q in queries.captured_queries]

    one, twenty = statements(1, "one"), statements(20, "twenty")
    assert len(one) == len(twenty)
    updates = [sql for sql in twenty if sql.startswith('UPDATE "webhooks_delivery"')]
    assert len(updates) == 2  # the claim, then every row's result in one statement
    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED, claim_token=None).count() == 21


def test_a_row_claimed_again_by_another_worker_is_left_to_it(org, receiver):
    """Our lease ran out and another worker claimed the row: our late result writes nothing."""
    _endpoint(org, receiver.url)
    events_record([_event(1)])
    rows = deliveries_claim()
    other = uuid.uuid4()
    Delivery.objects.update(claim_token=other)
    deliveries_send(rows)
    assert len(receiver.received) == 1  # sent (at least once) ...
    row = Delivery.objects.get()  # ... but recorded only by the claim that holds it
    assert row.status == Delivery.Status.SENDING and row.claim_token == other and row.attempts == 0


def test_rows_not_started_within_half_the_lease_go_back_unsent(org, receiver):
    _endpoint(org, receiver.url)
    events_record([_event(n) for n in range(3)])
    rows = deliveries_claim()
    for row in rows:
        row.claimed_at = timezone.now() - CLAIM_LEASE / 2
    assert deliveries_send(rows) == 0
    assert receiver.received == []
    assert Delivery.objects.filter(status=Delivery.Status.QUEUED, attempts=0, claim_token=None).count() == 3


def test_a_receiver_that_starts_failing_gets_the_requests_in_flight_then_one_at_a_time(org, receiver, settings):
    settings.HOURGLASS_WEBHOOK_CONCURRENCY = 4
    settings.HOURGLASS_WEBHOOK_BREAKER_THRESHOLD = 3
    receiver.script, receiver.default = [200] * 7, 500
    endpoint, _ = _endpoint(org, receiver.url)
    events_record([_event(n) for n in range(30)])
    assert deliveries_send(deliveries_claim()) == 7
    sent = len(receiver.received)
    # 7 successes, then the (at most 4) requests in flight fail, then one at a time until
    # 3 consecutive failures open the breaker: the other rows wait with no attempt spent.
    # (A success that finishes after a failure restarts the count: hence the slack.)
    assert 7 + 3 <= sent <= 7 + 4 + 4 + 3
    endpoint.refresh_from_db()
    assert endpoint.breaker_open_until is not None and endpoint.breaker_open_until > timezone.now()
    assert 3 <= endpoint.consecutive_failures <= sent - 7
    waiting = Delivery.objects.filter(status=Delivery.Status.QUEUED, attempts=0)
    assert waiting.count() == 30 - sent
    assert all(row.next_attempt_at is not None and row.next_attempt_at > timezone.now() for row in waiting)
