"""The past-deadline trap (issue 11, fault 4): a deadline in the past is refused where it is typed,
and wherever an action is unavailable the page says why, in the words the refusal would use."""

import datetime
import html

import pytest
from django.urls import reverse

from hazards import lifecycle
from hazards.lifecycle import Action, ActionRefused
from hazards.models import Hazard

from .factories import S, make_hazard, register, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def mgr(client, manager_a):
    client.force_login(manager_a)
    client.cookies["django_language"] = "en"
    return client


def _refusal(hazard, action, user) -> str:
    with pytest.raises(ActionRefused) as refused:
        lifecycle.check(hazard, action, user)
    return html.escape(str(refused.value.message))


def _yesterday() -> str:
    return (today() - datetime.timedelta(days=1)).isoformat()


def test_registering_with_a_past_deadline_is_refused_on_the_field(mgr, site_a, category):
    response = mgr.post(reverse("hazards:hazard_create"), {
        "site": site_a.pk, "category": category.pk, "severity": "general", "description": "接地线松动",
        "discovered_on": today().isoformat(), "deadline": _yesterday(), "responsible_name": "王建国",
        "required_measures": "紧固"})
    body = response.content.decode()
    assert response.status_code == 200
    assert f"The deadline {_yesterday()} is already past" in body
    assert not Hazard.objects.exists()


def test_editing_the_deadline_into_the_past_is_refused_but_an_old_one_may_stay(mgr, site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category)
    url = reverse("hazards:hazard_edit", args=[hazard.pk])
    from tests.hazards.test_edit_conflict import form_of

    form = form_of(mgr.get(url))
    response = mgr.post(url, {**form, "deadline": _yesterday()})
    assert "is already past" in response.content.decode()
    assert Hazard.objects.get(pk=hazard.pk).deadline == hazard.deadline
    # a deadline that passed since it was entered does not block editing something else
    Hazard.objects.filter(pk=hazard.pk).update(deadline=today() - datetime.timedelta(days=3),
                                               discovered_on=today() - datetime.timedelta(days=10))
    form = form_of(mgr.get(url))
    assert mgr.post(url, {**form, "location": "2 号配电室"}).status_code == 302


def test_the_hazard_page_says_why_notifying_is_not_offered(mgr, site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category)
    Hazard.objects.filter(pk=hazard.pk).update(deadline=today() - datetime.timedelta(days=2))
    hazard = Hazard.objects.get(pk=hazard.pk)
    body = mgr.get(reverse("hazards:hazard_detail", args=[hazard.pk])).content.decode()
    assert 'data-action="notify"' not in body
    assert 'data-unavailable="notify"' in body and _refusal(hazard, Action.NOTIFY, manager_a) in body


def test_the_notify_page_does_not_mark_a_past_deadline_ready(mgr, site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category)
    Hazard.objects.filter(pk=hazard.pk).update(deadline=today() - datetime.timedelta(days=2))
    hazard = Hazard.objects.get(pk=hazard.pk)
    body = mgr.get(f"{reverse('hazards:notify')}?hazards={hazard.pk}").content.decode()
    assert _refusal(hazard, Action.NOTIFY, manager_a) in body
    assert "bi-check-circle" not in body


def test_a_supervision_notice_before_the_deadline_is_explained(mgr, site_a, manager_a, category):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    body = mgr.get(reverse("hazards:hazard_detail", args=[hazard.pk])).content.decode()
    assert 'data-unavailable="supervise"' in body and _refusal(hazard, Action.SUPERVISE, manager_a) in body


def test_nothing_is_listed_for_a_role_that_may_not_act(client, leader_a, site_a, manager_a, category):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    client.force_login(leader_a)
    assert 'id="unavailable-actions"' not in client.get(
        reverse("hazards:hazard_detail", args=[hazard.pk])).content.decode()


def test_a_leader_opening_register_is_refused_before_the_form(client, leader_a):
    """Issue 11, fault 10: refused up front, not after filling in the form."""
    client.force_login(leader_a)
    client.cookies["django_language"] = "en"
    body = client.get(reverse("hazards:hazard_create")).content.decode()
    assert 'id="action-refusal"' in body and "Your role may not" in body
    assert 'id="hazard-form"' not in body
