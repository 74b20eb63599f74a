"""The built-in playbooks (playbooks/defaults.py), stored in English, shown translated."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def install(apps: Any, schema_editor: Any) -> None:
    from playbooks.defaults import install_default_playbooks

    install_default_playbooks(apps.get_model("playbooks", "Playbook"), apps.get_model("playbooks", "PlaybookStep"))


def uninstall(apps: Any, schema_editor: Any) -> None:
    from playbooks.defaults import DEFAULT_PLAYBOOKS

    apps.get_model("playbooks", "Playbook").objects.filter(key__in=[p["key"] for p in DEFAULT_PLAYBOOKS]).delete()


class Migration(migrations.Migration):
    dependencies = [("playbooks", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
