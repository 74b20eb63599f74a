from __future__ import annotations

from tests.capacity.conftest import capacity_defaults

__all__ = ["capacity_defaults"]
