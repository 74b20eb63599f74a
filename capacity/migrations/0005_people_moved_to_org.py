"""People (teams, CS profiles and their history) moved to the ``org`` app.

State only: the tables are kept and renamed by ``org.0001_initial``, which runs next.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("capacity", "0004_seed_capacity_defaults"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="historicalcsprofile",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicalcsprofile",
                    name="team",
                ),
                migrations.RemoveField(
                    model_name="historicalcsprofile",
                    name="user",
                ),
                migrations.RemoveField(
                    model_name="historicalteam",
                    name="history_user",
                ),
                migrations.RemoveField(
                    model_name="historicalteam",
                    name="lead",
                ),
                migrations.RemoveField(
                    model_name="team",
                    name="lead",
                ),
                migrations.DeleteModel(
                    name="CsProfile",
                ),
                migrations.DeleteModel(
                    name="HistoricalCsProfile",
                ),
                migrations.DeleteModel(
                    name="HistoricalTeam",
                ),
                migrations.DeleteModel(
                    name="Team",
                ),
            ],
            database_operations=[],
        ),
    ]
