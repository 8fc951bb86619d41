import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audits import services
from audits.models import Inspection, InspectionResult
from org.uploads import PHOTO
from tests.factories import SiteFactory
from tests.helpers import assert_looks_missing

from .factories import item, wide_standard
from .test_imports import GOOD_ROWS, sheet

pytestmark = pytest.mark.django_db


def _result(inspection, code):
    return InspectionResult.objects.get(inspection=inspection, item__code=code)


def _save_url(inspection, code):
    return reverse("audits:result_save", args=[inspection.pk, _result(inspection, code).pk])


# ---------------------------------------------------------------- list

def _make_inspections(n, standard, site, by):
    for day in range(n):
        services.inspection_create(standard=standard, kind="periodic", site=site, by=by,
                                   date=datetime.date(2026, 1, 1) + datetime.timedelta(days=day))


def test_list_shows_only_own_scope(client_a, standard, site_a, site_b, inspector_a, inspector_b):
    _make_inspections(2, standard, site_a, inspector_a)
    services.inspection_create(standard=standard, kind="periodic", site=site_b, by=inspector_b,
                               date=datetime.date(2026, 1, 1))
    response = client_a.get(reverse("audits:inspection_list"))
    assert response.status_code == 200
    numbers = {i.number for i in response.context["page"].object_list}
    assert numbers == set(Inspection.objects.filter(unit__path__startswith=site_a.unit.path)
                          .values_list("number", flat=True))
    assert len(numbers) == 2


def test_list_filters(client_a, standard, site_a, team_a, inspector_a):
    other_site = SiteFactory(unit=team_a, name="丙客户")
    _make_inspections(3, standard, site_a, inspector_a)
    services.inspection_create(standard=standard, kind="special", site=other_site, by=inspector_a,
                               date=datetime.date(2026, 5, 1))
    url = reverse("audits:inspection_list")
    page = client_a.get(url, {"kind": "special"}).context["page"]
    assert [i.site for i in page.object_list] == [other_site]
    page = client_a.get(url, {"site": site_a.pk, "date_from": "2026-01-02", "ordering": "date"}).context["page"]
    assert [i.date.day for i in page.object_list] == [2, 3]
    response = client_a.get(url, {"site": other_site.pk})
    body = response.content.decode()
    assert 'id="site-chip"' in body and "丙客户" in body and 'type="hidden" name="site"' in body
    assert [i.site for i in response.context["page"].object_list] == [other_site]
    assert f'href="?site={site_a.pk}"' in client_a.get(url).content.decode()  # a site's name filters by it
    page = client_a.get(url, {"q": "丙客户"}).context["page"]
    assert len(page.object_list) == 1
    page = client_a.get(url, {"unit": team_a.pk, "status": "draft"}).context["page"]
    assert len(page.object_list) == 4


@pytest.mark.parametrize("rows", [1, 30])
def test_list_query_count_is_constant(client_a, standard, site_a, inspector_a, django_assert_num_queries, rows):
    _make_inspections(rows, standard, site_a, inspector_a)
    # session, user with membership and unit, count, page rows, units (sites have no drop-down)
    with django_assert_num_queries(5):
        response = client_a.get(reverse("audits:inspection_list"))
    assert response.status_code == 200


# ---------------------------------------------------------------- create

def test_create_form_limits_choices_and_creates(client_a, standard, site_a, site_b, inspector_a):
    url = reverse("audits:inspection_create")
    form = client_a.get(url).context["form"]
    assert site_b not in form.fields["site"].queryset and site_a in form.fields["site"].queryset
    response = client_a.post(url, {"site": site_b.pk, "standard": standard.pk, "kind": "periodic",
                                   "date": "2026-03-01"})
    assert response.status_code == 200 and not Inspection.objects.exists()
    response = client_a.post(url, {"site": site_a.pk, "standard": standard.pk, "kind": "periodic",
                                   "date": "2026-03-01", "inspectors": [inspector_a.pk]})
    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("audits:inspection_record", args=[inspection.pk])
    assert list(inspection.inspectors.all()) == [inspector_a]


