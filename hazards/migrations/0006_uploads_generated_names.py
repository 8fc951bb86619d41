"""Files stored before uploads were checked by content move to generated names with the extension
of their detected type (org.legacy_files): nothing is lost, and no stored name is a client's."""

from django.db import migrations

from org.legacy_files import rename_stored_files

FIELDS = {
    "HazardPhoto": ["image", "thumbnail"],
    "ReplyPhoto": ["image", "thumbnail"],
    "Notice": ["signed_scan"],  # the issued notice PDFs are ours, named by their number
    "AuthorityReport": ["document"],
}


def forwards(apps, schema_editor):
    for model_name, field_names in FIELDS.items():
        rename_stored_files(apps, schema_editor, app_label="hazards", model_name=model_name, field_names=field_names)


class Migration(migrations.Migration):
    dependencies = [("hazards", "0005_scoped_upload_fields")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
