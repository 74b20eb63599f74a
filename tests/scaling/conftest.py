from __future__ import annotations

from tests.playbooks.conftest import default_playbooks

__all__ = ["default_playbooks"]
