"""hazards 0014 renames ServiceRecord to ServiceVisit in code only: the table keeps its name and
rows, the content type keeps its id (renamed), and the model's permissions keep their ids and the
groups holding them (their codenames renamed), both ways."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from hazards.models import ServiceVisit

from .factories import register, today

pytestmark = pytest.mark.django_db(transaction=True)


def _codenames(content_type):
    return dict(Permission.objects.filter(content_type=content_type).values_list("codename", "id"))


def test_the_rename_moves_no_table_and_keeps_the_grants(site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category)
    try:
        # Given the database before the rename, with a visit and a group granted its permission
        call_command("migrate", "hazards", "0013_effective_dates", verbosity=0)
        visit = ServiceVisit.objects.create(hazard=hazard, date=today(), description="指导", by=manager_a)
        before = ContentType.objects.get(app_label="hazards", model="servicerecord")
        old = _codenames(before)
        assert set(old) == {"add_servicerecord", "change_servicerecord", "delete_servicerecord",
                            "view_servicerecord"}
        group = Group.objects.create(name="readers")
        group.permissions.add(old["view_servicerecord"])
    finally:
        # When it is migrated (also after a failure above: the other tests need the latest schema)
        call_command("migrate", "hazards", verbosity=0)
    # Then the same table, row, content type and permission rows, under the new names
    assert ServiceVisit._meta.db_table == "hazards_servicerecord"
    assert "hazards_servicerecord" in connection.introspection.table_names()
    assert list(ServiceVisit.objects.values_list("pk", flat=True)) == [visit.pk]
    after = ContentType.objects.get(pk=before.pk)
    assert after.model == "servicevisit"
    assert _codenames(after) == {name.replace("servicerecord", "servicevisit"): pk for name, pk in old.items()}
    assert list(group.permissions.values_list("codename", flat=True)) == ["view_servicevisit"]
    assert list(hazard.service_visits.all()) == [visit]
