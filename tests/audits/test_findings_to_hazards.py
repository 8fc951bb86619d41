"""From a submitted inspection's detail page, its problems become hazards (one per finding, never
twice), each linked back from the problem table."""

from decimal import Decimal

import pytest
from django.urls import reverse

from audits import services
from hazards.models import Hazard
from tests.hazards.factories import RiskCategoryFactory

pytestmark = pytest.mark.django_db


def _submitted_with_problems(inspection, by, n_problems):
    for i, result in enumerate(inspection.results.select_related("item").order_by("item__sort_key")):
        services.result_save(inspection=inspection, item=result.item, earned=Decimal("0"), not_applicable=False,
                             problem=f"问题{i}" if i < n_problems else "", measure="整改", by=by)
    return services.inspection_submit(inspection=inspection, by=by)


def test_detail_offers_registration_and_links_hazards(client, inspection, inspector_a, django_assert_max_num_queries):
    category = RiskCategoryFactory(code="ELEC", name="电气设备缺陷")
    _submitted_with_problems(inspection, inspector_a, 2)
    client.force_login(inspector_a)
    url = reverse("audits:inspection_detail", args=[inspection.pk])
    page = client.get(url).content.decode()
    assert 'id="create-hazards-button"' in page and "电气设备缺陷" in page

    response = client.post(reverse("hazards:create_from_inspection", args=[inspection.pk]), {"category": category.pk})
    assert response.status_code == 302
    hazards = list(Hazard.objects.filter(source_result__inspection=inspection))
    assert len(hazards) == 2 and {h.category_id for h in hazards} == {category.pk}

    with django_assert_max_num_queries(40) as ctx:
        page = client.get(url).content.decode()
    assert all(h.number in page for h in hazards)
    assert 'id="create-hazards-button"' not in page  # every finding has its hazard now
    client.post(reverse("hazards:create_from_inspection", args=[inspection.pk]), {"category": category.pk})
    assert Hazard.objects.filter(source_result__inspection=inspection).count() == 2
    assert len(ctx.captured_queries) < 40


def test_draft_inspection_offers_no_registration(client, inspection, inspector_a):
    result = inspection.results.select_related("item").first()
    services.result_save(inspection=inspection, item=result.item, earned=Decimal("0"), not_applicable=False,
                         problem="问题", by=inspector_a)
    client.force_login(inspector_a)
    page = client.get(reverse("audits:inspection_detail", args=[inspection.pk])).content.decode()
    assert 'id="create-hazards-button"' not in page
