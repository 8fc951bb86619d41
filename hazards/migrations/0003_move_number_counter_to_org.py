from django.db import migrations


def copy_counters(apps, schema_editor):
    old = apps.get_model("hazards", "NumberCounter")
    new = apps.get_model("org", "NumberCounter")
    for row in old.objects.all():
        new.objects.update_or_create(key=row.key, year=row.year, defaults={"last": row.last})


class Migration(migrations.Migration):
    """Number counters are shared by inspections and hazard files: they now live in org."""

    dependencies = [
        ("hazards", "0002_ledger_category_status_index"),
        ("org", "0002_number_counter"),
    ]

    operations = [
        migrations.RunPython(copy_counters, migrations.RunPython.noop),
        migrations.DeleteModel(name="NumberCounter"),
    ]
