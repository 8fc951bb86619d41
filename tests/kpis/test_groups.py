"""Group assessment: per inspection group and month, overdue work orders cost 0.2 points each, at
most 2; found, due and accepted on time; each figure equals its ledger; scoped; xlsx and PDF."""

import datetime
import io
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audits import services as audit_services
from hazards.models import Hazard
from org.models import OrgUnit
from planning.models import Task
from tests.audits.factories import make_standard
from tests.factories import OrgUnitFactory

from .conftest import at, hand_built

pytestmark = pytest.mark.django_db
S = Hazard.Status
D = datetime.date


@pytest.fixture
def groups(team_a, site_a, manager_a, inspector_a, category):
    """Two groups of team A; group 1 found 12 hazards due in March 2026, 11 of them late."""
    g1 = OrgUnitFactory(code="BA-G1", name="检查一组", kind=OrgUnit.Kind.GROUP, parent=team_a)
    g2 = OrgUnitFactory(code="BA-G2", name="检查二组", kind=OrgUnit.Kind.GROUP, parent=team_a)
    standard = make_standard()
    results = []
    while len(results) < 12:  # one finding per hazard: as many of group 1's inspections as that takes
        inspection = audit_services.inspection_create(standard=standard, kind="periodic", date=D(2026, 3, 2),
                                                      site=site_a, inspectors=[inspector_a], by=inspector_a)
        inspection.group = g1
        inspection.save(update_fields=["group"])
        results += list(inspection.results.all())
    for i in range(12):
        accepted = at(D(2026, 3, 10)) if i == 0 else (at(D(2026, 3, 25)) if i == 1 else None)
        hand_built(site=site_a, category=category, by=manager_a, status=S.ACCEPTED if accepted else S.RECTIFYING,
                   discovered_on=D(2026, 3, 2), deadline=D(2026, 3, 20), notified_at=at(D(2026, 3, 3)),
                   accepted_at=accepted, source=Hazard.Source.INSPECTION, source_result=results[i])
    return g1, g2


def test_deduction_is_capped_and_figures_link_to_their_hazards(client, manager_a, groups):
    client.force_login(manager_a)
    response = client.get(reverse("kpis:groups"), {"month": "2026-03"})
    rows = {row.group.code: row for row in response.context["rows"]}
    g1 = rows["BA-G1"]
    assert (g1.found.value, g1.due.value, g1.on_time.value, g1.late.value) == (12, 12, 1, 11)
    assert g1.deduction == Decimal("2.00") and g1.on_time_rate == Decimal("8.33")
    g2 = rows["BA-G2"]
    assert (g2.late.value, g2.deduction, g2.on_time_rate) == (0, Decimal("0.00"), None)
    for figure in (g1.found, g1.due, g1.on_time, g1.late):
        url = urlsplit(figure.url)
        ledger = client.get(url.path + "?" + url.query)
        assert ledger.context["page"].paginator.count == figure.value, figure.url


def test_other_branches_see_none_of_the_groups(client, manager_b, groups, branch_a):
    client.force_login(manager_b)
    response = client.get(reverse("kpis:groups"), {"month": "2026-03", "unit": branch_a.pk})
    assert response.context["rows"] == []


