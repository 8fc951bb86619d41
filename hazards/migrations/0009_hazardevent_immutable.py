from django.db import migrations

from org.db import immutable_rows


class Migration(migrations.Migration):
    """History rows are never updated or deleted: on PostgreSQL a trigger refuses it (no-op on SQLite,
    where the model guard org.models.AppendOnlyModel is the only line)."""

    dependencies = [
        ("hazards", "0008_reminder_scan_schedule"),
    ]

    operations = [immutable_rows("hazards_hazardevent")]
