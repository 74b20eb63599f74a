from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from playbooks.defaults import install_default_playbooks
from playbooks.models import Playbook, PlaybookStep

TODAY = date(2025, 3, 3)


@pytest.fixture
def default_playbooks(db: None) -> Any:
    """The built-in playbooks (the migration installs them; transactional tests flush them)."""
    install_default_playbooks(Playbook, PlaybookStep)
    return {p.key: p for p in Playbook.objects.prefetch_related("steps")}