def test_downloads(client, manager_a, groups):
    client.force_login(manager_a)
    xlsx = client.get(reverse("kpis:groups"), {"month": "2026-03", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    names = [row[0] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert names == ["检查一组", "检查二组"]
    header = [cell.value for cell in sheet[3]]
    deducted = _column(header, "Points deducted", "扣分")
    assert [row[deducted] for row in sheet.iter_rows(min_row=4, values_only=True)] == [Decimal("2.00"), Decimal("0.00")]
    pdf = client.get(reverse("kpis:groups"), {"month": "2026-03", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def _column(header, *names):
    """The column of a heading in either language."""
    return next(i for i, heading in enumerate(header) if heading in names)


def _task(site, group, standard, due, status):
    return Task.objects.create(site=site, unit=site.unit, kind="periodic", standard=standard, due_date=due,
                               window_start=due, window_end=due, group=group, status=status)


def test_tasks_done_against_planned_per_group_and_on_the_dashboard(client, manager_a, manager_b, groups, site_a,
                                                                     site_b, branch_a):
    """Planned = the group's tasks due in the month but the cancelled; done = status done among
    them. Each figure opens the task list of exactly those tasks; other months and units do not count."""
    g1, g2 = groups
    standard = make_standard(name="任务用检查表")
    T = Task.Status
    for due, status in [(D(2026, 3, 5), T.DONE), (D(2026, 3, 9), T.DONE), (D(2026, 3, 12), T.MISSED),
                        (D(2026, 3, 20), T.PLANNED), (D(2026, 3, 28), T.CANCELLED), (D(2026, 4, 1), T.DONE),
                        (D(2026, 2, 28), T.DONE)]:
        _task(site_a, g1, standard, due, status)
    _task(site_b, None, standard, D(2026, 3, 5), T.DONE)  # another branch's
    client.force_login(manager_a)
    response = client.get(reverse("kpis:groups"), {"month": "2026-03"})
    rows = {row.group.code: row for row in response.context["rows"]}
    g1_row, g2_row = rows["BA-G1"], rows["BA-G2"]
    assert (g1_row.tasks_planned.value, g1_row.tasks_done.value, g1_row.tasks_done_rate) == (4, 2, Decimal("50.00"))
    assert (g2_row.tasks_planned.value, g2_row.tasks_done.value, g2_row.tasks_done_rate) == (0, 0, None)
    for figure in (g1_row.tasks_planned, g1_row.tasks_done):
        url = urlsplit(figure.url)
        listed = client.get(url.path + "?" + url.query)
        assert listed.context["page"].paginator.count == figure.value, figure.url
    html = response.content.decode()
    assert g1_row.tasks_planned.url.replace("&", "&amp;") in html
    # the xlsx carries them too
    sheet = load_workbook(io.BytesIO(client.get(reverse("kpis:groups"),
                                                 {"month": "2026-03", "format": "xlsx"}).content)).active
    header = [cell.value for cell in sheet[3]]
    first = next(sheet.iter_rows(min_row=4, values_only=True))
    planned, done = _column(header, "Tasks planned", "计划任务"), _column(header, "Tasks done", "完成任务")
    assert (first[planned], first[done]) == (4, 2)
    # the dashboard: the branch's tasks due in March 2026
    dashboard = client.get(reverse("kpis:dashboard"), {"start": "2026-03-01", "end": "2026-03-31"})
    tasks = dashboard.context["tasks"]
    assert (tasks["planned"].value, tasks["done"].value, tasks["rate"]) == (4, 2, Decimal("50.00"))
    url = urlsplit(tasks["planned"].url)
    assert client.get(url.path + "?" + url.query).context["page"].paginator.count == 4
    client.force_login(manager_b)
    other = client.get(reverse("kpis:dashboard"), {"start": "2026-03-01", "end": "2026-03-31"}).context["tasks"]
    assert (other["planned"].value, other["done"].value) == (1, 1)


def test_a_site_moved_away_takes_its_figures_out_of_the_old_branchs_view(client, manager_a, groups, site_a, site_b):
    """The figures of a group count only what the user sees, as the ledger and the task list they
    link to: after the site moves to another branch, the old branch's manager sees 0 and 0 rows."""
    g1, _g2 = groups
    _task(site_a, g1, make_standard(name="任务用"), D(2026, 3, 15), Task.Status.PLANNED)
    Hazard.objects.filter(site=site_a).update(unit=site_b.unit)  # the move re-homes the site's records
    Task.objects.filter(site=site_a).update(unit=site_b.unit)
    from audits.models import Inspection
    Inspection.objects.filter(site=site_a).update(unit=site_b.unit)
    client.force_login(manager_a)
    row = next(r for r in client.get(reverse("kpis:groups"), {"month": "2026-03"}).context["rows"]
               if r.group == g1)
    assert (row.found.value, row.due.value, row.late.value, row.inspections, row.tasks_planned.value) == (0, 0, 0, 0, 0)
    for figure in (row.found, row.due, row.tasks_planned):
        url = urlsplit(figure.url)
        assert client.get(url.path + "?" + url.query).context["page"].paginator.count == figure.value


def test_a_refused_unit_keeps_the_month_and_no_file_is_made_of_other_figures(client, manager_a, manager_b, groups,
                                                                           branch_a):
    client.force_login(manager_b)
    page = client.get(reverse("kpis:groups"), {"month": "2026-03", "unit": branch_a.pk})
    assert page.context["form"].errors and page.context["month"] == D(2026, 3, 1)
    download = client.get(reverse("kpis:groups"), {"month": "2026-03", "unit": branch_a.pk, "format": "xlsx"})
    assert download.status_code == 302 and "format" not in download["Location"]
    client.force_login(manager_a)
    client.cookies["django_language"] = "en"
    sheet = load_workbook(io.BytesIO(client.get(reverse("kpis:groups"), {"month": "2026-03", "format": "xlsx"})
                                     .content)).active
    assert sheet.cell(1, 1).value.startswith("Group assessment") and "Points deducted" in [c.value for c in sheet[3]]
    client.cookies["django_language"] = "zh-hans"
    sheet = load_workbook(io.BytesIO(client.get(reverse("kpis:groups"), {"month": "2026-03", "format": "xlsx"})
                                     .content)).active
    assert "扣分" in [c.value for c in sheet[3]]
