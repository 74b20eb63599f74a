"""Permission-matrix entries of the settings area (see tests/matrix_support.py): managers
and admins read every page, CSMs get 403; that only admins save is tested in
tests/workspace/test_settings_pages.py (a manager's POST is 403)."""

from __future__ import annotations

from typing import Any

from tests.matrix_support import e

ENTRIES = {
    "settings:overview": e("manager_page"),
    "settings:section": e("manager_page", section="settings_section"),
    "settings:history": e("manager_page", section="settings_section"),
}


def targets(org: Any, base: dict[str, Any]) -> dict[str, Any]:
    return {"settings_section": "segments"}
