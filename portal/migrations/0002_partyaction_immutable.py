from django.db import migrations

from org.db import immutable_rows


class Migration(migrations.Migration):
    """The party's records are history beside the hazard's: on PostgreSQL a trigger refuses any UPDATE
    or DELETE (no-op on SQLite, where the model guard org.models.AppendOnlyModel is the only line)."""

    dependencies = [
        ("portal", "0001_initial"),
    ]

    operations = [immutable_rows("portal_partyaction")]
