"""Upgrading to playbook versions: every task a playbook created says it came from version 1,
a hand-made task has no version, and the migration goes back and forth."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = ("playbooks", "0005_renewal_lapsed_playbook")
AFTER = ("playbooks", "0006_rules_and_versions")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_existing_playbook_tasks_become_version_1():
    try:
        old = _migrate([BEFORE])
        Account = old.get_model("accounts", "Account")
        Playbook = old.get_model("playbooks", "Playbook")
        Task = old.get_model("playbooks", "Task")
        account = Account.objects.create(name="Old account", arr=1000)
        playbook = Playbook.objects.create(name="Old playbook", trigger="activity_drop")
        today = timezone.localdate()
        from_playbook = Task.objects.create(account=account, playbook=playbook, title="a", due_date=today)
        by_hand = Task.objects.create(account=account, title="b", due_date=today)

        new = _migrate([AFTER])
        Task = new.get_model("playbooks", "Task")
        Playbook = new.get_model("playbooks", "Playbook")
        assert Task.objects.get(pk=from_playbook.pk).playbook_version == 1
        assert Task.objects.get(pk=by_hand.pk).playbook_version is None
        assert Playbook.objects.get(pk=playbook.pk).version == 1
        assert Playbook.objects.get(pk=playbook.pk).conditions == []

        back = _migrate([BEFORE])
        assert back.get_model("playbooks", "Task").objects.filter(pk=from_playbook.pk).exists()
    finally:
        _migrate(_latest())
