"""Apps depend downward only (architecture.md): a static check of every import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = {
    "core",
    "org",
    "accounts",
    "capacity",
    "health",
    "renewals",
    "playbooks",
    "knowledge",
    "outreach",
    "integrations",
    "workspace",
}

# What each app may import, besides itself, Django and libraries (architecture.md):
# core, then org (people), accounts, health and renewals, then the apps built on them;
# knowledge turns campaigns into playbook tasks. Nothing imports workspace.
BELOW_DOMAIN = {"core", "org", "accounts", "health", "renewals"}
ALLOWED = {
    "core": set(),
    "org": {"core"},
    "accounts": {"core", "org"},
    "health": {"core", "org", "accounts"},
    "renewals": {"core", "org", "accounts", "health"},
    "capacity": BELOW_DOMAIN,
    "playbooks": BELOW_DOMAIN,
    "knowledge": BELOW_DOMAIN | {"playbooks"},
    # Surveys and programs reach the customer; answers land in health (NPS), and a
    # program step may create a task for the owner.
    "outreach": BELOW_DOMAIN | {"playbooks"},
    # The screens that combine apps, and the connections to other tools: may import
    # every app below them (workspace may also import integrations).
    "integrations": APPS - {"workspace", "integrations"},
    "workspace": APPS - {"workspace"},
}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & APPS
    return found


@pytest.mark.parametrize("app", sorted(APPS))
def test_app_imports_only_what_it_may(app):
    offences = []
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        bad = imported_apps(path) - ALLOWED[app] - {app}
        if bad:
            offences.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offences == []


def test_no_app_imports_workspace():
    assert [app for app, allowed in ALLOWED.items() if "workspace" in allowed] == []


def test_only_workspace_imports_integrations():
    assert [app for app, allowed in ALLOWED.items() if "integrations" in allowed] == ["workspace"]


def test_the_checker_sees_imports():
    assert imported_apps(ROOT / "workspace" / "navigation.py") >= {"accounts", "core"}
