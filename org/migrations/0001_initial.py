"""People move here from ``capacity``, keeping every row.

The models are taken over in the migration state under their old tables (capacity's
0005 drops them from its own state without touching the database), then the tables
are renamed, and the content types follow, so permissions and history stay attached.
"""

import django.db.models.deletion
import org.models
import simple_history.models
from django.conf import settings
from django.db import migrations, models




PEOPLE = ["historicalteam", "team", "historicalcsprofile", "csprofile"]


def move_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(ContentType.objects.filter(app_label="org", model__in=PEOPLE).values_list("model", flat=True))
    ContentType.objects.filter(app_label="capacity", model__in=set(PEOPLE) - taken).update(app_label="org")


def restore_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="org", model__in=PEOPLE).update(app_label="capacity")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("capacity", "0005_people_moved_to_org"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='HistoricalTeam',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('name', models.CharField(db_index=True, max_length=100, verbose_name='name')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('lead', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='manager')),
                    ],
                    options={
                        'db_table': 'capacity_historicalteam',
                        'verbose_name': 'historical team',
                        'verbose_name_plural': 'historical teams',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='Team',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100, unique=True, verbose_name='name')),
                        ('lead', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='led_teams', to=settings.AUTH_USER_MODEL, verbose_name='manager')),
                    ],
                    options={
                        'db_table': 'capacity_team',
                        'verbose_name': 'team',
                        'verbose_name_plural': 'teams',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalCsProfile',
                    fields=[
                        ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                        ('role', models.CharField(choices=[('csm', 'CSM'), ('manager', 'CS manager'), ('admin', 'Admin')], default='csm', max_length=16, verbose_name='role')),
                        ('industries', models.JSONField(blank=True, default=list, help_text='Industries this person specialises in.', validators=[org.models.validate_industries], verbose_name='industries')),
                        ('language', models.CharField(blank=True, choices=[('en', 'English'), ('zh-hans', 'Simplified Chinese')], help_text='For emails and as the default UI language; empty means the site default.', max_length=10, verbose_name='language')),
                        ('history_id', models.AutoField(primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.CharField(max_length=100, null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                        ('team', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='org.team', verbose_name='team')),
                    ],
                    options={
                        'db_table': 'capacity_historicalcsprofile',
                        'verbose_name': 'historical customer success profile',
                        'verbose_name_plural': 'historical customer success profiles',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='CsProfile',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('csm', 'CSM'), ('manager', 'CS manager'), ('admin', 'Admin')], default='csm', max_length=16, verbose_name='role')),
                        ('industries', models.JSONField(blank=True, default=list, help_text='Industries this person specialises in.', validators=[org.models.validate_industries], verbose_name='industries')),
                        ('language', models.CharField(blank=True, choices=[('en', 'English'), ('zh-hans', 'Simplified Chinese')], help_text='For emails and as the default UI language; empty means the site default.', max_length=10, verbose_name='language')),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='cs_profile', to=settings.AUTH_USER_MODEL, verbose_name='user')),
                        ('team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='members', to='org.team', verbose_name='team')),
                    ],
                    options={
                        'db_table': 'capacity_csprofile',
                        'verbose_name': 'customer success profile',
                        'verbose_name_plural': 'customer success profiles',
                    },
                ),
    
            ],
            database_operations=[],
        ),
        *[migrations.AlterModelTable(name=model, table=None) for model in PEOPLE],
        migrations.RunPython(move_content_types, restore_content_types),
    ]
