"""The built-in "Renewal lapsed" playbook, for databases installed before it existed."""

from __future__ import annotations

from typing import Any

from django.db import migrations

KEY = "renewal-lapsed"


def install(apps: Any, schema_editor: Any) -> None:
    from playbooks.defaults import install_default_playbooks

    install_default_playbooks(
        apps.get_model("playbooks", "Playbook"), apps.get_model("playbooks", "PlaybookStep"), keys={KEY}
    )


def uninstall(apps: Any, schema_editor: Any) -> None:
    apps.get_model("playbooks", "Playbook").objects.filter(key=KEY, tasks__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("playbooks", "0004_renewal_lapsed")]

    operations = [migrations.RunPython(install, uninstall)]
