"""Statistics reports: the figures (hand-built data), the `hazard_statistics` command in JSON
(numbers, rates in percent to 2 places, null without a denominator), xlsx and PDF (embedded CJK
font, the principal's signature line), the drafts and reminders of beat, signing, scoping."""

import datetime
import io
import json
import subprocess
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from hazards.models import Hazard
from kpis import reports, services
from kpis.models import StatisticsReport
from notifications.models import Kind, Message
from tests.hazards.factories import MAJOR_COMPLETE

from .conftest import at, hand_built

pytestmark = pytest.mark.django_db
S = Hazard.Status
D = datetime.date


@pytest.fixture
def quarter(site_a, site_b, manager_a, manager_b, category):
    major = {**MAJOR_COMPLETE, "five_deadline": D(2026, 4, 1), "severity": Hazard.Severity.MAJOR}
    hand_built(site=site_a, category=category, by=manager_a, status=S.CLOSED, discovered_on=D(2026, 1, 10),
               deadline=D(2026, 1, 24), notified_at=at(D(2026, 1, 11)), accepted_at=at(D(2026, 1, 20)),
               closed_at=at(D(2026, 1, 30)))
    hand_built(site=site_a, category=category, by=manager_a, status=S.RECTIFYING, discovered_on=D(2026, 2, 1),
               deadline=D(2026, 2, 15), notified_at=at(D(2026, 2, 2)), reports=1, **major)
    hand_built(site=site_a, category=category, by=manager_a, status=S.REGISTERED, discovered_on=D(2026, 3, 5),
               deadline=D(2026, 3, 19), responsible_name="")
    hand_built(site=site_b, category=category, by=manager_b, status=S.REGISTERED, discovered_on=D(2026, 3, 5))


def test_statistics_figures_of_a_quarter(quarter, branch_a):
    data = reports.statistics_data(unit=branch_a, start=D(2026, 1, 1), end=D(2026, 3, 31), today=D(2026, 4, 2))
    assert (data["found"], data["rectified"], data["open"], data["overdue"]) == (3, 1, 2, 1)
    assert data["by_severity"]["major"] == {"found": 1, "rectified": 0, "open": 1, "overdue": 1}
    assert data["kpis"]["elimination_rate"] == {"numerator": 1, "base": 3, "rate": 33.33}
    assert data["kpis"]["reporting_rate"] == {"numerator": 1, "base": 1, "rate": 100.0}
    assert data["days_to_close"] == {"closed": 1, "average": 20.0, "p90": 20}
    [major] = data["major_hazards"]
    assert major["five_in_place"] and major["reported"] and major["overdue"] and major["status"] == "rectifying"


def test_command_prints_one_json_object_with_every_kpi(quarter, capsys):
    call_command("hazard_statistics", "--unit", "BA", "--from", "2026-01-01", "--to", "2026-03-31")
    data = json.loads(capsys.readouterr().out)
    assert set(data["kpis"]) == {"filing_rate", "elimination_rate", "monitoring_rate", "completion_rate",
                                 "overdue_rate", "notification_rate", "service_rate", "supervision_rate",
                                 "reporting_rate"}
    assert data["kpis"]["filing_rate"] == {"numerator": 2, "base": 3, "rate": 66.67}
    assert data["found"] == 3 and data["unit"] == {"code": "BA", "name": "甲分公司"}


def test_command_gives_null_rates_for_an_empty_period(quarter, capsys):
    call_command("hazard_statistics", "--unit", "BA", "--from", "2020-01-01", "--to", "2020-03-31", "--format", "json")
    text = capsys.readouterr().out
    data = json.loads(text)
    assert {k: v["rate"] for k, v in data["kpis"].items()} == dict.fromkeys(data["kpis"])
    assert '"rate": null' in text and data["days_to_close"]["p90"] is None


