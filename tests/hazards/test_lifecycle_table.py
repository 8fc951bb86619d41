"""The hazard table (hazards.lifecycle.TABLE, on core.lifecycle) drives the detail page's buttons
and the admin's read-only decision: change the table and they follow, with no status compared
anywhere else. The party acts as core.lifecycle.PARTY, never as None."""

import dataclasses
import re

import pytest
from django.urls import reverse

from core.lifecycle import ActionRefused
from hazards import lifecycle, services
from hazards.lifecycle import PARTY, Action
from hazards.models import Hazard, HazardEvent

from .factories import make_hazard

pytestmark = pytest.mark.usefixtures("fast_pdf")
S = Hazard.Status


def _table_with(action, **changes):
    return dataclasses.replace(lifecycle.TABLE, transitions=[
        dataclasses.replace(t, **changes) if t.action == action else t for t in lifecycle.TABLE])


def _buttons(client, hazard) -> list[str]:
    body = client.get(reverse("hazards:hazard_detail", args=[hazard.pk])).content.decode()
    return re.findall(r'<a class="btn btn-sm[^"]*"\s+href="[^"]*" data-action="([a-z_]+)"', body)


def test_the_table_drives_the_detail_page_buttons(client, site_a, inspector_a, category, monkeypatch):
    hazard = make_hazard(S.REGISTERED, site=site_a, by=inspector_a, category=category)
    client.force_login(inspector_a)
    assert "void" not in _buttons(client, hazard)  # a manager's
    # Voiding opened to inspectors, notifying taken away: the page follows the table.
    monkeypatch.setattr(lifecycle, "TABLE", _table_with(Action.VOID, roles=lifecycle.STAFF))
    monkeypatch.setattr(lifecycle, "TABLE", _table_with(Action.NOTIFY, sources=frozenset()))
    buttons = _buttons(client, hazard)
    assert "void" in buttons and "notify" not in buttons
    assert buttons == [t.action for t in lifecycle.allowed_actions(hazard, inspector_a)]


def test_the_table_drives_the_admins_read_only_fields(admin_client, site_a, manager_a, category, monkeypatch):
    hazard = make_hazard(S.NOTIFIED, site=site_a, by=manager_a, category=category)
    url = reverse("admin:hazards_hazard_change", args=[hazard.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="location"' in page and 'name="deadline"' not in page  # fixed once notified
    monkeypatch.setattr(lifecycle, "TABLE", _table_with(Action.EDIT, sources=frozenset({S.REGISTERED})))
    assert 'name="location"' not in admin_client.get(url).content.decode()


def test_the_party_is_an_explicit_actor(site_a, manager_a, category):
    hazard = make_hazard(S.NOTIFIED, site=site_a, by=manager_a, category=category)
    with pytest.raises(TypeError):
        services.hazard_request_extension(hazard=hazard, requested_deadline=hazard.deadline, reason="x",
                                          requested_by_name="王", by=None)
    with pytest.raises(ActionRefused, match="Only staff"):
        services.hazard_void(hazard=hazard, reason="x", by=PARTY)
    services.hazard_acknowledge(hazard=hazard, acknowledged_by_name="王建国", by=PARTY)
    event = HazardEvent.objects.filter(hazard=hazard).last()
    assert (event.action, event.actor, event.actor_name) == (Action.ACKNOWLEDGE, None, "王建国")
