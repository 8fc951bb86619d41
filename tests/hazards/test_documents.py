"""The issued documents: real PDFs (WeasyPrint), checked with poppler's pdftotext and pdffonts."""

import datetime
import hashlib
import shutil
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

from hazards import services
from hazards.documents import DocumentAlreadyStored, render_notice_pdf, store_document
from hazards.models import Hazard, Notice

from .factories import register, today

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(text.split())  # CJK lines wrap anywhere: compare without whitespace


def pdf_fonts(data: bytes, tmp_path) -> list[list[str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:]]


def squash(value) -> str:
    return "".join(str(value).split())


def local_date(value, language):
    with translation.override(language):
        return date_filter(value, "DATE_FORMAT")


@pytest.fixture
def two_hazards(site_a, manager_a, category):
    deadline = today() + datetime.timedelta(days=20)
    first = register(site=site_a, by=manager_a, category=category, description="配电室门口未设挡鼠板",
                     location="1 号配电室", basis="供用电安全规范 5.2", required_measures="加装挡鼠板",
                     deadline=deadline, responsible_name="王建国")
    second = register(site=site_a, by=manager_a, category=category, description="电缆沟盖板缺失",
                      location="电缆沟", required_measures="补齐盖板", deadline=deadline + datetime.timedelta(days=5),
                      responsible_name="王建国")
    return first, second


@pytest.mark.parametrize("language, title", [("zh-hans", "隐患告知书"), ("en", "Hazard notice")])
def test_hazard_notice_content(two_hazards, manager_a, site_a, tmp_path, language, title):
    notice = services.hazard_notify(hazards=list(two_hazards), by=manager_a, language=language)
    data = notice.file.open("rb").read()
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    with translation.override(language):
        expected_title = squash(translation.gettext("Hazard notice"))
    assert expected_title in text and squash(title) in text
    for expected in [notice.number, notice.addressee, site_a.name, site_a.code, manager_a.membership.unit.name,
                     local_date(notice.deadline, language)]:
        assert squash(expected) in text, expected
    for hazard in two_hazards:
        for expected in (hazard.number, hazard.description, hazard.required_measures, hazard.location,
                         local_date(hazard.deadline, language)):
            assert squash(expected) in text, expected
    assert squash(two_hazards[0].basis) in text


def test_notice_embeds_a_cjk_font(two_hazards, manager_a, tmp_path):
    notice = services.hazard_notify(hazards=list(two_hazards), by=manager_a, language="zh-hans")
    fonts = pdf_fonts(notice.file.open("rb").read(), tmp_path)
    cjk = [f for f in fonts if "CJK" in f[0]]
    assert cjk, fonts
    # columns: name type [type] encoding emb sub uni object ID: "emb" is the 5th from the end.
    assert all(f[-5] == "yes" for f in cjk), fonts


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_supervision_notice_content(two_hazards, manager_a, tmp_path, language):
    first = two_hazards[0]
    original = services.hazard_notify(hazards=[first], by=manager_a, language=language)
    Hazard.objects.filter(pk=first.pk).update(deadline=today() - datetime.timedelta(days=6))
    hazard = Hazard.objects.get(pk=first.pk)
    new_deadline = today() + datetime.timedelta(days=7)
    notice = services.hazard_supervise(hazard=hazard, new_deadline=new_deadline, by=manager_a, language=language)
    assert notice.kind == Notice.Kind.SUPERVISION and notice.cites_id == original.pk
    text = pdf_text(notice.file.open("rb").read(), tmp_path)
    with translation.override(language):
        assert squash(translation.gettext("Supervision notice")) in text
    for expected in (notice.number, original.number, hazard.number, hazard.description,
                     local_date(new_deadline, language), local_date(timezone.localdate(original.issued_at), language)):
        assert squash(expected) in text, expected
    assert notice.days_overdue == 6 and "6" in text


def test_stored_hash_matches_the_file_and_the_name_has_the_number(two_hazards, manager_a):
    notice = services.hazard_notify(hazards=list(two_hazards), by=manager_a)
    data = notice.file.open("rb").read()
    assert notice.sha256 == hashlib.sha256(data).hexdigest()
    assert notice.number in notice.file.name
    assert Notice.objects.get(pk=notice.pk).sha256 == notice.sha256


def test_storing_twice_is_refused_and_the_file_is_unchanged(two_hazards, manager_a):
    notice = services.hazard_notify(hazards=list(two_hazards), by=manager_a)
    before = notice.file.open("rb").read()
    name = notice.file.name
    with pytest.raises(DocumentAlreadyStored):
        store_document(notice, render_notice_pdf(notice))
    notice.refresh_from_db()
    assert notice.file.name == name and notice.file.open("rb").read() == before
    assert notice.sha256 == hashlib.sha256(before).hexdigest()


def test_an_existing_file_at_the_path_is_never_overwritten(site_a, manager_a, two_hazards):
    notice = Notice.objects.create(kind=Notice.Kind.HAZARD, number="GZ-TEST-000001", site=site_a, unit=site_a.unit,
                                   addressee="王建国", deadline=today(), issued_by=manager_a)
    notice.hazards.set(two_hazards)
    # A file already sits where the document would go (e.g. left by a rolled-back issue).
    target = notice.file.field.generate_filename(notice, "GZ-TEST-000001.pdf")
    default_storage.save(target, ContentFile(b"older file"))
    store_document(notice, render_notice_pdf(notice))
    assert notice.file.name != target and "GZ-TEST-000001" in notice.file.name
    assert default_storage.open(target).read() == b"older file"
