"""Upgrading from the schema where people lived in ``capacity`` keeps every row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("capacity", "0004_seed_capacity_defaults")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    nodes = [target for target in targets if target[1] is not None]
    return executor.loader.project_state(nodes).apps if nodes else None


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_people_rows_survive_the_move_to_org():
    try:
        _migrate([("org", None)])
        old = _migrate([BEFORE])
        User = old.get_model("auth", "User")
        Team = old.get_model("capacity", "Team")
        CsProfile = old.get_model("capacity", "CsProfile")
        lead = User.objects.create(username="lead.upgrade")
        member = User.objects.create(username="csm.upgrade")
        team = Team.objects.create(name="Upgrade team", lead=lead)
        CsProfile.objects.create(user=lead, role="manager", language="zh-hans")
        CsProfile.objects.create(user=member, role="csm", team=team, industries=["retail"])

        new = _migrate(_latest())

        NewProfile = new.get_model("org", "CsProfile")
        assert NewProfile._meta.db_table == "org_csprofile"
        rows = sorted(NewProfile.objects.values_list("user__username", "role", "team__name", "language", "industries"))
        assert rows == [
            ("csm.upgrade", "csm", "Upgrade team", "", ["retail"]),
            ("lead.upgrade", "manager", None, "zh-hans", []),
        ]
        assert new.get_model("org", "Team").objects.get(name="Upgrade team").lead.username == "lead.upgrade"
        tables = connection.introspection.table_names()
        assert "org_team" in tables
        assert "capacity_team" not in tables
        assert "capacity_csprofile" not in tables
    finally:
        _migrate(_latest())


@pytest.mark.django_db
def test_the_live_models_are_orgs():
    from org.models import CsProfile, Team

    assert CsProfile._meta.app_label == "org"
    assert Team._meta.db_table == "org_team"
