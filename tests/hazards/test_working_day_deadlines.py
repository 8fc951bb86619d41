"""Deadlines typed as "N working days": counted from today with China's holidays, shown as a date
before anything is saved (the preview, or the form sent back with the date filled in)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from hazards.models import Hazard

from .factories import make_hazard

pytestmark = pytest.mark.usefixtures("fast_pdf")
D = datetime.date
MONDAY = D(2026, 9, 28)  # before National Day: 5 working days = Sat 2026-10-10 (调休)


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: MONDAY)
    with translation.override("en"):
        yield


@pytest.fixture
def mgr_client(client, manager_a):
    client.force_login(manager_a)
    return client


def _register_data(site, category, deadline, deadline_wd=""):
    return {"site": site.pk, "category": category.pk, "severity": "general", "location": "配电室",
            "description": "接地线松动", "discovered_on": MONDAY.isoformat(), "responsible_name": "王建国",
            "required_measures": "紧固", "deadline": deadline, "deadline_wd": deadline_wd}


def test_the_preview_counts_holidays_and_adjusted_days(mgr_client):
    answer = mgr_client.get(reverse("org:working_days"), {"q": "5 working days"}).json()
    assert answer["date"] == "2026-10-10" and "2026-10-10" in answer["note"]
    assert mgr_client.get(reverse("org:working_days"), {"q": "5 个工作日"}).json()["date"] == "2026-10-10"
    assert "error" in mgr_client.get(reverse("org:working_days"), {"q": "soon"}).json()
    # Past the calendar's last year: said, not guessed
    assert "2027" in mgr_client.get(reverse("org:working_days"), {"q": "100 wd"}).json()["error"]


def test_the_preview_needs_a_login(client):
    assert client.get(reverse("org:working_days"), {"q": "5 wd"}).status_code == 302


def test_working_days_without_the_preview_come_back_filled_in_then_save(mgr_client, site_a, category):
    url = reverse("hazards:hazard_create")
    # When a form is sent with "5 working days" and no date, nothing is saved: the date is shown
    response = mgr_client.post(url, _register_data(site_a, category, "", "5 working days"))
    assert response.status_code == 200 and not Hazard.objects.exists()
    body = response.content.decode()
    assert 'value="2026-10-10"' in body and "public holidays skipped" in body
    # Sent again with the date the form showed: saved with it
    response = mgr_client.post(url, _register_data(site_a, category, "2026-10-10", "5 working days"))
    assert response.status_code == 302
    assert Hazard.objects.get().deadline == D(2026, 10, 10)


def test_a_bad_working_day_expression_is_named_on_the_field(mgr_client, site_a, category):
    response = mgr_client.post(reverse("hazards:hazard_create"), _register_data(site_a, category, "", "five days"))
    assert response.status_code == 200 and not Hazard.objects.exists()
    assert "5 working days" in response.content.decode()


def test_supervision_and_extension_deadlines_take_working_days(mgr_client, site_a, manager_a, category,
                                                                monkeypatch):
    hazard = make_hazard(Hazard.Status.RECTIFYING, site=site_a, by=manager_a, category=category,
                         discovered_on=MONDAY, deadline=D(2026, 10, 9))
    url = reverse("hazards:hazard_action", args=[hazard.pk, "request_extension"])
    form = mgr_client.get(url).content.decode()
    assert 'name="requested_deadline_wd"' in form and 'data-working-days=' in form
    response = mgr_client.post(url, {"expected_version": hazard.version, "requested_deadline": "",
                                     "requested_deadline_wd": "10 工作日", "reason": "备件",
                                     "requested_by_name": "王建国", "requested_on": MONDAY.isoformat()})
    assert response.status_code == 200 and 'value="2026-10-16"' in response.content.decode()
    assert not hazard.extensions.exists()
