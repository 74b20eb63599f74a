"""The inbox's fixtures: a real listener on a free port, and people with stakeholders."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from accounts.models import Stakeholder
from tests.conftest import free_port


@pytest.fixture
def inbox_port(settings: Any) -> Iterator[int]:
    """``integrations.inbox.smtp``'s listener, running in a thread on 127.0.0.1."""
    from integrations.inbox.smtp import inbox_controller

    settings.HOURGLASS_INBOX_DOMAINS = ["inbox.test"]
    port = free_port()
    controller = inbox_controller(host="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@pytest.fixture
def customers(org: Any) -> Any:
    """csm_a1's first account has a contact at acme.cn; csm_b1's at globex.cn."""
    acme = org.accounts["csm_a1"][0]
    globex = org.accounts["csm_b1"][0]
    org.acme, org.globex = acme, globex
    org.acme_cto = Stakeholder.objects.create(account=acme, name="Wang Fang", email="Wang.Fang@acme.cn", tier="S")
    org.globex_ceo = Stakeholder.objects.create(account=globex, name="Zhou Min", email="zhou@globex.cn", tier="S")
    return org
