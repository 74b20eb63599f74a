from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.webhooks.receiver import Receiver, receiving


@pytest.fixture(autouse=True)
def _webhook_settings(settings: Any) -> None:
    settings.HOURGLASS_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback
    settings.HOURGLASS_WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.HOURGLASS_WEBHOOK_TIMEOUT_SECONDS = 1.0
    settings.HOURGLASS_BASE_URL = "https://hourglass.example"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as running:
        yield running
