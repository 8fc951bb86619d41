from django.db import migrations

from org.db import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("planning", "0001_initial"),
    ]

    operations = [
        trigram_indexes("planning_task", ["title"]),
    ]
