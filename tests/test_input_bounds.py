"""Issue 8, faults 7 and 10: the bounds of what users type. Free text has a maximum length in
the form, the model and the import (one limit, org.validators); names are one line; dates are
plausible and in order. Refusals name the field (or the row and column) and save nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from audits import services as audit_services
from audits.forms import InspectionCreateForm, ResultForm
from audits.imports import inspection_import_results
from audits.models import Inspection
from hazards import forms as hazard_forms
from hazards import services
from hazards.models import Hazard, ServiceVisit
from hazards.rules import MAJOR_FIELDS
from org.models import Site
from org.validators import LONG_TEXT_MAX
from scoring.xlsx import SheetImportError
from tests.audits.factories import make_standard
from tests.audits.test_imports import GOOD_ROWS, sheet
from tests.hazards.factories import RiskCategoryFactory, make_hazard, register, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_pdf")]

DAY = datetime.timedelta(days=1)
TOO_LONG = "长" * (LONG_TEXT_MAX + 1)


@pytest.fixture
def fast_pdf(monkeypatch):
    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 " + notice.number.encode())


@pytest.fixture
def category(db):
    return RiskCategoryFactory(code="ELEC", name="电气")


# ------------------------------------------------------------------ lengths

@pytest.mark.parametrize("field", ["description", "required_measures", "basis", "five_measures", "plan_goal"])
def test_a_hazard_text_longer_than_the_limit_is_refused_and_nothing_saved(site_a, inspector_a, category, field):
    # The five in place and the governance plan are kept only for a major hazard (hazards.rules.major_values)
    severity = Hazard.Severity.MAJOR if field in MAJOR_FIELDS else Hazard.Severity.GENERAL
    with pytest.raises(ValidationError) as exc:
        register(site=site_a, by=inspector_a, category=category, severity=severity, **{field: TOO_LONG})
    assert field in exc.value.message_dict
    assert "2000" in " ".join(exc.value.message_dict[field])
    assert not Hazard.objects.exists()
    # exactly the limit is fine, and kept whole
    hazard = register(site=site_a, by=inspector_a, category=category, severity=severity,
                      **{field: "长" * LONG_TEXT_MAX})
    assert getattr(Hazard.objects.get(pk=hazard.pk), field) == "长" * LONG_TEXT_MAX


def test_the_register_form_refuses_long_text_and_tells_the_browser(site_a, category):
    form = hazard_forms.HazardRegisterForm(data={"description": TOO_LONG}, sites=Site.objects.all())
    assert not form.is_valid() and "description" in form.errors
    assert form.fields["description"].widget.attrs["maxlength"] == str(LONG_TEXT_MAX)


@pytest.mark.parametrize("form_class, field", [
    (hazard_forms.ReplyForm, "cause"), (hazard_forms.ReplyForm, "handling"),
    (hazard_forms.ServiceVisitForm, "description"),
    (hazard_forms.ExtensionRequestForm, "reason"), (hazard_forms.ReasonForm, "reason"),
    (hazard_forms.CommentForm, "comment"), (hazard_forms.ReportForm, "comment"), (ResultForm, "problem"),
])
def test_every_action_form_bounds_its_free_text(form_class, field):
    form = form_class(data={field: TOO_LONG})
    form.is_valid()
    assert field in form.errors and "2000" in str(form.errors[field])


def test_a_reply_longer_than_the_limit_is_refused_by_the_service(site_a, manager_a, category):
    hazard = make_hazard(Hazard.Status.RECTIFYING, site=site_a, by=manager_a, category=category)
    with pytest.raises(ValidationError) as exc:
        services.hazard_submit_reply(hazard=hazard, cause=TOO_LONG, handling="已处理", result="handled",
                                     submitted_by_name="王建国", by=manager_a)
    assert "cause" in exc.value.message_dict
    assert Hazard.objects.get(pk=hazard.pk).status == Hazard.Status.RECTIFYING


def test_an_imported_cell_longer_than_the_limit_is_refused_with_row_and_column(site_a):
    standard = make_standard()
    row = list(GOOD_ROWS[1])
    row[5] = TOO_LONG  # 存在问题, column F
    with pytest.raises(SheetImportError) as exc:
        inspection_import_results(file=sheet([GOOD_ROWS[0], row]), filename="r.xlsx", standard=standard,
                                  date=today(), site=site_a)
    [error] = exc.value.errors
    assert (error.row, error.column) == (3, "F") and "2000" in error.message
    assert not Inspection.objects.exists()


def test_a_name_with_a_line_break_is_refused(site_a):
    site_a.name = "甲客户\n} body { background: url(http://127.0.0.1/x) }"
    with pytest.raises(ValidationError) as exc:
        site_a.full_clean()
    assert "one line" in " ".join(exc.value.message_dict["name"])


def test_notice_addressee_is_never_cut(site_a, manager_a, category):
    names = [f"责任人{i:02d}" + "甲" * 50 for i in range(6)]
    hazards = [register(site=site_a, by=manager_a, category=category, responsible_name=name) for name in names]
    notice = services.hazard_notify(hazards=hazards, by=manager_a)
    assert notice.addressee == "、".join(names) and len(notice.addressee) > 200


# ------------------------------------------------------------------ dates

@pytest.mark.parametrize("discovered, message", [
    (datetime.date(1, 1, 1), "on or after"),
    (datetime.date(1999, 12, 31), "on or after"),
    ("tomorrow", "in the future"),
])
def test_implausible_discovery_dates_are_refused(site_a, inspector_a, category, discovered, message):
    if discovered == "tomorrow":
        discovered = today() + DAY
    with pytest.raises(ValidationError) as exc:
        register(site=site_a, by=inspector_a, category=category, discovered_on=discovered)
    assert message in " ".join(exc.value.message_dict["discovered_on"])
    assert not Hazard.objects.exists()


def test_a_deadline_before_discovery_or_decades_ahead_is_refused(site_a, inspector_a, category):
    discovered = today() - 10 * DAY
    with pytest.raises(ValidationError) as exc:
        register(site=site_a, by=inspector_a, category=category, discovered_on=discovered,
                 deadline=discovered - DAY)
    assert "before the hazard was discovered" in " ".join(exc.value.message_dict["deadline"])
    with pytest.raises(ValidationError) as exc:
        register(site=site_a, by=inspector_a, category=category, deadline=datetime.date(9999, 12, 31))
    assert "no later than" in " ".join(exc.value.message_dict["deadline"])
    assert not Hazard.objects.exists()


def test_editing_a_deadline_before_discovery_is_refused(site_a, inspector_a, category):
    hazard = register(site=site_a, by=inspector_a, category=category, discovered_on=today() - 5 * DAY)
    with pytest.raises(ValidationError) as exc:
        services.hazard_update(hazard=hazard, by=inspector_a, deadline=today() - 6 * DAY)
    assert "deadline" in exc.value.message_dict
    assert Hazard.objects.get(pk=hazard.pk).deadline == hazard.deadline


def test_the_register_form_checks_dates_with_clear_messages(site_a, category):
    data = {"site": site_a.pk, "category": category.pk, "severity": "general", "description": "x",
            "discovered_on": (today() + DAY).isoformat(), "deadline": "0001-01-01"}
    form = hazard_forms.HazardRegisterForm(data=data, sites=Site.objects.all())
    assert not form.is_valid()
    assert "in the future" in str(form.errors["discovered_on"])
    assert "on or after" in str(form.errors["deadline"])
    data.update(discovered_on=today().isoformat(), deadline=(today() - DAY).isoformat())
    form = hazard_forms.HazardRegisterForm(data=data, sites=Site.objects.all())
    assert not form.is_valid() and "before the hazard was discovered" in str(form.errors["deadline"])


def test_service_and_report_dates_are_checked(site_a, manager_a, category):
    hazard = make_hazard(Hazard.Status.RECTIFYING, site=site_a, by=manager_a, category=category,
                         discovered_on=today() - 3 * DAY)
    with pytest.raises(ValidationError) as exc:
        services.record_service_visit(hazard=hazard, date=today() - 4 * DAY, description="指导", by=manager_a)
    assert "date" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.hazard_report(hazard=Hazard.objects.get(pk=hazard.pk), addressee="应急管理局",
                               report_date=datetime.date(1, 1, 1), by=manager_a)
    assert "report_date" in exc.value.message_dict
    assert not ServiceVisit.objects.exists()
    form = hazard_forms.ServiceVisitForm(data={"expected_version": 1, "date": "9999-01-01", "description": "x"})
    assert not form.is_valid() and "date" in form.errors
    form = hazard_forms.SuperviseForm(data={"expected_version": 1, "new_deadline": "0001-01-01", "language": "en"})
    assert not form.is_valid() and "on or after" in str(form.errors["new_deadline"])


def test_inspection_dates_are_not_in_the_future_nor_before_2000(site_a, inspector_a):
    standard = make_standard()
    for date, message in ((today() + DAY, "in the future"), (datetime.date(1, 1, 1), "on or after")):
        with pytest.raises(ValidationError) as exc:
            audit_services.inspection_create(standard=standard, kind="periodic", date=date, site=site_a,
                                             inspectors=[], by=inspector_a)
        assert message in " ".join(exc.value.message_dict["date"])
    assert not Inspection.objects.exists()
    form = InspectionCreateForm(data={"site": site_a.pk, "standard": standard.pk, "kind": "periodic",
                                      "date": (today() + DAY).isoformat()}, user=inspector_a)
    assert not form.is_valid() and "in the future" in str(form.errors["date"])
