from django.db import migrations


def backfill_alert_messages(apps, schema_editor):
    """Alerts' timeline entries and owner notifications written before texts were keys get
    their message key where it renders back to the stored text (the rest keep it)."""
    from health.message_backfill import alert_messages_backfill

    alert_messages_backfill(
        alert_model=apps.get_model("health", "ActivityAlert"),
        timeline_model=apps.get_model("accounts", "TimelineEntry"),
        notification_model=apps.get_model("core", "Notification"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("health", "0008_freshness_silence_and_score_requests"),
        ("accounts", "0010_timeline_messages"),
        ("core", "0006_notification_messages"),
    ]

    operations = [
        migrations.RunPython(backfill_alert_messages, migrations.RunPython.noop),
    ]
