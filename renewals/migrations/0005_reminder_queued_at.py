from __future__ import annotations

from django.db import migrations


class Migration(migrations.Migration):
    """The claim's timestamp says when its email was put in the outbox, not sent."""

    dependencies = [
        ("renewals", "0004_customer_reminders"),
    ]

    operations = [
        migrations.RenameField(model_name="renewalreminder", old_name="sent_at", new_name="queued_at"),
    ]
