"""The ledger's xlsx export: every column of the file, the filtered rows only, streamed."""

import datetime
import io

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from hazards import exports
from hazards.lifecycle import Action
from hazards.models import Hazard

from .factories import make_hazard, perform, register, today

S = Hazard.Status
pytestmark = pytest.mark.usefixtures("fast_pdf")


def read(response):
    assert response.streaming, "the export is streamed, not built in memory as one response body"
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def mgr_client(client, manager_a):
    client.force_login(manager_a)
    return client


def test_export_has_every_column_and_the_filtered_rows(mgr_client, site_a, site_b, manager_a, manager_b, category):
    overdue = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category, severity=Hazard.Severity.MAJOR,
                          description="主排水泵单电源 & <双回路>")
    Hazard.objects.filter(pk=overdue.pk).update(deadline=today() - datetime.timedelta(days=4))
    perform(Action.SUPERVISE, Hazard.objects.get(pk=overdue.pk), manager_a)
    Hazard.objects.filter(pk=overdue.pk).update(deadline=today() - datetime.timedelta(days=4))
    for _ in range(3):
        register(site=site_a, by=manager_a, category=category)
    register(site=site_b, by=manager_b, category=category)  # another unit's: never exported

    response = mgr_client.get(reverse("hazards:hazard_export"))
    assert response["Content-Type"] == exports.XLSX_TYPE
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    rows = read(response)
    with translation.override(settings.LANGUAGE_CODE):
        assert rows[0] == exports.headers()
    assert len(rows[0]) == len(exports.COLUMNS) == 38
    assert len(rows) == 1 + 4

    by_number = {row[0]: dict(zip([key for key, _ in exports.COLUMNS], row, strict=True)) for row in rows[1:]}
    row = by_number[overdue.number]
    hazard = Hazard.objects.get(pk=overdue.pk)
    with translation.override(settings.LANGUAGE_CODE):
        assert row["status"] == str(S.RECTIFYING.label) and row["severity"] == str(Hazard.Severity.MAJOR.label)
    assert row["description"] == "主排水泵单电源 & <双回路>"
    assert row["site__code"] == site_a.code and row["site__name"] == site_a.name
    assert row["unit__name"] == site_a.unit.name and row["category__name"] == category.name
    assert row["deadline"].date() == hazard.deadline and row["overdue_days"] == 4
    assert row["five_responsible_person"] == hazard.five_responsible_person
    assert row["plan_goal"] == hazard.plan_goal and float(row["five_funds"]) == float(hazard.five_funds)
    assert row["supervision_count"] == 1 and row["notice_count"] == 2
    assert row["responsible_email"] == hazard.responsible_email
    assert row["notified_at"] is not None and row["closed_at"] is None
    assert row["discovered_by_name"] == (manager_a.get_full_name() or manager_a.username)


def test_export_follows_the_ledger_filters(mgr_client, site_a, manager_a, category):
    major = register(site=site_a, by=manager_a, category=category, severity=Hazard.Severity.MAJOR)
    register(site=site_a, by=manager_a, category=category)
    rows = read(mgr_client.get(reverse("hazards:hazard_export"), {"severity": "major"}))
    assert [r[0] for r in rows[1:]] == [major.number]


def test_export_headers_follow_the_language(mgr_client, site_a, manager_a, category):
    register(site=site_a, by=manager_a, category=category)
    for language, number, overdue in (("en", "Number", "Days overdue"), ("zh-hans", "编号", "超期天数")):
        mgr_client.cookies["django_language"] = language
        rows = read(mgr_client.get(reverse("hazards:hazard_export")))
        assert rows[0][0] == number and overdue in rows[0]


def test_writer_escapes_and_types(tmp_path):
    path = tmp_path / "t.xlsx"
    with exports.XlsxStreamWriter(path, sheet_name="台账", widths=[10, 10]) as writer:
        writer.write_row(["a", "b"], bold=True)
        writer.write_row([" lead & <tag> \x01", datetime.date(2026, 3, 1), 5, None,
                          datetime.datetime(2026, 3, 1, 8, 30), True])
    rows = [list(r) for r in load_workbook(path).active.iter_rows(values_only=True)]
    assert rows[1][0] == " lead & <tag> "
    assert rows[1][1] == datetime.datetime(2026, 3, 1) and rows[1][2] == 5 and rows[1][3] is None
    assert rows[1][4] == datetime.datetime(2026, 3, 1, 8, 30) and rows[1][5] is True
    assert load_workbook(path).active["A1"].font.b
