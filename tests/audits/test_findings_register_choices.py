"""Registering hazards from findings (issue 11, fault 9): a panel near the top of the inspection
page lists each finding without a hazard with its own category and severity (the standard item's
defaults first); only the ticked findings become hazards, each as chosen, linked to its item."""

from decimal import Decimal

import pytest
from django.urls import reverse

from audits import services
from hazards.models import Hazard
from tests.hazards.factories import RiskCategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def categories(db):
    return {code: RiskCategoryFactory(code=code, name=name) for code, name in
            (("ELEC", "电气设备缺陷"), ("QUAL", "人员资质"), ("OTHER", "其他"))}


@pytest.fixture
def submitted(inspection, inspector_a):
    """Three findings with problems: 1.1.1.1, 1.1.1.2 and 1.1.2; the last item's defaults are
    QUAL and major."""
    results = list(inspection.results.select_related("item").order_by("item__sort_key")[:3])
    item = results[2].item
    item.hazard_category_code, item.hazard_major = "QUAL", True
    item.save(update_fields=["hazard_category_code", "hazard_major"])
    for result in inspection.results.select_related("item"):
        problem = f"问题 {result.item.code}" if result in results else ""
        services.result_save(inspection=inspection, item=result.item, earned=Decimal("0"), not_applicable=False,
                             problem=problem, measure="整改" if problem else "", by=inspector_a)
    services.inspection_submit(inspection=inspection, by=inspector_a)
    return inspection, results


def _select(page: str, name: str) -> str:
    return page.split(f'name="{name}"')[1].split("</select>")[0]


def test_the_panel_offers_each_finding_with_its_items_defaults_near_the_top(client, inspector_a, submitted,
                                                                           categories):
    inspection, results = submitted
    client.force_login(inspector_a)
    page = client.get(reverse("audits:inspection_detail", args=[inspection.pk])).content.decode()
    assert page.index('id="findings-panel"') < page.index('id="rollup-table"')
    for result in results:
        assert f'name="category_{result.pk}"' in page and f'name="severity_{result.pk}"' in page
    qual, other = categories["QUAL"], categories["OTHER"]
    assert f'<option value="{qual.pk}" selected>' in _select(page, f"category_{results[2].pk}")
    assert f'<option value="{other.pk}" selected>' in _select(page, f"category_{results[0].pk}")
    assert '<option value="major" selected>' in _select(page, f"severity_{results[2].pk}")
    assert '<option value="general" selected>' in _select(page, f"severity_{results[0].pk}")


def test_only_ticked_findings_become_hazards_each_as_chosen(client, inspector_a, submitted, categories):
    inspection, results = submitted
    client.force_login(inspector_a)
    first, _skipped, third = results
    response = client.post(reverse("hazards:create_from_inspection", args=[inspection.pk]), {
        "result": [first.pk, third.pk],
        "category_" + str(first.pk): categories["ELEC"].pk, "severity_" + str(first.pk): "major",
        "category_" + str(results[1].pk): categories["ELEC"].pk, "severity_" + str(results[1].pk): "general",
        "category_" + str(third.pk): categories["QUAL"].pk, "severity_" + str(third.pk): "general",
    })
    assert response.status_code == 302
    hazards = {h.source_result_id: h for h in Hazard.objects.filter(source_result__inspection=inspection)}
    assert set(hazards) == {first.pk, third.pk}
    assert (hazards[first.pk].category.code, hazards[first.pk].severity) == ("ELEC", "major")
    assert (hazards[third.pk].category.code, hazards[third.pk].severity) == ("QUAL", "general")
    # the hazard names its inspection and item, and links back
    page = client.get(reverse("hazards:hazard_detail", args=[hazards[first.pk].pk])).content.decode()
    assert reverse("audits:inspection_detail", args=[inspection.pk]) in page and first.item.title in page


def test_nothing_ticked_registers_nothing_and_says_so(client, inspector_a, submitted, categories):
    inspection, results = submitted
    client.force_login(inspector_a)
    response = client.post(reverse("hazards:create_from_inspection", args=[inspection.pk]),
                           {f"category_{results[0].pk}": categories["ELEC"].pk}, follow=True)
    assert not Hazard.objects.exists()
    assert "Tick the findings" in response.content.decode()


def test_without_choices_every_finding_takes_its_items_defaults(inspector_a, submitted, categories):
    from hazards import services as hazard_services

    inspection, results = submitted
    hazards = hazard_services.hazards_create_from_inspection(inspection=inspection, by=inspector_a)
    by_result = {h.source_result_id: h for h in hazards}
    assert (by_result[results[2].pk].category.code, by_result[results[2].pk].severity) == ("QUAL", "major")
    assert by_result[results[0].pk].category.code == "OTHER"


def _site_page(client, site):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        body = client.get(reverse("org:site_detail", args=[site.pk])).content.decode()
    return body, len(queries)


def test_the_site_page_lists_its_inspections_and_hazards_in_constant_queries(client, inspector_a, manager_a,
                                                                            submitted, categories, site_a):
    from hazards import services as hazard_services

    inspection, results = submitted
    client.force_login(manager_a)
    body, before = _site_page(client, site_a)
    assert 'id="site-inspections"' in body and inspection.number in body
    assert 'id="site-hazards"' in body and "No hazards registered." in body
    hazards = hazard_services.hazards_create_from_inspection(inspection=inspection, by=manager_a)
    body, after = _site_page(client, site_a)
    assert all(h.number in body for h in hazards)
    assert after == before
