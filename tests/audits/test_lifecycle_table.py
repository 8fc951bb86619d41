"""The inspection table (audits.lifecycle.TABLE) drives the buttons of the detail page and the
admin's read-only decision: change the table and they follow, with no status compared anywhere
else. One action enum: the transition's action is the history row's action."""

import dataclasses

import pytest
from django.urls import reverse

from audits import lifecycle, services
from audits.models import Inspection, InspectionEvent
from core.lifecycle import SYSTEM, ActionRefused

pytestmark = pytest.mark.django_db


def _table_with(action, **changes):
    table = lifecycle.TABLE
    return dataclasses.replace(table, transitions=[
        dataclasses.replace(t, **changes) if t.action == action else t for t in table])


def test_the_table_drives_the_detail_page_buttons(client, inspection, inspector_a, monkeypatch):
    client.force_login(inspector_a)
    url = reverse("audits:inspection_detail", args=[inspection.pk])
    body = client.get(url).content.decode()
    assert 'id="submit-button"' in body and 'id="lock-button"' not in body
    assert lifecycle.allowed_actions(inspection, inspector_a) == {lifecycle.Action.RECORD, lifecycle.Action.SUBMIT}
    # An inspector allowed to lock a draft: the button appears; submitting taken away: it goes.
    monkeypatch.setattr(lifecycle, "TABLE", _table_with(
        lifecycle.Action.LOCK, sources=frozenset({Inspection.Status.DRAFT}), roles=lifecycle.STAFF))
    monkeypatch.setattr(lifecycle, "TABLE", dataclasses.replace(lifecycle.TABLE, transitions=[
        t for t in lifecycle.TABLE if t.action != lifecycle.Action.SUBMIT]))
    body = client.get(url).content.decode()
    assert 'id="lock-button"' in body and 'id="submit-button"' not in body


def test_the_table_drives_the_admins_read_only_results(admin_client, inspection, monkeypatch):
    url = reverse("admin:audits_inspection_change", args=[inspection.pk])
    assert 'name="title"' in admin_client.get(url).content.decode()
    monkeypatch.setattr(lifecycle, "TABLE", _table_with(lifecycle.Action.RECORD, sources=frozenset()))
    assert 'name="title"' not in admin_client.get(url).content.decode()


def test_the_system_acts_explicitly_and_none_is_refused(inspection):
    with pytest.raises(TypeError):
        services.inspection_submit(inspection=inspection, by=None)
    services.result_save(inspection=inspection, item=inspection.results.first().item, earned=None,
                         not_applicable=True, by=SYSTEM)
    for result in inspection.results.filter(not_applicable=False, earned__isnull=True):
        services.result_save(inspection=inspection, item=result.item, earned=result.item.points,
                             not_applicable=False, by=SYSTEM)
    services.inspection_submit(inspection=inspection, by=SYSTEM)
    event = InspectionEvent.objects.filter(inspection=inspection).last()
    # The transition's action is the row's action; the system leaves the actor empty.
    assert (event.action, event.actor, event.to_status) == (lifecycle.Action.SUBMIT, None, "submitted")
    assert event.get_action_display() == "Submitted"


def test_a_refusal_is_an_action_refused_shown_on_the_page(client, inspection, inspector_a):
    with pytest.raises(ActionRefused, match="only a submitted inspection can be locked"):
        lifecycle.check(inspection, lifecycle.Action.LOCK, inspector_a)
    client.force_login(inspector_a)
    response = client.post(reverse("audits:inspection_lock", args=[inspection.pk]), follow=True)
    assert "only a submitted inspection can be locked" in response.content.decode()


def test_the_detail_page_says_why_it_cannot_be_submitted_while_items_are_unscored(client, inspection, inspector_a):
    from .test_services import score_all

    client.force_login(inspector_a)
    url = reverse("audits:inspection_detail", args=[inspection.pk])
    body = client.get(url).content.decode()
    # Ten leaves, none scored: the button is shown disabled with the reason, and no form posts.
    assert 'id="submit-blocked"' in body and "10 items are not scored yet" in body
    assert reverse("audits:inspection_submit", args=[inspection.pk]) not in body
    score_all(inspection, inspector_a)
    body = client.get(url).content.decode()
    assert 'id="submit-blocked"' not in body
    assert f'action="{reverse("audits:inspection_submit", args=[inspection.pk])}"' in body
