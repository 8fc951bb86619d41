"""The hazard rules (hazards/rules.py) on boundary data: the expected answers are written out by hand
here, and every reader of a rule (SQL `Q`, Python twin, the ledger filter, the home panel, the
status counts, the export, the detail page's days) must give them. A copy of a rule that drifts by
a day, or a state, fails here."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from core.dates import local_midnight, today_local
from hazards import exports, rules, selectors, views
from hazards.filters import HazardFilter
from hazards.models import Hazard

from .factories import MAJOR_COMPLETE, register

S = Hazard.Status
TODAY = datetime.date(2026, 3, 10)
DAY = datetime.timedelta(days=1)
ALL_STATES = list(S.values)
DEADLINES = [None, TODAY - 2 * DAY, TODAY - DAY, TODAY, TODAY + DAY, TODAY + 3 * DAY, TODAY + 4 * DAY]

# Written out by hand (not taken from hazards.rules).
OPEN = {"registered", "notified", "rectifying", "pending_acceptance", "accepted"}
OWES = {"notified", "rectifying"}


def expected_overdue(status, deadline) -> bool:
    return status in OWES and deadline is not None and deadline <= TODAY - DAY


def expected_due_within(status, deadline, days) -> bool:
    return status in OWES and deadline is not None and TODAY <= deadline <= TODAY + days * DAY


@pytest.fixture
def grid(site_a, manager_a, category):
    """One hazard per (status, deadline) pair. The rules read only status and deadline, so the rows
    are copies of one registered hazard with those two set directly."""
    base = register(site=site_a, by=manager_a, category=category)
    rows = []
    for i, status in enumerate(ALL_STATES):
        for j, deadline in enumerate(DEADLINES):
            rows.append(Hazard(**{f.attname: getattr(base, f.attname) for f in Hazard._meta.concrete_fields
                                  if f.attname not in ("id", "number")},
                               number=f"T-{i}-{j}"))
            rows[-1].status, rows[-1].deadline = status, deadline
    Hazard.objects.filter(pk=base.pk).update(status=S.VOIDED, deadline=None)  # history rows keep it
    Hazard.objects.bulk_create(rows)
    return list(Hazard.objects.select_related("unit"))


def _numbers(queryset) -> set[str]:
    return set(queryset.values_list("number", flat=True))


def test_overdue_sql_python_and_every_reader_agree(grid, manager_a):
    expected = {h.number for h in grid if expected_overdue(h.status, h.deadline)}
    assert len(expected) == 4  # notified and rectifying, one and two days late

    assert _numbers(Hazard.objects.filter(rules.overdue_q(TODAY))) == expected
    assert {h.number for h in grid if rules.is_overdue(h, TODAY)} == expected
    assert {h.number for h in grid if rules.overdue(h.status, h.deadline, TODAY)} == expected
    # The old names other code imports still answer the same.
    assert _numbers(Hazard.objects.filter(selectors.overdue_q(TODAY))) == expected
    from hazards.lifecycle import is_overdue
    assert {h.number for h in grid if is_overdue(h, TODAY)} == expected
    # The ledger's annotation, its filter (yes and no) and its counts.
    annotated = selectors.hazard_list(user=manager_a, today=TODAY)
    assert _numbers(annotated.filter(is_overdue=True)) == expected
    for value, wanted in (("yes", expected), ("no", {h.number for h in grid} - expected)):
        ledger = HazardFilter({"overdue": value}, queryset=Hazard.objects.all(), today=TODAY)
        assert _numbers(ledger.qs) == wanted
    assert selectors.hazard_status_counts(user=manager_a, today=TODAY)["overdue"] == len(expected)
    assert selectors.home_panel(user=manager_a, today=TODAY)["counts"]["overdue"] == len(expected)


def test_days_overdue_in_the_page_the_ledger_and_the_export(grid, manager_a):
    expected = {h.number: (TODAY - h.deadline).days for h in grid if expected_overdue(h.status, h.deadline)}
    assert sorted(set(expected.values())) == [1, 2]
    assert {h.number: views.overdue_days(h, TODAY) for h in grid if views.overdue_days(h, TODAY)} == expected
    assert {h.number: rules.hazard_days_overdue(h, TODAY) for h in grid
            if rules.hazard_days_overdue(h, TODAY) is not None} == expected

    out = io.BytesIO()
    exports.write_xlsx(Hazard.objects.order_by("number"), out, today=TODAY)
    sheet = load_workbook(io.BytesIO(out.getvalue()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    keys = [key for key, _label in exports.COLUMNS]
    number_col, days_col = keys.index("number"), keys.index("overdue_days")
    exported = {r[number_col]: r[days_col] for r in rows[1:] if r[days_col] is not None}
    assert exported == expected

    from hazards import ledger
    values = selectors.hazard_list(user=manager_a, today=TODAY).values(*ledger.ROW_FIELDS)
    html = str(ledger.render_rows(values, today=TODAY, selectable=False))
    assert html.count("hz-overdue-text") == len(expected)


def test_open_sql_python_and_the_ledger_filter_agree(grid):
    expected = {h.number for h in grid if h.status in OPEN}
    assert _numbers(Hazard.objects.filter(rules.open_q())) == expected
    assert {h.number for h in grid if rules.is_open(h.status)} == expected
    assert _numbers(HazardFilter({"status": "open"}, queryset=Hazard.objects.all()).qs) == expected


@pytest.mark.parametrize("days", [0, 1, 3])
def test_due_within_sql_and_python_agree(grid, days):
    expected = {h.number for h in grid if expected_due_within(h.status, h.deadline, days)}
    assert len(expected) == 2 * sum(1 for d in DEADLINES if d and TODAY <= d <= TODAY + days * DAY)
    assert _numbers(Hazard.objects.filter(rules.due_within_q(days, TODAY))) == expected
    assert {h.number for h in grid if rules.is_due_within(h, days, TODAY)} == expected
    # Never both overdue and due.
    assert not expected & _numbers(Hazard.objects.filter(rules.overdue_q(TODAY)))


@pytest.mark.parametrize("days", [(0,), (1, 3), (0, 1, 3, 4)])
def test_due_in_exact_days_sql_and_python_agree(grid, days):
    expected = {h.number for h in grid if h.status in OWES and h.deadline is not None
                and (h.deadline - TODAY).days in days}
    assert expected
    assert _numbers(Hazard.objects.filter(rules.due_in_q(days, TODAY))) == expected
    assert {h.number for h in grid if rules.days_left(h.status, h.deadline, TODAY) in days} == expected


def test_due_within_refuses_negative_days():
    with pytest.raises(ValueError):
        rules.due_within("notified", TODAY, -1, TODAY)
    with pytest.raises(ValueError):
        rules.due_within_q(-1, TODAY)


@pytest.mark.parametrize("utc, today, overdue_days", [
    # Asia/Shanghai is UTC+8: local midnight of 11 March is 16:00 UTC on 10 March.
    (datetime.datetime(2026, 3, 10, 15, 59, 59, tzinfo=datetime.UTC), datetime.date(2026, 3, 10), None),
    (datetime.datetime(2026, 3, 10, 16, 0, 0, tzinfo=datetime.UTC), datetime.date(2026, 3, 11), 1),
])
def test_overdue_starts_at_local_midnight(utc, today, overdue_days, settings, monkeypatch, site_a, manager_a,
                                          category):
    settings.TIME_ZONE = "Asia/Shanghai"
    hazard = register(site=site_a, by=manager_a, category=category)
    Hazard.objects.filter(pk=hazard.pk).update(status=S.RECTIFYING, deadline=TODAY)
    hazard.refresh_from_db()
    monkeypatch.setattr("django.utils.timezone.now", lambda: utc)
    assert today_local() == today
    assert local_midnight(datetime.date(2026, 3, 11)) == datetime.datetime(2026, 3, 10, 16, tzinfo=datetime.UTC)
    # Without a `today`, every form asks the local calendar.
    assert rules.hazard_days_overdue(hazard) == overdue_days
    assert rules.is_overdue(hazard) is (overdue_days is not None)
    assert Hazard.objects.filter(rules.overdue_q(), pk=hazard.pk).exists() is (overdue_days is not None)
    assert selectors.hazard_list(user=manager_a).get(pk=hazard.pk).is_overdue is (overdue_days is not None)


# ---------------------------------------------------------------- ready to notify

BLANKS = ["", " ", "\u3000", "\t\n ", " \u3000 "]
NOT_BLANKS = ["x", "\u00a0", " 王 "]


@pytest.mark.parametrize("value", BLANKS + NOT_BLANKS)
@pytest.mark.parametrize("field", ["responsible_name", "required_measures", "five_measures", "plan_goal"])
@pytest.mark.parametrize("severity", ["general", "major"])
def test_notify_ready_sql_and_python_agree_on_texts(value, field, severity, site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category, severity=severity)
    Hazard.objects.filter(pk=hazard.pk).update(**{field: value})
    hazard.refresh_from_db()
    counts = field.startswith(("five_", "plan_")) is False or severity == "major"
    expected_ready = not (value in BLANKS and counts)
    assert (not rules.notify_missing(hazard)) is expected_ready
    assert Hazard.objects.filter(rules.notify_ready_q(), pk=hazard.pk).exists() is expected_ready


@pytest.mark.parametrize("field, value, ready", [
    ("deadline", None, False), ("five_funds", None, False), ("five_deadline", None, False),
    ("five_funds", 0, True),  # no funds needed is an answer; missing is not
])
def test_notify_ready_sql_and_python_agree_on_other_fields(field, value, ready, site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category, severity="major")
    Hazard.objects.filter(pk=hazard.pk).update(**{field: value})
    hazard.refresh_from_db()
    assert (not rules.notify_missing(hazard)) is ready
    assert Hazard.objects.filter(rules.notify_ready_q(), pk=hazard.pk).exists() is ready
    # The prefix form, from a related model (the site has this one hazard).
    assert type(hazard.site).objects.filter(rules.notify_ready_q(prefix="hazards__"),
                                            pk=hazard.site_id).exists() is ready


def test_major_fields_are_the_five_in_place_and_the_plan():
    # Written out by hand: 五落实 (five) and the governance plan (six).
    assert set(rules.MAJOR_FIELDS) == set(MAJOR_COMPLETE)
    assert len(rules.MAJOR_FIELDS) == 11


def test_every_reader_of_the_major_fields_uses_the_rule():
    from hazards import admin, forms, services

    assert set(forms.MAJOR_FIELDS) == set(rules.MAJOR_FIELDS)
    assert set(forms.HazardFileForm._meta.fields) >= set(rules.MAJOR_FIELDS)
    assert services.MAJOR_FIELDS == set(rules.MAJOR_FIELDS)
    keys = [key for key, _label in exports.COLUMNS]
    assert set(rules.MAJOR_FIELDS) <= set(keys)
    admin_fields = {name for _title, options in admin.HazardAdmin.fieldsets for name in options["fields"]}
    assert set(rules.MAJOR_FIELDS) <= admin_fields


def test_a_general_hazard_keeps_no_major_fields(site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category, severity="general",
                      five_measures="不该保存", plan_goal="不该保存")
    assert hazard.five_measures == "" and hazard.plan_goal == ""
    assert rules.major_values("major", {"plan_goal": "x", "other": 1}) == {"plan_goal": "x"}
