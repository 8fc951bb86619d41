"""ServiceRecord is renamed ServiceVisit in code (整改服务: so it does not read as the services
layer); the hazard's reverse name becomes `service_visits`. Nothing changes in the database: the
table keeps its name (hazards_servicerecord, set first so the rename moves no table), the content
type is renamed by Django's own rename hook, and the model's permissions keep their rows and grants
with the new codenames."""

import django.db.models.deletion
from django.db import migrations, models

OLD, NEW = "servicerecord", "servicevisit"


def rename_permissions(apps, schema_editor, old=OLD, new=NEW):
    """Rename the model's permission codenames in place (add_/change_/delete_/view_), so the groups
    and users holding them keep them; a codename already created under the new name is left as it is."""
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type = ContentType.objects.filter(app_label="hazards", model__in=[old, new]).first()
    if content_type is None:
        return  # a fresh database: the permissions are created after migrating, with the new names
    for verb in ("add", "change", "delete", "view"):
        if Permission.objects.filter(content_type=content_type, codename=f"{verb}_{new}").exists():
            continue
        Permission.objects.filter(content_type=content_type, codename=f"{verb}_{old}").update(
            codename=f"{verb}_{new}")


def rename_permissions_back(apps, schema_editor):
    rename_permissions(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("hazards", "0013_effective_dates"),
    ]

    operations = [
        migrations.AlterModelTable(name="servicerecord", table="hazards_servicerecord"),
        migrations.RenameModel(old_name="ServiceRecord", new_name="ServiceVisit"),
        migrations.AlterField(
            model_name="servicevisit",
            name="hazard",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="service_visits",
                                    to="hazards.hazard", verbose_name="hazard"),
        ),
        migrations.RunPython(rename_permissions, rename_permissions_back),
    ]