def test_create_needs_site_or_unit(client_a, standard):
    response = client_a.post(reverse("audits:inspection_create"),
                             {"standard": standard.pk, "kind": "periodic", "date": "2026-03-01"})
    assert "Choose the site or the unit" in response.content.decode() or response.context["form"].errors
    assert not Inspection.objects.exists()


def test_leader_cannot_create(client, leader_a):
    client.force_login(leader_a)
    assert client.get(reverse("audits:inspection_create")).status_code == 403


# ---------------------------------------------------------------- recording

def test_record_resumes_at_first_section_with_unscored_items(client_a, inspection, standard, inspector_a):
    url = reverse("audits:inspection_record", args=[inspection.pk])
    assert client_a.get(url)["Location"].endswith("/record/1/")
    for code in ("1.1.1.1", "1.1.1.2", "1.1.2", "1.2.1", "1.2.2"):
        services.result_save(inspection=inspection, item=item(standard, code), earned=Decimal("0"),
                             not_applicable=False, by=inspector_a)
    assert client_a.get(url)["Location"].endswith("/record/2/")


def test_record_page_shows_section_rows_and_camera_input(client_a, inspection):
    response = client_a.get(reverse("audits:inspection_record_section", args=[inspection.pk, 1]))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('class="card result-row') == 5  # the leaves of section 1
    assert 'capture="environment"' in body and f'accept="{PHOTO.accept_attr}"' in body
    assert 'id="running-totals"' in body and 'id="section-nav"' in body


@pytest.mark.parametrize("leaves", [3, 40])
def test_record_page_query_count_is_constant(client_a, site_a, inspector_a, django_assert_num_queries, leaves):
    standard = wide_standard(2, leaves)
    inspection = services.inspection_create(standard=standard, kind="periodic", site=site_a, by=inspector_a,
                                            date=datetime.date(2026, 1, 1))
    url = reverse("audits:inspection_record_section", args=[inspection.pk, 1])
    # session, user with membership and unit, inspection, items, results, photos
    with django_assert_num_queries(6):
        assert client_a.get(url).status_code == 200


