"""History rows are only ever inserted: every history model refuses a change or a deletion through
the ORM (org.models.AppendOnlyModel), and on PostgreSQL a trigger refuses it even in raw SQL."""

import datetime

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from audits import services as audit_services
from hazards.models import Hazard, HazardEvent
from org.models import AppendOnlyModel, HistoryRowImmutable
from tests.audits.factories import make_standard
from tests.hazards.factories import RiskCategoryFactory, register

pytestmark = pytest.mark.django_db

HISTORY_MODELS = [m for m in apps.get_models() if issubclass(m, AppendOnlyModel)]


def test_every_history_model_is_append_only():
    labels = {m._meta.label for m in HISTORY_MODELS}
    assert {"hazards.HazardEvent", "audits.InspectionEvent", "portal.PartyAction"} <= labels
    # Any model named like a history is one of them.
    for model in apps.get_models():
        if model._meta.app_label in ("org", "scoring", "audits", "hazards", "notifications", "portal") and \
                model.__name__.endswith(("Event", "History", "Action")):
            assert issubclass(model, AppendOnlyModel), model


@pytest.fixture
def rows(site_a, inspector_a, manager_a):
    audit_services.inspection_create(standard=make_standard(), kind="periodic", date=datetime.date(2026, 3, 2),
                                     site=site_a, by=inspector_a)
    register(site=site_a, by=manager_a, category=RiskCategoryFactory())
    return {model: model._default_manager.order_by("pk").first() for model in HISTORY_MODELS}


@pytest.mark.parametrize("model", HISTORY_MODELS, ids=lambda m: m._meta.label)
def test_the_model_refuses_changes_and_deletions(rows, model):
    row = rows[model]
    if row is None:  # no row of this kind in the fixture: a stored row as the ORM would load it
        row = model(pk=1)
        row._state.adding = False
    before = list(model._default_manager.order_by("pk").values_list())
    if hasattr(row, "comment"):
        row.comment = "rewritten"
    attempts = [row.save, row.delete,
                lambda: model._default_manager.filter(pk=row.pk).update(comment="rewritten"),
                lambda: model._default_manager.filter(pk=row.pk).delete(),
                lambda: model._default_manager.bulk_update([row], ["comment"])]
    for attempt in attempts:
        with pytest.raises(HistoryRowImmutable):
            attempt()
    assert list(model._default_manager.order_by("pk").values_list()) == before


@pytest.mark.parametrize("model", HISTORY_MODELS, ids=lambda m: m._meta.label)
def test_postgresql_refuses_raw_changes_and_deletions(rows, model):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only (SQLite: the model guard above)")
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s",
                       [table, f"{table}_immutable"])
        assert cursor.fetchone()[0] == 1, table
    row = rows[model]
    if row is None:
        return  # the trigger is there; its effect is shown on the tables with rows
    for sql in (f'UPDATE "{table}" SET comment = %s WHERE id = %s', f'DELETE FROM "{table}" WHERE id = %s'):
        params = ["rewritten", row.pk] if sql.startswith("UPDATE") else [row.pk]
        with pytest.raises(IntegrityError, match="history"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    row_after = model._default_manager.get(pk=row.pk)
    assert row_after.comment == row.comment


def test_inserting_history_still_works(rows, site_a, manager_a):
    hazard = Hazard.objects.get(site=site_a)
    count = HazardEvent.objects.filter(hazard=hazard).count()
    from hazards import events

    events.hazard_edited(hazard, by=manager_a, from_status=hazard.status, changes={"location": ("a", "b")})
    assert HazardEvent.objects.filter(hazard=hazard).count() == count + 1
