"""In the browser at 1024×768, in Chinese and English (issue 11, faults 1, 9 and 2): the finding and
its photo are on the inspection page; the panel near the top registers the finding with the
category and severity chosen; the hazard starts with the finding's photo and names the finding;
two people editing one hazard lose nothing."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from audits import services as audit_services
from hazards.models import Hazard
from tests.audits.factories import make_standard
from tests.factories import make_user
from tests.hazards.factories import RiskCategoryFactory, image_upload, register

from .conftest import VIEWPORT, assert_fits_tablet, login, screenshot, watch_csp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LANGUAGES = ["zh-hans", "en"]
FINDING = "现场核查电工证 3 本"


def _switch(page, language):
    if page.input_value("#language-select") != language:
        with page.expect_navigation():
            page.select_option("#language-select", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_evidence_follows_the_finding_into_its_hazard(page, live_server, site_a, language):
    manager = make_user(site_a.unit.parent, "manager", username="mgr", password="Mgr#2026")
    RiskCategoryFactory(code="OTHER", name="其他")
    qual = RiskCategoryFactory(code="QUAL", name="人员资质")
    standard = make_standard([("1", "用电安全管理", None, False), ("1.1", "配备持证电工", "10", True),
                              ("1.2", "值班巡视记录完整", "5", False)])
    inspection = audit_services.inspection_create(standard=standard, kind="periodic", site=site_a,
                                                  date=datetime.date(2026, 11, 2), by=manager)
    results = {r.item.code: r for r in inspection.results.select_related("item")}
    audit_services.result_save(inspection=inspection, item=results["1.1"].item, earned=Decimal("0"),
                               not_applicable=False, finding=FINDING, problem="1 人作业证过期", measure="停岗复审",
                               serious_problems=1, by=manager)
    audit_services.photo_add(inspection=inspection, result=results["1.1"], image=image_upload(size=(320, 240)),
                             by=manager)
    audit_services.result_save(inspection=inspection, item=results["1.2"].item, earned=Decimal("5"),
                               not_applicable=False, by=manager)
    audit_services.inspection_submit(inspection=inspection, by=manager)

    violations = watch_csp(page)
    login(page, live_server, "mgr", "Mgr#2026")
    _switch(page, language)
    page.goto(f"{live_server.url}{reverse('audits:inspection_detail', args=[inspection.pk])}")
    evidence = page.locator('#evidence-table tr[data-code="1.1"]')
    assert FINDING in evidence.inner_text()
    page.locator(".evidence-thumb").first.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('.evidence-thumb').naturalWidth > 0")
    panel = page.locator("#findings-panel")
    assert panel.bounding_box()["y"] < VIEWPORT["height"]  # near the top, not 2,300 px down
    assert_fits_tablet(page)
    screenshot(page, f"inspection-evidence-{language}")
    page.select_option(f'select[name="category_{results["1.1"].pk}"]', str(qual.pk))
    page.select_option(f'select[name="severity_{results["1.1"].pk}"]', "major")
    with page.expect_navigation():
        page.click("#create-hazards-button")
    hazard = Hazard.objects.get(source_result=results["1.1"])
    assert (hazard.category_id, hazard.severity) == (qual.pk, "major")

    page.goto(f"{live_server.url}{reverse('hazards:hazard_detail', args=[hazard.pk])}")
    assert FINDING in page.locator("#hazard-finding").inner_text()
    photo = page.locator("img.hz-photo").first
    photo.scroll_into_view_if_needed()  # the thumbnails load lazily
    page.wait_for_function("document.querySelector('img.hz-photo').naturalWidth > 0")
    assert_fits_tablet(page)
    screenshot(page, f"hazard-from-finding-{language}")
    assert not violations, violations


@pytest.mark.parametrize("language", LANGUAGES)
def test_two_people_editing_one_hazard_lose_nothing(page, browser, live_server, site_a, language):
    first = make_user(site_a.unit.parent, "manager", username="first", password="First#2026")
    make_user(site_a.unit.parent, "manager", username="second", password="Second#2026")
    hazard = register(site=site_a, by=first, category=RiskCategoryFactory(code="ELEC", name="电气设备缺陷"),
                      location="1 号配电室", description="接地线松动")
    url = f"{live_server.url}{reverse('hazards:hazard_edit', args=[hazard.pk])}"
    other = browser.new_context(viewport=VIEWPORT, locale="zh-CN").new_page()
    for p, user, password in ((page, "first", "First#2026"), (other, "second", "Second#2026")):
        login(p, live_server, user, password)
        _switch(p, language)
        p.goto(url)

    page.fill("#id_location", "2 号配电室")
    with page.expect_navigation():
        page.click("#hazard-submit")
    other.fill("#id_description", "接地线松动，螺栓锈蚀")
    with other.expect_navigation():
        other.click("#hazard-submit")
    assert other.locator("#action-refusal").is_visible()
    assert other.input_value("#id_location") == "2 号配电室"
    assert other.input_value("#id_description") == "接地线松动，螺栓锈蚀"
    assert "hz-carried" in other.get_attribute("#field-description", "class")
    assert "hz-carried" not in (other.get_attribute("#field-location", "class") or "")
    assert_fits_tablet(other)
    screenshot(other, f"edit-conflict-{language}")
    with other.expect_navigation():
        other.click("#hazard-submit")
    hazard = Hazard.objects.get(pk=hazard.pk)
    assert (hazard.location, hazard.description) == ("2 号配电室", "接地线松动，螺栓锈蚀")
    other.context.close()
