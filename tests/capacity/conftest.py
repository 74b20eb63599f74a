from __future__ import annotations

from typing import Any

import pytest

from capacity.services import capacity_defaults_ensure


@pytest.fixture
def capacity_defaults(db: None) -> Any:
    """The seeded presets, ratios, activity types and settings (re-created if a
    transactional test flushed them)."""
    return capacity_defaults_ensure()
