"""Inspection photos stored before uploads were checked by content move to generated names with
the extension of their detected type, and get the thumbnail they never had (org.legacy_files)."""

from django.db import migrations

from org.legacy_files import add_missing_thumbnails, rename_stored_files


def forwards(apps, schema_editor):
    rename_stored_files(apps, schema_editor, app_label="audits", model_name="ResultPhoto", field_names=["image"])
    add_missing_thumbnails(apps, schema_editor, app_label="audits", model_name="ResultPhoto", image_field="image",
                           thumbnail_field="thumbnail")


class Migration(migrations.Migration):
    dependencies = [("audits", "0006_scoped_upload_fields")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
