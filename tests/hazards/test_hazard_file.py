"""The printable hazard file (一患一档, hazards.hazard_file): one real PDF per hazard, read back with
poppler (pdftotext, pdfimages, pdffonts), and the ledger's zip of hazard files: scoped, capped,
named by number, with a manifest, and a query count that does not grow with the hazards."""

import datetime
import hashlib
import io
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from hazards import hazard_file, services
from hazards.lifecycle import Action
from hazards.models import Hazard, HazardPhoto, WorkOrderReply
from org.pdfsandbox import RenderResult
from tests.helpers import assert_looks_missing

from .factories import MAJOR_COMPLETE, image_upload, make_hazard, register, today

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")]


def squash(value) -> str:
    return "".join(str(value).split())


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "file.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return squash(text)  # CJK lines wrap anywhere: compare without whitespace


def pdf_image_count(data: bytes, tmp_path) -> int:
    path = tmp_path / "images.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    return len([line for line in out.splitlines()[2:] if line.strip() and line.split()[2] == "image"])


@pytest.fixture
def major_hazard(site_a, manager_a, category):
    """A major hazard walked through the loop: two photos before, notice issued and acknowledged,
    a report to the authority with its document, a reply with a photo, a photo after."""
    hazard = register(site=site_a, by=manager_a, category=category, severity=Hazard.Severity.MAJOR,
                      description="井下主排水泵单电源供电")
    for color in ((200, 30, 30), (30, 200, 30)):
        services.hazard_photo_add(hazard=hazard, kind=HazardPhoto.Kind.BEFORE, image=image_upload(color=color),
                                  by=manager_a, caption="泵房全景")
    services.hazard_notify(hazards=[Hazard.objects.get(pk=hazard.pk)], by=manager_a)
    services.hazard_acknowledge(hazard=Hazard.objects.get(pk=hazard.pk), acknowledged_by_name="王建国", by=manager_a)
    services.hazard_report(hazard=Hazard.objects.get(pk=hazard.pk), addressee="市应急管理局",
                           report_date=today(), by=manager_a, document=image_upload("report.png", color=(1, 2, 3)))
    services.hazard_submit_reply(hazard=Hazard.objects.get(pk=hazard.pk), cause="设备老化", handling="已改双回路供电",
                                 result=WorkOrderReply.Result.HANDLED, submitted_by_name="王建国", by=manager_a,
                                 photos=[image_upload("reply.png", color=(0, 0, 200))])
    services.hazard_photo_add(hazard=Hazard.objects.get(pk=hazard.pk), kind=HazardPhoto.Kind.AFTER,
                              image=image_upload("after.png", color=(0, 120, 120)), by=manager_a)
    return Hazard.objects.get(pk=hazard.pk)


def _prefetched(hazard):
    return hazard_file.with_file_prefetch(Hazard.objects.filter(pk=hazard.pk)).get()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_file_prints_every_field_the_five_in_place_documents_and_history(major_hazard, manager_a, tmp_path,
                                                                             language):
    pdf = hazard_file.render_hazard_file_pdf(_prefetched(major_hazard), language=language)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    with translation.override(language):
        title = squash(translation.gettext("Hazard file"))
        five = squash(translation.gettext("Five in place (五落实) and governance plan"))
        actions = {squash(label) for value, label in Action.choices}
    assert title in text and five in text
    assert ("隐患档案" in text) == (language == "zh-hans")
    h = major_hazard
    for value in (h.number, h.description, h.location, h.basis, h.responsible_name, h.responsible_email,
                  h.required_measures, h.deadline.isoformat(), h.site.name, h.category.name):
        assert squash(value) in text, value
    for name, value in MAJOR_COMPLETE.items():
        if isinstance(value, str):
            assert squash(value) in text, name
    assert squash(h.five_deadline.isoformat()) in text
    # Every document with its number and full SHA-256: the notice as stored, the report's file as read now.
    notice = h.notices.get()
    assert notice.number in text and notice.sha256 in text
    report = h.reports.get()
    assert hashlib.sha256(report.document.open("rb").read()).hexdigest() in text
    assert f"{h.number}-report-{report.pk}" in text
    # The whole history: each event's action label and who acted.
    events = list(h.events.all())
    assert len(events) >= 7
    with translation.override(language):
        for event in events:
            assert squash(event.action_display) in text, event.action
    assert sum(text.count(label) for label in actions) >= len(events)
    assert manager_a.username in text or squash(manager_a.get_full_name()) in text
    # Photos: two before, one after, one of the reply — all four embedded.
    assert pdf_image_count(pdf, tmp_path) == 4


