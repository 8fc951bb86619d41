"""The inspection admin saves through the services (issue 8, fault 10: saving answered 500,
`new_objects`)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from audits import services
from audits.models import InspectionEvent, InspectionResult
from org.models import Role
from org.services import sync_role_groups
from tests.factories import make_user

from .factories import make_standard

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspection(site_a, inspector_a):
    return services.inspection_create(standard=make_standard(), kind="periodic", date=datetime.date(2026, 3, 2),
                                      site=site_a, by=inspector_a)


def _data(page):
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data["inspectors"] = [str(p.pk) for p in data.get("inspectors") or []]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        for sub in formset.forms:
            for name in sub.fields:
                value = sub[name].value()
                if value is True:
                    data[sub.add_prefix(name)] = "on"
                elif value is not None and value is not False:
                    data[sub.add_prefix(name)] = getattr(value, "pk", value)
    return data


@pytest.mark.parametrize("who", ["branch_admin", "superuser"])
def test_saving_an_inspection_with_a_result_goes_through_the_services(client, inspection, branch_a, team_a,
                                                                       django_user_model, who):
    sync_role_groups()
    user = (make_user(branch_a, Role.ADMIN, username="adm") if who == "branch_admin"
            else django_user_model.objects.create_superuser("root", password="x"))
    client.force_login(user)
    url = reverse("admin:audits_inspection_change", args=[inspection.pk])
    data = _data(client.get(url))
    first = InspectionResult.objects.filter(inspection=inspection).order_by("item__sort_key").first()
    data.update({"title": "春季安全检查", "group": team_a.pk, "results-0-earned": "1.5"})
    response = client.post(url, data)
    assert response.status_code == 302, (response.context["adminform"].form.errors,
                                         [i.formset.errors for i in response.context["inline_admin_formsets"]])
    inspection.refresh_from_db()
    first.refresh_from_db()
    assert inspection.title == "春季安全检查" and inspection.group == team_a
    assert first.earned == Decimal("1.5") and first.updated_by == user
    assert InspectionEvent.objects.filter(inspection=inspection, action=InspectionEvent.Action.EDIT,
                                          actor=user).count() == 1


def test_a_submitted_inspection_is_read_only_in_the_admin(client, inspection, branch_a):
    sync_role_groups()
    client.force_login(make_user(branch_a, Role.ADMIN, username="adm"))
    inspection.status = inspection.Status.SUBMITTED
    inspection.save(update_fields=["status"])
    url = reverse("admin:audits_inspection_change", args=[inspection.pk])
    page = client.get(url)
    assert "title" not in page.context["adminform"].form.fields
