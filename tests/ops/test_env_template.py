"""deploy/hourglass.env.example lists every environment variable the settings read.

The settings are config/settings.py and the config/*_settings.py modules it imports.
"""

from __future__ import annotations

import ast
import re

from .support import REPO

# Read by settings but not for a deployment's environment file.
NOT_FOR_DEPLOYMENTS = {"SQLITE_TEST_NAME": "the test database's file (pytest only)"}
READERS = {"str", "bool", "int", "float", "list", "json", "db", "cache_url", "url", "dict", "tuple", "path"}


def settings_files() -> list:
    return [REPO / "config/settings.py", *sorted((REPO / "config").glob("*_settings.py"))]


def settings_variables() -> set[str]:
    found = set()
    nodes = [node for path in settings_files() for node in ast.walk(ast.parse(path.read_text()))]
    for node in nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in READERS):
            continue
        if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            receiver = node.func.value
            # env.str("X") and environ.Env().str("X")
            if (isinstance(receiver, ast.Name) and receiver.id == "env") or isinstance(receiver, ast.Call):
                found.add(node.args[0].value)
    return found


def template_variables() -> set[str]:
    text = (REPO / "deploy/hourglass.env.example").read_text()
    return set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_the_reader_finds_the_settings_variables() -> None:
    found = settings_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "HOURGLASS_VAR_DIR", "HOURGLASS_BACKUP_KEEP"} <= found


def test_every_settings_variable_is_in_the_template() -> None:
    missing = settings_variables() - template_variables() - set(NOT_FOR_DEPLOYMENTS)
    assert not missing, f"add to deploy/hourglass.env.example (with its default, commented): {sorted(missing)}"


def test_the_template_names_no_variable_settings_do_not_read() -> None:
    extra = template_variables() - settings_variables()
    assert not extra, f"deploy/hourglass.env.example lists variables config/settings.py never reads: {sorted(extra)}"