def test_a_general_hazard_has_no_five_in_place_section(site_a, manager_a, category, tmp_path):
    hazard = register(site=site_a, by=manager_a, category=category)
    text = pdf_text(hazard_file.render_hazard_file_pdf(_prefetched(hazard), language="zh-hans"), tmp_path)
    assert hazard.number in text and "五落实" not in text
    assert pdf_image_count(hazard_file.render_hazard_file_pdf(_prefetched(hazard), language="en"), tmp_path) == 0


def test_the_file_embeds_a_cjk_font(major_hazard, tmp_path):
    path = tmp_path / "fonts.pdf"
    path.write_bytes(hazard_file.render_hazard_file_pdf(_prefetched(major_hazard), language="zh-hans"))
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
    cjk = [line.split() for line in lines[2:] if "CJK" in line]
    assert cjk, lines
    assert all(row[-5] == "yes" for row in cjk), cjk  # emb column


def test_the_first_page_renders_as_an_image(major_hazard, tmp_path):
    """pdftoppm turns the first page into a PNG (looked at by hand while building: heading, fields)."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm missing")
    path = tmp_path / "file.pdf"
    path.write_bytes(hazard_file.render_hazard_file_pdf(_prefetched(major_hazard), language="zh-hans"))
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
                   check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 5000


# ---------------------------------------------------------------- the views


def test_the_hazard_page_offers_the_file_and_it_downloads(client, major_hazard, manager_a, tmp_path):
    client.force_login(manager_a)
    url = reverse("hazards:hazard_file", args=[major_hazard.pk])
    page = client.get(reverse("hazards:hazard_detail", args=[major_hazard.pk])).content.decode()
    assert 'id="download-hazard-file"' in page and f'href="{url}"' in page and "data-download=" in page
    response = client.get(url + "?lang=en")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'filename="{major_hazard.number}.pdf"' in response["Content-Disposition"]
    assert "Hazardfile" in pdf_text(response.content, tmp_path)


def test_another_units_hazard_file_looks_missing(client, major_hazard, manager_b):
    client.force_login(manager_b)
    assert_looks_missing(client, reverse("hazards:hazard_file", args=[major_hazard.pk]),
                         reverse("hazards:hazard_file", args=[987654]))


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _manifest(archive) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(archive.read("manifest.xlsx"))).active
    return list(sheet.iter_rows(values_only=True))


def test_the_zip_holds_the_filtered_ledger_by_number_with_a_manifest(client, major_hazard, site_a, manager_a,
                                                                      category):
    general = register(site=site_a, by=manager_a, category=category)
    client.force_login(manager_a)
    response = client.get(reverse("hazards:hazard_files_zip"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = _zip(response)
    assert sorted(archive.namelist()) == sorted([f"{major_hazard.number}.pdf", f"{general.number}.pdf",
                                                 "manifest.xlsx"])
    rows = _manifest(archive)
    assert len(rows) == 3
    by_number = {row[1]: row for row in rows[1:]}
    assert by_number[major_hazard.number][0] == f"{major_hazard.number}.pdf"
    assert by_number[major_hazard.number][7] == 4  # photos
    assert by_number[major_hazard.number][8] == 2  # the notice and the report's document
    assert by_number[major_hazard.number][10] == hashlib.sha256(
        archive.read(f"{major_hazard.number}.pdf")).hexdigest()
    # The ledger's filter applies: only the major one.
    archive = _zip(client.get(reverse("hazards:hazard_files_zip") + "?severity=major"))
    assert sorted(archive.namelist()) == [f"{major_hazard.number}.pdf", "manifest.xlsx"]
    assert 'id="export-zip"' in client.get(reverse("hazards:hazard_list")).content.decode()


def test_the_zip_holds_only_the_users_scope(client, site_a, site_b, manager_a, manager_b, category):
    ours = register(site=site_b, by=manager_b, category=category)
    register(site=site_a, by=manager_a, category=category)
    client.force_login(manager_b)
    archive = _zip(client.get(reverse("hazards:hazard_files_zip")))
    assert sorted(archive.namelist()) == [f"{ours.number}.pdf", "manifest.xlsx"]
    # Filtering on the other unit is refused, never widened.
    response = client.get(reverse("hazards:hazard_files_zip") + f"?unit={site_a.unit_id}")
    assert response.status_code == 400


def test_above_the_cap_the_user_is_asked_to_narrow_the_filter(client, settings, site_a, manager_a, category):
    settings.HAZARD_FILE_ZIP_MAX = 2
    hazards = [register(site=site_a, by=manager_a, category=category, location=f"位置{i}") for i in range(3)]
    client.force_login(manager_a)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("hazards:hazard_files_zip"))
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    with translation.override("zh-hans"):
        message = hazard_file.too_many_message(3, 2)
    assert message in response.content.decode() and "3" in message and "2" in message
    # The ledger says it before the click: the button is disabled with the same words.
    ledger = client.get(reverse("hazards:hazard_list")).content.decode()
    assert 'id="export-zip" disabled' in ledger and message in ledger
    # Narrowed to two: exported, all of them.
    services.hazard_void(hazard=hazards[0], reason="重复登记", by=manager_a)
    archive = _zip(client.get(reverse("hazards:hazard_files_zip") + "?status=registered"))
    assert sorted(archive.namelist()) == sorted([f"{h.number}.pdf" for h in hazards[1:]] + ["manifest.xlsx"])


def test_a_filter_matching_nothing_says_so_instead_of_an_empty_zip(client, site_a, manager_a, category):
    register(site=site_a, by=manager_a, category=category)
    client.force_login(manager_a)
    response = client.get(reverse("hazards:hazard_files_zip") + "?q=" + "无此隐患" * 10)
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert "nothing to export" in response.content.decode()


def test_the_zip_runs_as_many_queries_for_more_hazards(site_a, manager_a, category, monkeypatch):
    """The templates are rendered for real; only WeasyPrint's layout is replaced (its time is not
    under test). Photos, events, notices, replies and reports are prefetched per batch."""
    monkeypatch.setattr("org.documents.render_html", lambda html, media=(): RenderResult(pdf=b"%PDF-1.7 " + html[
        :20].encode()))
    monkeypatch.setattr("hazards.documents.render_notice_pdf", lambda notice, hazards=None: b"%PDF-1.7 notice")

    def grow(count):
        for _ in range(count):
            hazard = make_hazard(Hazard.Status.PENDING_ACCEPTANCE, site=site_a, by=manager_a, category=category,
                                 severity=Hazard.Severity.MAJOR)
            services.hazard_photo_add(hazard=hazard, kind=HazardPhoto.Kind.BEFORE, image=image_upload(),
                                      by=manager_a)
            services.hazard_report(hazard=Hazard.objects.get(pk=hazard.pk), addressee="市应急管理局",
                                   report_date=today(), by=manager_a, document=image_upload("r.png"))

    def queries() -> int:
        queryset = Hazard.objects.filter(unit__path__startswith=site_a.unit.path).order_by("id")
        with CaptureQueriesContext(connection) as captured:
            hazard_file.write_hazard_files_zip(queryset, io.BytesIO(), language="zh-hans")
        return len(captured)

    grow(2)
    before = queries()
    grow(4)
    assert queries() == before


def test_a_file_that_cannot_be_produced_is_named_in_the_manifest(site_a, manager_a, category, monkeypatch):
    from org.pdfsandbox import RenderError

    first = register(site=site_a, by=manager_a, category=category, discovered_on=today() - datetime.timedelta(days=1))
    second = register(site=site_a, by=manager_a, category=category)
    real = hazard_file.render_hazard_file_pdf

    def failing(hazard, **kwargs):
        if hazard.pk == first.pk:
            raise RenderError("timeout")
        return real(hazard, **kwargs)

    monkeypatch.setattr(hazard_file, "render_hazard_file_pdf", failing)
    out = io.BytesIO()
    assert hazard_file.write_hazard_files_zip(Hazard.objects.order_by("id"), out, language="en") == 2
    archive = zipfile.ZipFile(out)
    assert sorted(archive.namelist()) == [f"{second.number}.pdf", "manifest.xlsx"]
    rows = {row[1]: row for row in _manifest(archive)[1:]}
    assert rows[first.number][0] is None and "longer than" in rows[first.number][11]


def test_a_file_that_cannot_be_produced_says_why_on_a_page(client, site_a, manager_a, category, monkeypatch):
    from org.pdfsandbox import RenderError

    hazard = register(site=site_a, by=manager_a, category=category)

    def failing(html, media=()):
        raise RenderError("timeout")

    monkeypatch.setattr("org.documents.render_html", failing)
    client.force_login(manager_a)
    response = client.get(reverse("hazards:hazard_file", args=[hazard.pk]))
    assert response.status_code == 503 and response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert 'id="export-refusal"' in body and reverse("hazards:hazard_detail", args=[hazard.pk]) in body


def test_the_english_file_uses_english_punctuation(site_a, manager_a, category, monkeypatch):
    """For data without punctuation of its own, nothing full-width comes from the template."""
    from tests.test_wording import FULL_WIDTH, _visible

    pages = []
    monkeypatch.setattr("org.documents.render_html",
                        lambda html, media=(): pages.append(html) or RenderResult(pdf=b"%PDF-1.7"))
    monkeypatch.setattr("hazards.documents.render_notice_pdf", lambda notice, hazards=None: b"%PDF-1.7 notice")
    hazard = make_hazard(Hazard.Status.PENDING_ACCEPTANCE, site=site_a, by=manager_a, category=category)
    hazard_file.render_hazard_file_pdf(_prefetched(hazard), language="en")
    assert pages and not FULL_WIDTH.findall(_visible(pages[0])), FULL_WIDTH.findall(_visible(pages[0]))