def test_autosave_returns_row_and_totals(client_a, inspection):
    response = client_a.post(_save_url(inspection, "1.1.1.1"), {"earned": "2.5", "serious_problems": "1",
                                                                "problem": "未签署责任书"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="score-' in body and 'data-state="scored"' in body
    assert 'id="running-totals" hx-swap-oob="true"' in body
    assert 'data-total="earned">2.50<' in body and 'data-total="points">34.75<' in body
    assert 'id="sub-' in body  # the subsection subtotals (1.1, 1.1.1)
    result = _result(inspection, "1.1.1.1")
    assert (result.earned, result.serious_problems, result.problem) == (Decimal("2.5"), 1, "未签署责任书")


def test_autosave_quick_buttons(client_a, inspection):
    url = _save_url(inspection, "2.2.1")
    client_a.post(url, {"quick": "full", "earned": ""}, HTTP_HX_REQUEST="true")
    assert _result(inspection, "2.2.1").earned == Decimal("6")
    client_a.post(url, {"quick": "na", "earned": "6"}, HTTP_HX_REQUEST="true")
    result = _result(inspection, "2.2.1")
    assert result.not_applicable and result.earned is None
    # Typing points again scores the item: it is no longer not applicable.
    client_a.post(url, {"earned": "3", "not_applicable": "on"}, HTTP_HX_REQUEST="true")
    result = _result(inspection, "2.2.1")
    assert not result.not_applicable and result.earned == Decimal("3")
    client_a.post(url, {"quick": "zero"}, HTTP_HX_REQUEST="true")
    assert _result(inspection, "2.2.1").earned == Decimal("0")


def test_autosave_refuses_earned_above_points_inline(client_a, inspection):
    response = client_a.post(_save_url(inspection, "2.1.1"), {"earned": "2.5"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "exceed the standard points 2.00" in body and 'data-state="error"' in body and 'value="2.5"' in body
    assert _result(inspection, "2.1.1").earned is None


def test_autosave_without_htmx_redirects_to_section(client_a, inspection):
    response = client_a.post(_save_url(inspection, "2.1.1"), {"earned": "1"})
    assert response.status_code == 302 and "/record/2/" in response["Location"]


def test_autosave_refused_after_submit(client_a, inspection, inspector_a):
    for r in inspection.results.select_related("item"):
        services.result_save(inspection=inspection, item=r.item, earned=r.item.points, not_applicable=False,
                             by=inspector_a)
    services.inspection_submit(inspection=inspection, by=inspector_a)
    response = client_a.post(_save_url(inspection, "2.1.1"), {"earned": "0"}, HTTP_HX_REQUEST="true")
    assert "only be changed while it is a draft" in response.content.decode()
    assert _result(inspection, "2.1.1").earned == Decimal("2")


def test_photo_upload_and_serving(client_a, inspection):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="JPEG")
    buffer.seek(0)
    buffer.name = "cam.jpg"
    result = _result(inspection, "2.1.1")
    url = reverse("audits:photo_add", args=[inspection.pk, result.pk])
    response = client_a.post(url, {"image": buffer}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "result-thumb" in response.content.decode()
    photo = result.photos.get()
    assert client_a.get(reverse("audits:photo_file", args=[photo.pk])).status_code == 200
    bad = io.BytesIO(b"GIF89a broken")
    bad.name = "x.jpg"
    response = client_a.post(url, {"image": bad}, HTTP_HX_REQUEST="true")
    refusal = "x.jpg: GIF files are not accepted here; upload a JPEG, PNG, WebP or HEIC photo."
    assert refusal in response.content.decode()
    assert result.photos.count() == 1


# ---------------------------------------------------------------- lifecycle views

def test_submit_refused_lists_unscored(client_a, inspection):
    response = client_a.post(reverse("audits:inspection_submit", args=[inspection.pk]), follow=True)
    assert "not scored yet" in response.content.decode()
    inspection.refresh_from_db()
    assert inspection.status == "draft"


def test_submit_reopen_lock_through_pages(client, inspection, inspector_a, manager_a):
    for r in inspection.results.select_related("item"):
        services.result_save(inspection=inspection, item=r.item, earned=r.item.points, not_applicable=False,
                             by=inspector_a)
    client.force_login(inspector_a)
    client.post(reverse("audits:inspection_submit", args=[inspection.pk]))
    inspection.refresh_from_db()
    assert inspection.status == "submitted"
    # An inspector sees no reopen button and is refused.
    detail = client.get(reverse("audits:inspection_detail", args=[inspection.pk])).content.decode()
    assert 'id="reopen-form"' not in detail
    client.post(reverse("audits:inspection_reopen", args=[inspection.pk]), {"reason": "x"})
    inspection.refresh_from_db()
    assert inspection.status == "submitted"
    client.force_login(manager_a)
    response = client.post(reverse("audits:inspection_reopen", args=[inspection.pk]), {"reason": ""}, follow=True)
    assert "Give the reason" in response.content.decode()
    client.post(reverse("audits:inspection_reopen", args=[inspection.pk]), {"reason": "分值有误"})
    inspection.refresh_from_db()
    assert inspection.status == "draft"
    detail = client.get(reverse("audits:inspection_detail", args=[inspection.pk])).content.decode()
    assert "分值有误" in detail


# ---------------------------------------------------------------- detail and downloads

@pytest.mark.parametrize("leaves", [3, 40])
def test_detail_query_count_is_constant(client_a, site_a, inspector_a, django_assert_num_queries, leaves):
    standard = wide_standard(3, leaves)
    inspection = services.inspection_create(standard=standard, kind="periodic", site=site_a, by=inspector_a,
                                            date=datetime.date(2026, 1, 1))
    for r in inspection.results.select_related("item")[:5]:
        services.result_save(inspection=inspection, item=r.item, earned=Decimal("1"), not_applicable=False,
                             problem="问题", by=inspector_a)
    # session, user with membership and unit, inspection, items, results, findings with their
    # problems, their photos, events, inspectors
    with django_assert_num_queries(9):
        assert client_a.get(reverse("audits:inspection_detail", args=[inspection.pk])).status_code == 200


def test_downloads(client_a, inspection):
    response = client_a.get(reverse("audits:inspection_report", args=[inspection.pk, "xlsx"]) + "?lang=en")
    assert response.status_code == 200
    assert f'filename="{inspection.number}.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.worksheets[0]["A1"].value == "Code"
    response = client_a.get(reverse("audits:inspection_report", args=[inspection.pk, "pdf"]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


# ---------------------------------------------------------------- scope

def test_other_units_inspection_looks_missing(client, inspection, inspector_b):
    client.force_login(inspector_b)
    missing = 999999
    result = _result(inspection, "2.1.1")
    for name, args, missing_args in [
        ("audits:inspection_detail", [inspection.pk], [missing]),
        ("audits:inspection_record", [inspection.pk], [missing]),
        ("audits:inspection_record_section", [inspection.pk, 1], [missing, 1]),
        ("audits:inspection_report", [inspection.pk, "pdf"], [missing, "pdf"]),
    ]:
        assert_looks_missing(client, reverse(name, args=args), reverse(name, args=missing_args))
    response = client.post(reverse("audits:result_save", args=[inspection.pk, result.pk]), {"earned": "0"})
    assert response.status_code == 404
    for name in ("audits:inspection_submit", "audits:inspection_lock", "audits:inspection_reopen"):
        assert client.post(reverse(name, args=[inspection.pk]), {"reason": "x"}).status_code == 404
    assert _result(inspection, "2.1.1").earned is None


# ---------------------------------------------------------------- import page

def test_import_page_lists_all_errors_and_saves_nothing(client_a, standard, site_a):
    upload = io.BytesIO(sheet([["9.9", "", 1], ["2.1.1", "", 7]]))
    upload.name = "bad.xlsx"
    response = client_a.post(reverse("audits:inspection_import"), {
        "file": upload, "standard": standard.pk, "site": site_a.pk, "kind": "self_assessment",
        "date": "2026-04-01"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Row 2, column A" in body and "Row 3, column C" in body
    assert not Inspection.objects.exists()


def test_import_page_creates_draft(client_a, standard, site_a):
    upload = io.BytesIO(sheet(GOOD_ROWS))
    upload.name = "ok.xlsx"
    response = client_a.post(reverse("audits:inspection_import"), {
        "file": upload, "standard": standard.pk, "site": site_a.pk, "kind": "self_assessment",
        "date": "2026-04-01"})
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and inspection.status == "draft"
    assert inspection.results.filter(earned__isnull=False).count() == 8


def test_autosave_from_a_text_field_does_not_resend_the_score_inputs(client_a, inspection):
    response = client_a.post(_save_url(inspection, "1.1.2"), {"earned": "", "problem": "考核无记录",
                                                              "source": "problem"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response["HX-Reswap"] == "none"
    assert 'name="earned"' not in body and 'hx-swap-oob="true"' in body and 'id="state-' in body
    assert _result(inspection, "1.1.2").problem == "考核无记录"


def test_home_lists_my_drafts_to_resume(client_a, inspection, inspector_a, manager_a, site_a, standard,
                                        django_assert_max_num_queries):
    others = services.inspection_create(standard=standard, kind="periodic", site=site_a, by=manager_a,
                                        date=datetime.date(2026, 3, 5))
    with django_assert_max_num_queries(14):
        page = client_a.get(reverse("home")).content.decode()
    panel = page[page.index('id="draft-panel"'):]
    assert inspection.number in panel and others.number not in panel
    assert reverse("audits:inspection_record", args=[inspection.pk]) in panel