@pytest.mark.parametrize(("args", "message"), [
    (["--unit", "NOPE", "--from", "2026-01-01", "--to", "2026-03-31"], "no org unit"),
    (["--unit", "BA", "--from", "2026-13-01", "--to", "2026-03-31"], "--from .2026-13-01.: give a day as YYYY-MM-DD"),
    (["--unit", "BA", "--from", "2026-04-01", "--to", "2026-03-31"], "must not be after"),
])
def test_command_refuses_bad_arguments(quarter, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("hazard_statistics", *args)


def test_command_writes_the_workbook(quarter, tmp_path):
    path = tmp_path / "q1.xlsx"
    call_command("hazard_statistics", "--unit", "BA", "--from", "2026-01-01", "--to", "2026-03-31",
                 "--format", "xlsx", "--output", str(path), "--lang", "zh-hans")
    workbook = load_workbook(path)
    assert workbook.sheetnames[0] == "总结"
    summary = workbook.worksheets[0]
    values = [row for row in summary.iter_rows(values_only=True)]
    assert values[0][0] == "甲分公司 隐患排查治理统计（2026-01-01 至 2026-03-31）"
    [elimination] = [row for row in values if row[0] == "隐患消除率"]
    assert elimination[1:3] == (1, 3) and Decimal(str(elimination[3])) == Decimal("33.33") and elimination[4] == 100
    assert any(row[0] == "主要负责人（签字）" for row in values)
    majors = workbook.worksheets[2]
    assert majors.max_row == 2 and majors.cell(2, 3).data_type == "s"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_command_writes_the_pdf_with_an_embedded_cjk_font(quarter, tmp_path, language):
    path = tmp_path / "q1.pdf"
    call_command("hazard_statistics", "--unit", "BA", "--from", "2026-01-01", "--to", "2026-03-31",
                 "--format", "pdf", "--output", str(path), "--lang", language)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "甲分公司" in text and "33.33" in text
    assert ("主要负责人（签字）" if language == "zh-hans" else "Principal (signature)") in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts


def test_beat_drafts_the_last_quarter_and_year_and_reminds_once_a_day(quarter, company, branch_a, branch_b,
                                                                     leader_a, manager_a):
    result = services.statistics_reports_run(today=D(2027, 1, 9))
    # Company and two branches: the fourth quarter and the year 2026 each.
    assert result["drafted"] == 6
    report = StatisticsReport.objects.get(unit=branch_a, kind="quarter")
    assert (report.period_start, report.period_end, report.due_on) == (D(2026, 10, 1), D(2026, 12, 31),
                                                                       D(2027, 1, 15))
    assert StatisticsReport.objects.get(unit=branch_a, kind="year").due_on == D(2027, 1, 31)
    # Due within 7 days (15 January): the branches' leaders and managers are reminded in the application.
    reminded = Message.objects.filter(kind=Kind.STATISTICS_DUE)
    assert set(reminded.values_list("recipient_user__username", flat=True)) == {"lead_a", "mgr_a", "mgr_b"}
    again = services.statistics_reports_run(today=D(2027, 1, 9))
    assert again == {"drafted": 0, "reminded": 0}
    # The next day, one more reminder each.
    assert services.statistics_reports_run(today=D(2027, 1, 10))["reminded"] == 3


def test_report_pages_are_scoped_and_signing_is_recorded(client, quarter, branch_a, manager_a, manager_b,
                                                        inspector_a):
    report = services.statistics_report_draft(unit=branch_a, kind="quarter", start=D(2026, 1, 1),
                                              end=D(2026, 3, 31))
    client.force_login(manager_b)
    assert client.get(reverse("kpis:report_detail", args=[report.pk])).status_code == 404
    assert client.get(reverse("kpis:report_xlsx", args=[report.pk])).status_code == 404
    assert client.post(reverse("kpis:report_sign", args=[report.pk]), {"principal": "X"}).status_code == 404
    client.force_login(inspector_a)
    assert client.post(reverse("kpis:report_sign", args=[report.pk]), {"principal": "X"}).status_code == 404
    client.force_login(manager_a)
    page = client.get(reverse("kpis:report_detail", args=[report.pk]))
    assert page.status_code == 200 and "sign-form" in page.content.decode()
    xlsx = client.get(reverse("kpis:report_xlsx", args=[report.pk]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(xlsx.content)).worksheets[0].max_row > 10
    client.post(reverse("kpis:report_sign", args=[report.pk]), {"principal": "张总"})
    report.refresh_from_db()
    assert (report.status, report.signed_by_name, report.signed_by) == ("signed", "张总", manager_a)
    # Signed once: a second signature is refused, the first stays.
    client.post(reverse("kpis:report_sign", args=[report.pk]), {"principal": "李总"})
    report.refresh_from_db()
    assert report.signed_by_name == "张总"
