"""The standard table (scoring.lifecycle.TABLE) drives the detail page's buttons and the admin's
read-only and delete decisions: change the table and they follow, with no status compared
anywhere else; the services refuse by the same table."""

import dataclasses

import pytest
from django.urls import reverse

from core.lifecycle import SYSTEM, ActionRefused
from scoring import lifecycle, services
from scoring.lifecycle import Action
from scoring.models import Standard

from .factories import make_standard

pytestmark = pytest.mark.django_db


def _table_with(action, **changes):
    return dataclasses.replace(lifecycle.TABLE, transitions=[
        dataclasses.replace(t, **changes) if t.action == action else t for t in lifecycle.TABLE])


@pytest.fixture
def client_mgr(client, company_manager):
    client.force_login(company_manager)  # standards are company-wide: a manager of the top unit
    return client


def test_the_table_drives_the_detail_page_buttons(client_mgr, company_manager, manager_a, monkeypatch):
    draft = make_standard(name="按表显示")
    url = reverse("scoring:standard_detail", args=[draft.pk])
    body = client_mgr.get(url).content.decode()
    assert 'id="activate-standard"' in body and 'id="retire-standard"' not in body and 'id="new-version"' not in body
    assert lifecycle.allowed_actions(draft, company_manager) == {Action.ACTIVATE, Action.EDIT, Action.DELETE}
    assert lifecycle.allowed_actions(draft, manager_a) == set()  # a branch's manager reads the standards
    monkeypatch.setattr(lifecycle, "TABLE", _table_with(Action.RETIRE, sources=frozenset({Standard.Status.DRAFT})))
    monkeypatch.setattr(lifecycle, "TABLE", _table_with(Action.ACTIVATE, sources=frozenset()))
    body = client_mgr.get(url).content.decode()
    assert 'id="retire-standard"' in body and 'id="activate-standard"' not in body


def test_the_table_drives_the_admin(admin_client, monkeypatch):
    active = make_standard(name="按表编辑", activate=True)
    url = reverse("admin:scoring_standard_change", args=[active.pk])
    assert 'name="description"' not in admin_client.get(url).content.decode()
    monkeypatch.setattr(lifecycle, "TABLE", _table_with(Action.EDIT, sources=frozenset({Standard.Status.ACTIVE})))
    assert 'name="description"' in admin_client.get(url).content.decode()
    delete = reverse("admin:scoring_standard_delete", args=[active.pk])
    assert admin_client.get(delete).status_code == 403
    monkeypatch.setattr(lifecycle, "TABLE", _table_with(Action.DELETE, sources=frozenset({Standard.Status.ACTIVE})))
    assert admin_client.get(delete).status_code == 200


def test_the_services_refuse_by_the_table(inspector_a, manager_a, company_manager):
    draft = make_standard(name="按表拒绝")
    with pytest.raises(ActionRefused, match="Only an active standard can be retired"):
        services.standard_retire(standard=draft, by=company_manager)
    with pytest.raises(ActionRefused, match="company-wide"):  # a branch's manager, as in the Django admin
        services.standard_activate(standard=draft, by=manager_a)
    with pytest.raises(ActionRefused, match="manager"):
        services.standard_activate(standard=draft, by=inspector_a)
    assert services.standard_activate(standard=draft, by=SYSTEM).status == Standard.Status.ACTIVE
    with pytest.raises(TypeError):
        services.standard_retire(standard=draft, by=None)
