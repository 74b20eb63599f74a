"""A database installed before the "Renewal lapsed" playbook existed gets it on upgrade, once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("playbooks", "0004_renewal_lapsed")
AFTER = ("playbooks", "0005_renewal_lapsed_playbook")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_upgrade_adds_the_lapsed_playbook_and_leaves_the_others_alone():
    try:
        old = _migrate([BEFORE])
        Playbook = old.get_model("playbooks", "Playbook")
        Playbook.objects.filter(key="renewal-lapsed").delete()  # as installed by 0002 before it existed
        Playbook.objects.filter(key="onboarding-csm").delete()  # a default the team deleted on purpose
        before = set(Playbook.objects.values_list("key", flat=True))

        new = _migrate([AFTER])
        Playbook = new.get_model("playbooks", "Playbook")
        after = set(Playbook.objects.values_list("key", flat=True))
        assert after - before == {"renewal-lapsed"}
        lapsed = Playbook.objects.get(key="renewal-lapsed")
        assert lapsed.trigger == "renewal_lapsed"
        assert lapsed.steps.count() >= 1

        _migrate([AFTER])  # applied already: nothing more
        assert Playbook.objects.filter(key="renewal-lapsed").count() == 1
    finally:
        _migrate(_latest())
