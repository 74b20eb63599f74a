from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import DatabaseError
from django.test import Client

from org.models import Role, Team
from tests.factories import PASSWORD, AccountFactory, TeamFactory, make_person


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_cache(settings: Any) -> None:
    """An empty in-process cache per test: never the shared Redis/file cache (clearing
    that would flush the broker's database), and nothing cached by an earlier test."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
    cache.clear()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: Any) -> None:
    """Warm the operations settings cache once the fixtures are set up (some clear the cache),
    so code measured outside a request reads the settings without a query, as in a running
    deployment; a save in the test clears the key like in production."""
    from org.operations_settings import warm_operations_settings_cache

    try:
        warm_operations_settings_cache()
    except (RuntimeError, DatabaseError):  # no database for this test: nothing can be saved
        from org.operations_settings import CACHE_KEY

        cache.set(CACHE_KEY, {})


@pytest.fixture(autouse=True)
def _language_reset() -> Any:
    """A request in zh-hans leaves its language active in the thread; the next test starts
    in the default language again, whatever ran before it."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def org(db: None) -> Any:
    """Two teams, each with a manager and two CSMs, an admin, and accounts for all.

    ``org.accounts[username]`` lists the accounts each CSM owns.
    """

    class Org:
        pass

    o = Org()
    o.admin = make_person(Role.ADMIN, username="admin")
    o.team_a = TeamFactory(name="Team A")
    o.team_b = TeamFactory(name="Team B")
    o.manager_a = make_person(Role.MANAGER, username="manager_a")
    o.manager_b = make_person(Role.MANAGER, username="manager_b")
    Team.objects.filter(pk=o.team_a.pk).update(lead=o.manager_a)
    Team.objects.filter(pk=o.team_b.pk).update(lead=o.manager_b)
    o.csm_a1 = make_person(Role.CSM, username="csm_a1", team=o.team_a)
    o.csm_a2 = make_person(Role.CSM, username="csm_a2", team=o.team_a)
    o.csm_b1 = make_person(Role.CSM, username="csm_b1", team=o.team_b)
    o.accounts = {
        user.username: [AccountFactory(owner=user, name=f"{user.username} account {i}") for i in range(2)]
        for user in (o.csm_a1, o.csm_a2, o.csm_b1)
    }
    o.unassigned = AccountFactory(owner=None, name="Unassigned account")
    return o


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free local port, keeping what it receives."""

    def __init__(self) -> None:
        import threading

        self.messages: list[Any] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it by this name
        from email import message_from_bytes, policy

        with self._lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Any]:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.1)
        return list(self.messages)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Any:
    """Start aiosmtpd and point Django's SMTP settings at it."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    sink.port = port
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def celery_eager() -> Any:
    """Run tasks in-process (for unit tests of code that enqueues on commit)."""
    from config.celery_app import app

    # With namespace="CELERY" the effective key is the prefixed one.
    previous = app.conf["CELERY_TASK_ALWAYS_EAGER"]
    app.conf["CELERY_TASK_ALWAYS_EAGER"] = True
    try:
        yield app
    finally:
        app.conf["CELERY_TASK_ALWAYS_EAGER"] = previous
