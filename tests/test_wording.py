"""What people read is words in their language, never the codes underneath (issue 11, fault 8):
the history shows choice labels, the language menu names each language in itself, the English
"five in place" carries its Chinese term, and English documents use English punctuation."""

import datetime
import re

import pytest
from django.db import models
from django.urls import reverse
from django.utils import translation

from audits import services as audit_services
from hazards import services
from hazards.documents import render_notice_pdf
from hazards.models import Hazard, HazardEvent
from hazards.views import timeline_rows
from org import display
from tests.audits.factories import make_standard
from tests.hazards.factories import RiskCategoryFactory, S, make_hazard, register

pytestmark = pytest.mark.django_db
FULL_WIDTH = re.compile(r"[：，。；（）、]")


@pytest.fixture
def category(db):
    return RiskCategoryFactory(code="ELEC", name="电气设备缺陷", score=5)


def _detail(client, user, hazard, language):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client.get(reverse("hazards:hazard_detail", args=[hazard.pk])).content.decode()


def test_the_history_shows_a_changed_severity_by_its_labels(client, site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category)
    services.hazard_update(hazard=hazard, by=manager_a, severity=Hazard.Severity.MAJOR)
    body = _detail(client, manager_a, hazard, "zh-hans")
    assert "一般隐患 → 重大隐患" in body
    assert "general" not in body and "major →" not in body


def _choice_fields(model):
    return [f for f in model._meta.get_fields() if getattr(f, "choices", None) and hasattr(f, "flatchoices")]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_choice_field_of_a_hazard_reads_as_its_label_in_the_history(site_a, manager_a, category, language):
    """Whatever choice field an edit changes (now or in a later version), the history row shows
    labels. Event rows are built here directly: the history keeps what was stored."""
    hazard = register(site=site_a, by=manager_a, category=category)
    fields = _choice_fields(Hazard)
    assert {"severity", "status", "source"} <= {f.name for f in fields}
    changes = {f.name: [f.flatchoices[0][0], f.flatchoices[-1][0]] for f in fields}
    event = HazardEvent(hazard=hazard, action="edit", from_status=hazard.status, to_status=hazard.status,
                        data={"changes": changes})
    with translation.override(language):
        [(_event, details)] = timeline_rows([event])
        shown = dict(details)
        for f in fields:
            first, last = str(f.flatchoices[0][1]), str(f.flatchoices[-1][1])
            assert shown[str(f.verbose_name)] == f"{first} → {last}", f.name


def test_stored_values_in_words():
    with translation.override("zh-hans"):
        assert display.stored_value(Hazard, "severity", "major") == "重大隐患"
        assert display.stored_value(Hazard, "deadline", "2026-11-30") == "2026-11-30"
        assert display.stored_value(Hazard, "deadline", None) == "—"
        assert display.stored_value(Hazard, "renamed_since", "x") == "x"
    boolean = next((f.name for f in Hazard._meta.fields if isinstance(f, models.BooleanField)), None)
    if boolean:
        with translation.override("en"):
            assert display.stored_value(Hazard, boolean, True) == "Yes"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_language_menu_names_each_language_in_itself(client, inspector_a, language):
    client.force_login(inspector_a)
    client.cookies["django_language"] = language
    body = client.get("/").content.decode()
    options = re.findall(r'<option value="(zh-hans|en)"[^>]*>([^<]+)</option>', body)
    assert ("en", "English") in options and ("zh-hans", "简体中文") in options, options
    assert "英语" not in body


def test_five_in_place_carries_its_chinese_term_in_english(client, site_a, manager_a, category):
    hazard = make_hazard(S.REGISTERED, site=site_a, by=manager_a, category=category,
                         severity=Hazard.Severity.MAJOR)
    body = _detail(client, manager_a, hazard, "en")
    assert "Five in place (五落实)" in body
    client.cookies["django_language"] = "en"
    form = client.get(reverse("hazards:hazard_edit", args=[hazard.pk])).content.decode()
    assert "five in place (五落实)" in form.lower()
    assert not re.search(r"five in place(?![ ,(]{1,3}五落实)", form, re.IGNORECASE), "five in place without 五落实"


def test_the_standard_page_heads_its_item_table_as_checklist_items(client, inspector_a):
    standard = make_standard()
    client.force_login(inspector_a)
    client.cookies["django_language"] = "zh-hans"
    body = client.get(reverse("scoring:standard_detail", args=[standard.pk])).content.decode()
    assert '<h2 class="h5">检查项目</h2>' in body


@pytest.fixture
def captured_html(monkeypatch):
    """The HTML each PDF is made from (the PDF itself is not needed to read punctuation)."""
    from org import documents

    pages = []

    class _Result:
        pdf = b"%PDF-1.7"

    def fake_render_html(html, media=()):
        pages.append(html)
        return _Result()

    monkeypatch.setattr(documents, "render_html", fake_render_html)
    return pages


def _visible(html: str) -> str:
    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_english_documents_use_english_punctuation(captured_html, site_a, manager_a, inspector_a, category):
    """The inspection report and the notices in English, for data without any punctuation."""
    from audits.documents import render_report_pdf

    standard = make_standard([("1", "用电安全管理", None, False), ("1.1", "配备持证电工", "10", True)])
    inspection = audit_services.inspection_create(standard=standard, kind="periodic", site=site_a,
                                                  date=datetime.date(2026, 3, 2),
                                                  inspectors=[inspector_a, manager_a], by=inspector_a)
    render_report_pdf(inspection, language="en")
    hazard = register(site=site_a, by=manager_a, category=category)
    notice = services.hazard_notify(hazards=[hazard], by=manager_a, language="en")
    render_notice_pdf(notice)
    assert len(captured_html) >= 2
    for html in captured_html:
        assert not FULL_WIDTH.findall(_visible(html)), FULL_WIDTH.findall(_visible(html))
