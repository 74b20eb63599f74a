import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_import_runs"),
    ]

    operations = [
        migrations.AddField(
            model_name="importrun",
            name="processed",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="importrun",
            name="source",
            field=models.BinaryField(blank=True, default=b"", editable=False),
        ),
        migrations.AddField(
            model_name="importrun",
            name="language",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AlterField(
            model_name="importrun",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Waiting to start"),
                    ("validating", "Checking rows"),
                    ("writing", "Writing rows"),
                    ("done", "Imported"),
                    ("rejected", "Rejected: nothing written"),
                    ("partial", "Valid rows imported, others rejected"),
                ],
                max_length=16,
                verbose_name="status",
            ),
        ),
        migrations.CreateModel(
            name="ContactCadence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "tier",
                    models.CharField(
                        choices=[
                            ("S", "S — executive (CEO, VP)"),
                            ("A", "A — director, department head"),
                            ("B", "B — key staff"),
                        ],
                        max_length=1,
                        verbose_name="tier",
                    ),
                ),
                (
                    "segment",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("enterprise", "Enterprise (high touch)"),
                            ("mid_market", "Mid-market (proactive)"),
                            ("smb", "SMB (onboarding focus)"),
                            ("tech_touch", "Tech touch (automated)"),
                        ],
                        help_text="Leave blank for the tier's default; choose a segment to override it there.",
                        max_length=16,
                        verbose_name="segment",
                    ),
                ),
                (
                    "days",
                    models.PositiveSmallIntegerField(
                        help_text="0 means no regular contact.",
                        validators=[django.core.validators.MaxValueValidator(3650)],
                        verbose_name="contact every (days)",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "verbose_name": "contact cadence",
                "verbose_name_plural": "contact cadences",
                "ordering": ["tier", "segment"],
                "constraints": [
                    models.UniqueConstraint(fields=("tier", "segment"), name="contact_cadence_one_per_tier_segment")
                ],
            },
        ),
    ]
