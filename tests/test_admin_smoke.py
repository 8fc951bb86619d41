"""Every model registered in the Django admin: its changelist (with a search), its add page
where adding is allowed, and the change page of one real object answer without a server error,
for a superuser and for a branch administrator (whose lists are scoped)."""

import datetime

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from audits import services as audit_services
from hazards.models import Hazard
from org.models import Role
from tests.audits.factories import make_standard
from tests.factories import make_user
from tests.hazards.factories import RiskCategoryFactory, make_hazard

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(site_a, inspector_a, manager_a, monkeypatch):
    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 " + notice.number.encode())
    standard = make_standard()
    audit_services.inspection_create(standard=standard, kind="periodic", date=datetime.date(2026, 3, 2),
                                     site=site_a, by=inspector_a)
    make_hazard(Hazard.Status.CLOSED, site=site_a, by=manager_a, category=RiskCategoryFactory())


@pytest.mark.parametrize("who", ["superuser", "branch_admin"])
def test_every_admin_page_answers(client, world, branch_a, django_user_model, who):
    if who == "superuser":
        user = django_user_model.objects.create_superuser("root", password="x")
    else:
        user = make_user(branch_a, Role.ADMIN, username="branch_admin")
    client.force_login(user)
    assert client.get(reverse("admin:index")).status_code == 200
    checked = 0
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        if not model_admin.has_view_permission(_request(user)):
            continue
        changelist = client.get(reverse(f"{info}_changelist"), {"q": "x"})
        assert changelist.status_code == 200, (info, changelist.status_code)
        obj = model_admin.get_queryset(_request(user)).first()
        if obj is not None:
            change = client.get(reverse(f"{info}_change", args=[obj.pk]))
            assert change.status_code == 200, (info, "change", change.status_code)
        if model_admin.has_add_permission(_request(user)):
            try:
                add_url = reverse(f"{info}_add")
            except NoReverseMatch:
                continue
            assert client.get(add_url).status_code == 200, (info, "add")
        checked += 1
    assert checked >= 8  # org, scoring, audits and hazards models were really visited


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request
