"""The evidence follows the hazard (issue 11, fault 1): a finding's text and photos are on the
inspection page, in its PDF report (with a photo annex) and its Excel report, and a hazard made
from the finding starts with the finding's photos as its before-photos and shows the finding."""

import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audits import documents, services
from hazards import services as hazard_services
from hazards.models import HazardPhoto
from tests.hazards.factories import RiskCategoryFactory, image_upload

from .factories import item

pytestmark = pytest.mark.django_db

FINDING = "现场核查电工证 3 本，其中 1 本过期"
PROBLEM = "值班电工 1 人作业证已过期"


@pytest.fixture
def with_evidence(inspection, standard, inspector_a):
    """One item with a finding, a problem and two photos; one with a finding and a photo but no
    problem; the rest scored without remarks."""
    services.result_save(inspection=inspection, item=item(standard, "1.2.2"), by=inspector_a,
                         earned=Decimal("2"), not_applicable=False, finding=FINDING, problem=PROBLEM,
                         measure="停岗复训")
    services.result_save(inspection=inspection, item=item(standard, "2.1.1"), by=inspector_a,
                         earned=Decimal("2"), not_applicable=False, finding="挡鼠板完好")
    first = inspection.results.get(item__code="1.2.2")
    for color in ((200, 30, 30), (30, 200, 30)):
        services.photo_add(inspection=inspection, result=first, image=image_upload(color=color), by=inspector_a)
    services.photo_add(inspection=inspection, result=inspection.results.get(item__code="2.1.1"),
                       image=image_upload(color=(30, 30, 200)), by=inspector_a)
    for result in inspection.results.filter(earned__isnull=True, not_applicable=False).select_related("item"):
        services.result_save(inspection=inspection, item=result.item, by=inspector_a, earned=result.item.points,
                             not_applicable=False)
    services.inspection_submit(inspection=inspection, by=inspector_a)
    return inspection


def test_the_inspection_page_shows_findings_and_photos(client, inspector_a, with_evidence):
    client.force_login(inspector_a)
    body = client.get(reverse("audits:inspection_detail", args=[with_evidence.pk])).content.decode()
    assert FINDING in body and "挡鼠板完好" in body
    for photo in with_evidence.results.get(item__code="1.2.2").photos.all():
        assert reverse("audits:photo_thumb", args=[photo.pk]) in body
    assert body.count('class="evidence-thumb"') == 3


def _page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_inspection_page_query_count_does_not_grow_with_photos(client, inspector_a, manager_a,
                                                                  with_evidence):
    client.force_login(inspector_a)
    url = reverse("audits:inspection_detail", args=[with_evidence.pk])
    before = _page_queries(client, url)
    services.inspection_reopen(inspection=with_evidence, reason="补充照片", by=manager_a)
    for code in ("2.1.1", "2.1.2"):
        result = with_evidence.results.select_related("item").get(item__code=code)
        services.photo_add(inspection=with_evidence, result=result, image=image_upload(), by=inspector_a)
        services.result_save(inspection=with_evidence, item=result.item, by=inspector_a, earned=Decimal("1"),
                             not_applicable=False, finding="复查", problem="门缝偏大")
    services.inspection_submit(inspection=with_evidence, by=inspector_a)
    assert _page_queries(client, url) == before


def test_the_excel_report_lists_the_findings_and_holds_the_photos(with_evidence):
    workbook = load_workbook(io.BytesIO(documents.render_report_xlsx(with_evidence, language="zh-hans")))
    findings = workbook["检查发现"]
    rows = [[cell.value for cell in row] for row in findings.iter_rows(min_row=2)]
    assert ["1.2.2", item(with_evidence.standard, "1.2.2").title, FINDING, "照片 1、照片 2"] in rows
    assert any(row[2] == "挡鼠板完好" and row[3] == "照片 3" for row in rows)
    photos = workbook["照片"]
    assert len(photos._images) == 3
    assert [photos.cell(r, 2).value for r in range(2, 5)] == ["1.2.2", "1.2.2", "2.1.1"]


needs_poppler = pytest.mark.skipif(not shutil.which("pdfimages"), reason="poppler-utils not installed")


@needs_poppler
def test_the_pdf_report_prints_the_findings_and_a_photo_annex(with_evidence, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(documents.render_report_pdf(with_evidence, language="zh-hans"))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = text.replace(" ", "")
    assert FINDING.replace(" ", "") in flat and "挡鼠板完好" in flat
    assert "附件：检查发现照片" in flat and "照片3：2.1.1" in flat
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    assert len(images.splitlines()) - 2 == 3, images


def test_a_hazard_from_a_finding_starts_with_its_photos_and_shows_the_finding(client, manager_a, with_evidence):
    [hazard] = hazard_services.hazards_create_from_inspection(
        inspection=with_evidence, by=manager_a, category=RiskCategoryFactory(code="QUAL", name="人员资质"))
    finding_photos = list(with_evidence.results.get(item__code="1.2.2").photos.order_by("id"))
    before = list(hazard.photos.filter(kind=HazardPhoto.Kind.BEFORE).order_by("id"))
    assert len(before) == len(finding_photos) == 2
    for copy, original in zip(before, finding_photos, strict=True):
        with copy.image.open("rb") as a, original.image.open("rb") as b:
            assert a.read() == b.read()
        assert copy.thumbnail
    assert hazard.events.get().data["photos"] == 2
    client.force_login(manager_a)
    body = client.get(reverse("hazards:hazard_detail", args=[hazard.pk])).content.decode()
    assert FINDING in body
    assert reverse("audits:inspection_detail", args=[with_evidence.pk]) in body
    for photo in before:
        assert reverse("hazards:photo_thumb", args=[photo.pk]) in body


def test_creating_hazards_again_copies_no_photo_twice(manager_a, with_evidence):
    category = RiskCategoryFactory(code="QUAL", name="人员资质")
    hazard_services.hazards_create_from_inspection(inspection=with_evidence, by=manager_a, category=category)
    assert hazard_services.hazards_create_from_inspection(inspection=with_evidence, by=manager_a,
                                                          category=category) == []
    assert HazardPhoto.objects.count() == 2
