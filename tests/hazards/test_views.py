"""The hazard pages: ledger filters and sorting, constant query counts, scoping, every action form
(happy path, refusal shown in words, "changed meanwhile" keeping the user's input)."""

import datetime
import html
import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

from audits.models import Inspection, InspectionResult
from hazards import lifecycle, services
from hazards.lifecycle import Action, ActionRefused
from hazards.models import (
    AuthorityReport,
    ExtensionRequest,
    Hazard,
    HazardEvent,
    HazardPhoto,
    Notice,
    ServiceVisit,
    WorkOrderReply,
)
from hazards.views import CHANGED_MEANWHILE, EDIT_CHANGED_MEANWHILE
from org.models import Role
from org.uploads import PHOTO
from scoring.models import Standard, StandardItem
from tests.factories import SiteFactory
from tests.helpers import assert_looks_missing

from .factories import image_upload, make_hazard, perform, reach, register, today

S = Hazard.Status
pytestmark = pytest.mark.usefixtures("fast_pdf")


def numbers_in(response) -> list[str]:
    return re.findall(r'<tr class="[^"]*" data-number="([^"]+)"', response.content.decode())


def shown(message) -> str:
    """The message as the page shows it: in the default language of a request without preferences."""
    with translation.override(settings.LANGUAGE_CODE):
        return html.escape(str(message))


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


def make_overdue(hazard, by_days=5) -> Hazard:
    Hazard.objects.filter(pk=hazard.pk).update(deadline=days(-by_days))
    return Hazard.objects.get(pk=hazard.pk)


def make_inspection_with_problems(site, by, problems=(("2.1.1", "配电室未设挡鼠板", "加装挡鼠板"),
                                                     ("2.1.2", "绝缘手套超期未试验", "送检绝缘手套"))):
    """A submitted inspection of `site` whose results carry problems (built through the ORM: the
    audits services are another engineer's)."""
    standard = Standard.objects.create(name="测试标准", version="1", status=Standard.Status.ACTIVE)
    inspection = Inspection.objects.create(number=f"JC-{today().year}-{Inspection.objects.count() + 1:05d}",
                                           standard=standard, site=site, unit=site.unit, date=today(),
                                           status=Inspection.Status.SUBMITTED, created_by=by)
    for code, problem, measure in problems:
        item = StandardItem.objects.create(standard=standard, code=code, sort_key=StandardItem.sort_key_for(code),
                                           depth=code.count("."), title=f"检查项目 {code}", points=2)
        InspectionResult.objects.create(inspection=inspection, item=item, earned=0, problem=problem, measure=measure)
    return inspection


@pytest.fixture
def mgr_client(client, manager_a):
    client.force_login(manager_a)
    return client


@pytest.fixture
def site_a2(branch_a):
    return SiteFactory(unit=branch_a, name="甲二客户", code="A2")


@pytest.fixture
def ledger(site_a, site_a2, site_b, manager_a, manager_b, category, other_category):
    """Four hazards of branch A in distinct states, and one of branch B that A must never see."""
    overdue = make_overdue(make_hazard(S.NOTIFIED, site=site_a, by=manager_a, category=category,
                                       description="接地线松动 overdue", location="1 号配电室"))
    major = register(site=site_a2, by=manager_a, category=other_category, severity=Hazard.Severity.MAJOR,
                     description="主排水泵单电源", discovered_on=days(-40), deadline=days(30), location="井下泵房")
    closed = make_hazard(S.CLOSED, site=site_a, by=manager_a, category=category, description="电缆沟盖板缺失",
                         discovered_on=days(-10), deadline=days(5))
    rectifying = make_hazard(S.RECTIFYING, site=site_a2, by=manager_a, category=category,
                             description="消防通道堵塞", deadline=days(60))
    other = make_hazard(S.REGISTERED, site=site_b, by=manager_b, category=category, description="乙单位隐患")
    return {"overdue": overdue, "major": major, "closed": closed, "rectifying": rectifying, "other": other}


# ---------------------------------------------------------------- ledger


def test_ledger_lists_only_the_users_units(mgr_client, ledger):
    response = mgr_client.get(reverse("hazards:hazard_list"))
    assert response.status_code == 200
    shown = set(numbers_in(response))
    assert shown == {ledger[k].number for k in ("overdue", "major", "closed", "rectifying")}
    assert ledger["other"].number not in response.content.decode()


def test_ledger_flags_major_hazards_at_tablet_width(mgr_client, ledger):
    body = mgr_client.get(reverse("hazards:hazard_list")).content.decode()
    rows = {m.group(1): m.group(2) for m in re.finditer(r'data-number="([^"]+)">(.*?)</tr>', body, re.S)}
    assert "hz-major" in rows[ledger["major"].number]
    assert "hz-major" not in rows[ledger["rectifying"].number]


def test_ledger_marks_overdue_in_red_with_days(mgr_client, ledger):
    body = mgr_client.get(reverse("hazards:hazard_list")).content.decode()
    row = re.search(rf'<tr class="hz-overdue" data-number="{ledger["overdue"].number}">.*?</tr>', body, re.S)
    assert row, "the overdue hazard's row is highlighted"
    assert "5" in row.group(0) and "hz-overdue-text" in row.group(0)
    assert body.count('class="hz-overdue"') == 1
    assert 'data-status="notified"' in row.group(0)


@pytest.mark.parametrize("params, expected", [
    ({"status": "rectifying"}, {"rectifying"}),
    ({"severity": "major"}, {"major"}),
    ({"category": "OTHER"}, {"major"}),
    ({"unit": "team_a"}, {"overdue", "closed"}),
    ({"site": "site_a2"}, {"major", "rectifying"}),
    ({"overdue": "yes"}, {"overdue"}),
    ({"overdue": "no"}, {"major", "closed", "rectifying"}),
    ({"deadline_from": 29, "deadline_to": 31}, {"major"}),
    ({"deadline_to": 0}, {"overdue"}),
    ({"discovered_from": -41, "discovered_to": -39}, {"major"}),
    ({"discovered_from": -1}, {"overdue", "rectifying"}),
    ({"q": "排水泵"}, {"major"}),
    ({"q": "泵房"}, {"major"}),
    ({"q": "甲二"}, {"major", "rectifying"}),
    ({"q": "NUMBER:closed"}, {"closed"}),
    ({"status": "rectifying", "site": "site_a2"}, {"rectifying"}),
])
def test_each_filter(mgr_client, ledger, params, expected, team_a, site_a2, category, other_category, request):
    query = {}
    for key, value in params.items():
        if key == "category":
            value = other_category.pk if value == "OTHER" else category.pk
        elif key in ("unit", "site"):
            value = request.getfixturevalue(value).pk
        elif key.startswith(("deadline", "discovered")):
            value = days(value).isoformat()
        elif key == "q" and value.startswith("NUMBER:"):
            value = ledger[value.split(":")[1]].number
        query[key] = value
    response = mgr_client.get(reverse("hazards:hazard_list"), query)
    assert response.status_code == 200
    assert set(numbers_in(response)) == {ledger[k].number for k in expected}


def test_a_unit_outside_the_scope_is_refused_not_ignored(mgr_client, ledger, branch_b):
    response = mgr_client.get(reverse("hazards:hazard_list"), {"unit": branch_b.pk})
    assert numbers_in(response) == []
    assert "is-invalid" in response.content.decode() or "text-danger" in response.content.decode()


@pytest.mark.parametrize("key, field", [("number", "number"), ("discovered_on", "discovered_on"),
                                        ("deadline", "deadline"), ("status", "status"), ("severity", "severity"),
                                        ("site", "site__code")])
@pytest.mark.parametrize("descending", [False, True])
def test_sorting_by_each_offered_field(mgr_client, ledger, key, field, descending, manager_a):
    ordering = f"-{key}" if descending else key
    response = mgr_client.get(reverse("hazards:hazard_list"), {"ordering": ordering})
    expected = list(Hazard.objects.filter(unit__path__startswith=manager_a.membership.unit.path)
                    .order_by(f"-{field}" if descending else field, "-id" if descending else "id")
                    .values_list("number", flat=True))
    assert numbers_in(response) == expected
    assert len(expected) == 4


def _ledger_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_ledger_query_count_is_constant(mgr_client, site_a, manager_a, category, django_assert_num_queries):
    url = reverse("hazards:hazard_list") + "?severity=general&ordering=-deadline"
    register(site=site_a, by=manager_a, category=category)
    few = _ledger_queries(mgr_client, url)
    for _ in range(12):
        reach(register(site=site_a, by=manager_a, category=category), S.NOTIFIED, by=manager_a)
    many = _ledger_queries(mgr_client, url)
    assert few == many
    # session, user with membership and unit; count; page; category and unit choices (sites have no
    # drop-down).
    with django_assert_num_queries(6):
        mgr_client.get(url)


def test_ledger_page_size_and_pagination(mgr_client, site_a, manager_a, category, settings):
    settings.PAGE_SIZE = 3
    for _ in range(7):
        register(site=site_a, by=manager_a, category=category)
    first = numbers_in(mgr_client.get(reverse("hazards:hazard_list"), {"ordering": "number"}))
    third = numbers_in(mgr_client.get(reverse("hazards:hazard_list"), {"ordering": "number", "page": 3}))
    assert len(first) == 3 and len(third) == 1
    assert first[0].endswith("000001") and third[0].endswith("000007")


def test_ledger_offers_register_and_notify_selected(mgr_client, site_a, manager_a, category, client, leader_a):
    h1, h2 = register(site=site_a, by=manager_a, category=category), register(site=site_a, by=manager_a,
                                                                              category=category)
    body = mgr_client.get(reverse("hazards:hazard_list"), {"site": site_a.pk}).content.decode()
    assert 'id="register-hazard"' in body and 'id="notify-selected"' in body
    assert f'name="hazards" value="{h1.pk}"' in body and f'name="hazards" value="{h2.pk}"' in body
    client.force_login(leader_a)
    body = client.get(reverse("hazards:hazard_list"), {"site": site_a.pk}).content.decode()
    assert 'id="register-hazard"' not in body and 'id="notify-selected"' not in body


# ---------------------------------------------------------------- detail


def test_detail_shows_the_file_documents_and_history(mgr_client, site_a, manager_a, category):
    hazard = make_hazard(S.ACCEPTED, site=site_a, by=manager_a, category=category, severity=Hazard.Severity.MAJOR,
                         photos=[image_upload()])
    body = mgr_client.get(reverse("hazards:hazard_detail", args=[hazard.pk])).content.decode()
    notice = hazard.notices.get()
    assert reverse("hazards:notice_file", args=[notice.pk]) in body
    assert 'id="major-card"' in body and "李矿长" in body
    assert reverse("hazards:photo_thumb", args=[hazard.photos.get().pk]) in body
    assert body.count('<li data-action=') == HazardEvent.objects.filter(hazard=hazard).count() == 5
    for action in ("register", "notify", "acknowledge", "submit_reply", "accept"):
        assert f'data-action="{action}"' in body
    assert 'data-status="accepted"' in body
    # Only the manager's possible actions now: close, void, add a photo; nothing else.
    buttons = re.findall(r'<a class="btn btn-sm[^"]*"\s+href="[^"]*" data-action="([a-z_]+)"', body)
    assert buttons == [t.action for t in lifecycle.allowed_actions(hazard, manager_a)]
    assert buttons == ["close", "void", "add_photo"]


def test_detail_shows_no_buttons_to_a_leader(client, leader_a, site_a, manager_a, category):
    hazard = make_hazard(S.ACCEPTED, site=site_a, by=manager_a, category=category)
    client.force_login(leader_a)
    body = client.get(reverse("hazards:hazard_detail", args=[hazard.pk])).content.decode()
    assert 'id="no-actions"' in body and 'data-action="close"' not in body


def test_detail_explains_what_is_missing_before_notifying(mgr_client, site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category, responsible_name="", deadline=None)
    hazard = Hazard.objects.get(pk=hazard.pk)
    Hazard.objects.filter(pk=hazard.pk).update(deadline=None)
    body = mgr_client.get(reverse("hazards:hazard_detail", args=[hazard.pk])).content.decode()
    assert 'id="notify-missing"' in body
    assert 'data-action="notify"' not in body


def _detail_queries(client, hazard) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("hazards:hazard_detail", args=[hazard.pk])).status_code == 200
    return len(ctx.captured_queries)


def _grow(hazard, user):
    """One more of everything the detail page lists: service, photo, report, reply + rejection."""
    for action in (Action.SERVICE_VISIT, Action.ADD_PHOTO, Action.REPORT, Action.SUBMIT_REPLY, Action.REJECT):
        perform(action, Hazard.objects.get(pk=hazard.pk), user)


def test_detail_query_count_is_constant(mgr_client, site_a, manager_a, category, django_assert_num_queries):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    _grow(hazard, manager_a)
    few = _detail_queries(mgr_client, hazard)
    for _ in range(4):
        _grow(hazard, manager_a)
    assert HazardEvent.objects.filter(hazard=hazard).count() == 3 + 5 * 5
    assert _detail_queries(mgr_client, hazard) == few
    # session, user with membership and unit; the hazard; photos, events, notices, replies + their photos,
    # extensions, services, acceptances, reports + their authors, whitelist entries; the party's links
    # to the notices and those notices' hazards (portal, through hazards.hooks.hazard_panels).
    with django_assert_num_queries(16):
        mgr_client.get(reverse("hazards:hazard_detail", args=[hazard.pk]))


# ---------------------------------------------------------------- scoping


def test_other_units_hazards_and_files_look_missing(mgr_client, ledger, manager_b):
    other = reach(ledger["other"], S.RECTIFYING, by=manager_b)
    perform(Action.ADD_PHOTO, other, manager_b)
    perform(Action.REPORT, Hazard.objects.get(pk=other.pk), manager_b)
    notice = other.notices.get()
    photo = other.photos.get()
    report = other.reports.get()
    missing = 999999
    pairs = [
        ("hazards:hazard_detail", [other.pk], [missing]),
        ("hazards:hazard_edit", [other.pk], [missing]),
        ("hazards:hazard_action", [other.pk, "service"], [missing, "service"]),
        ("hazards:notice_file", [notice.pk], [missing]),
        ("hazards:photo_file", [photo.pk], [missing]),
        ("hazards:photo_thumb", [photo.pk], [missing]),
        ("hazards:report_file", [report.pk], [missing]),
        ("hazards:site_contact", [other.site_id], [missing]),
    ]
    for name, forbidden, absent in pairs:
        assert_looks_missing(mgr_client, reverse(name, args=forbidden), reverse(name, args=absent))
    # A POST to another unit's hazard changes nothing.
    response = mgr_client.post(reverse("hazards:hazard_action", args=[other.pk, "void"]),
                               {"expected_version": other.version, "reason": "x"})
    assert response.status_code == 404
    assert Hazard.objects.get(pk=other.pk).status == S.RECTIFYING


def test_notice_document_is_served_through_the_scoped_view(mgr_client, site_a, manager_a, category, client):
    hazard = make_hazard(S.NOTIFIED, site=site_a, by=manager_a, category=category)
    notice = hazard.notices.get()
    response = mgr_client.get(reverse("hazards:notice_file", args=[notice.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == notice.file.open("rb").read()
    client.logout()
    assert client.get(reverse("hazards:notice_file", args=[notice.pk])).status_code == 302  # to the login


# ---------------------------------------------------------------- register, edit, notify, findings


def test_register_form_for_a_tablet_camera(mgr_client, site_a):
    body = mgr_client.get(reverse("hazards:hazard_create"), {"site": site_a.pk}).content.decode()
    # The picker offers exactly the types the check accepts (org.uploads.PHOTO), from the camera.
    assert f'accept="{PHOTO.accept_attr}"' in body and 'capture="environment"' in body and "multiple" in body
    assert site_a.contact_email in body  # prefilled from the site's contact
    assert 'id="major-fields"' in body


def test_register_a_major_hazard_with_photos(mgr_client, site_a, category, manager_a):
    data = {
        "site": site_a.pk, "category": category.pk, "severity": "major", "location": "泵房",
        "description": "主排水泵单电源", "basis": "煤矿安全规程", "discovered_on": today().isoformat(),
        "responsible_name": "王建国", "responsible_email": "w@example.com", "responsible_phone": "1",
        "required_measures": "双回路改造", "deadline": days(20).isoformat(),
        "five_responsible_person": "李矿长", "five_funds": "1000.00", "plan_goal": "消除单电源",
        "photos": [image_upload("a.png"), image_upload("b.png")],
    }
    response = mgr_client.post(reverse("hazards:hazard_create"), data)
    hazard = Hazard.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("hazards:hazard_detail", args=[hazard.pk])
    assert hazard.severity == "major" and hazard.five_responsible_person == "李矿长"
    assert hazard.plan_goal == "消除单电源"
    assert hazard.photos.filter(kind=HazardPhoto.Kind.BEFORE).count() == 2
    assert hazard.events.get().action == Action.REGISTER


def test_register_refused_for_a_leader_with_the_reason(client, leader_a, site_a, category):
    client.force_login(leader_a)
    response = client.post(reverse("hazards:hazard_create"), {
        "site": site_a.pk, "category": category.pk, "severity": "general", "description": "x",
        "discovered_on": today().isoformat()})
    assert response.status_code == 200
    with pytest.raises(ActionRefused) as refused:
        lifecycle.check_register(site_a, leader_a)
    assert shown(refused.value.message) in response.content.decode()
    assert not Hazard.objects.exists()


def test_register_cannot_pick_another_units_site(mgr_client, site_b, category):
    response = mgr_client.post(reverse("hazards:hazard_create"), {
        "site": site_b.pk, "category": category.pk, "severity": "general", "description": "x",
        "discovered_on": today().isoformat()})
    assert response.status_code == 200 and not Hazard.objects.exists()
    assert response.context["form"].errors["site"]


def test_site_contact_fill(mgr_client, site_a):
    data = mgr_client.get(reverse("hazards:site_contact", args=[site_a.pk])).json()
    assert data == {"name": site_a.contact_name, "email": site_a.contact_email, "phone": site_a.contact_phone}


def test_edit_the_file(mgr_client, site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category)
    form = mgr_client.get(reverse("hazards:hazard_edit", args=[hazard.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update({"category": category.pk, "location": "2 号配电室", "expected_version": hazard.version,
                 "discovered_on": hazard.discovered_on.isoformat(), "deadline": hazard.deadline.isoformat()})
    response = mgr_client.post(reverse("hazards:hazard_edit", args=[hazard.pk]), data)
    assert response.status_code == 302
    assert Hazard.objects.get(pk=hazard.pk).location == "2 号配电室"
    assert HazardEvent.objects.filter(hazard=hazard, action=Action.EDIT).count() == 1
    # The same form again carries a stale version now.
    data["location"] = "3 号配电室"
    response = mgr_client.post(reverse("hazards:hazard_edit", args=[hazard.pk]), data)
    # The edit page's own words: the current file with this user's changes kept (hazards.conflicts).
    assert response.status_code == 409 and shown(EDIT_CHANGED_MEANWHILE) in response.content.decode()
    assert "3 号配电室" in response.content.decode()
    assert Hazard.objects.get(pk=hazard.pk).location == "2 号配电室"


def test_notify_several_hazards_of_one_site(mgr_client, site_a, manager_a, category):
    h1, h2 = register(site=site_a, by=manager_a, category=category), register(site=site_a, by=manager_a,
                                                                              category=category)
    page = mgr_client.get(reverse("hazards:notify"), {"site": site_a.pk, "hazards": [h1.pk, h2.pk]})
    assert page.status_code == 200 and 'id="notify-submit"' in page.content.decode()
    response = mgr_client.post(reverse("hazards:notify"), {
        "site": site_a.pk, "hazards": [h1.pk, h2.pk], "language": "en",
        f"version_{h1.pk}": h1.version, f"version_{h2.pk}": h2.version})
    assert response.status_code == 302
    notice = Notice.objects.get()
    assert set(notice.hazards.values_list("pk", flat=True)) == {h1.pk, h2.pk}
    assert notice.language == "en"
    assert set(Hazard.objects.values_list("status", flat=True)) == {S.NOTIFIED}


def test_notify_refused_shows_what_is_missing(mgr_client, site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category, required_measures="")
    response = mgr_client.post(reverse("hazards:notify"), {
        "site": site_a.pk, "hazards": [hazard.pk], "language": "zh-hans", f"version_{hazard.pk}": hazard.version})
    assert response.status_code == 409
    with pytest.raises(ActionRefused) as refused:
        lifecycle.check(hazard, Action.NOTIFY, manager_a)
    assert shown(refused.value.message) in response.content.decode()
    assert not Notice.objects.exists() and Hazard.objects.get().status == S.REGISTERED


def test_notify_stale_version(mgr_client, site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category)
    stale = hazard.version
    perform(Action.EDIT, hazard, manager_a)
    response = mgr_client.post(reverse("hazards:notify"), {
        "site": site_a.pk, "hazards": [hazard.pk], "language": "zh-hans", f"version_{hazard.pk}": stale})
    assert response.status_code == 409 and shown(CHANGED_MEANWHILE) in response.content.decode()
    assert f'name="version_{hazard.pk}" value="{stale + 1}"' in response.content.decode()
    assert not Notice.objects.exists()


def test_create_hazards_from_inspection_findings(mgr_client, site_a, manager_a, category, other_category):
    inspection = make_inspection_with_problems(site_a, manager_a)
    url = reverse("hazards:create_from_inspection", args=[inspection.pk])
    assert mgr_client.get(url).status_code == 405
    response = mgr_client.post(url, {"category": category.pk})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('hazards:hazard_list')}?inspection={inspection.pk}"
    hazards = Hazard.objects.filter(source_result__inspection=inspection)
    assert hazards.count() == 2 and {h.category_id for h in hazards} == {category.pk}
    listed = numbers_in(mgr_client.get(response["Location"]))
    assert sorted(listed) == sorted(hazards.values_list("number", flat=True))
    # Never twice.
    mgr_client.post(url)
    assert Hazard.objects.count() == 2


def test_create_from_another_units_inspection_is_404(mgr_client, site_b, manager_b):
    inspection = make_inspection_with_problems(site_b, manager_b)
    assert mgr_client.post(reverse("hazards:create_from_inspection", args=[inspection.pk])).status_code == 404
    assert not Hazard.objects.exists()


# ---------------------------------------------------------------- action forms


def _setup(action, site, user, category):
    """A hazard in a state where `action` is allowed, and the form data of a plausible input."""
    start = {
        Action.ACKNOWLEDGE: S.NOTIFIED, Action.SERVICE_VISIT: S.RECTIFYING, Action.REQUEST_EXTENSION: S.RECTIFYING,
        Action.APPROVE_EXTENSION: S.RECTIFYING, Action.DENY_EXTENSION: S.RECTIFYING, Action.SUPERVISE: S.RECTIFYING,
        Action.REPORT: S.RECTIFYING, Action.SUBMIT_REPLY: S.RECTIFYING, Action.ACCEPT: S.PENDING_ACCEPTANCE,
        Action.REJECT: S.PENDING_ACCEPTANCE, Action.CLOSE: S.ACCEPTED, Action.VOID: S.REGISTERED,
        Action.ADD_PHOTO: S.REGISTERED,
    }[action]
    hazard = make_hazard(start, site=site, by=user, category=category)
    if action in (Action.APPROVE_EXTENSION, Action.DENY_EXTENSION):
        perform(Action.REQUEST_EXTENSION, hazard, user)
    if action == Action.SUPERVISE:
        make_overdue(hazard)
    hazard = Hazard.objects.get(pk=hazard.pk)
    data = {
        Action.ACKNOWLEDGE: {"acknowledged_by_name": "王建国", "signed_scan": image_upload("scan.png")},
        Action.SERVICE_VISIT: {"date": today().isoformat(), "description": "现场指导紧固接地线"},
        Action.REQUEST_EXTENSION: {"requested_deadline": days(40).isoformat(), "reason": "备件未到",
                                   "requested_by_name": "王建国"},
        Action.APPROVE_EXTENSION: {"comment": "同意"},
        Action.DENY_EXTENSION: {"comment": "理由不充分"},
        Action.SUPERVISE: {"new_deadline": days(7).isoformat(), "language": "zh-hans"},
        Action.REPORT: {"addressee": "市应急管理局", "report_date": today().isoformat(), "comment": "拒不整改",
                        "document": image_upload("report.png")},
        Action.SUBMIT_REPLY: {"submitted_by_name": "王建国", "cause": "设备老化", "handling": "已更换",
                              "result": "handled", "next_measures": "每月巡视", "photos": [image_upload("after.png")]},
        Action.ACCEPT: {"comment": "现场验收合格"},
        Action.REJECT: {"reason": "接地电阻仍超标"},
        Action.CLOSE: {"comment": "销号"},
        Action.VOID: {"reason": "重复登记"},
        Action.ADD_PHOTO: {"kind": "before", "photos": [image_upload("1.png"), image_upload("2.png")]},
    }[action]
    return hazard, {"expected_version": hazard.version, **data}


def _effect(action, hazard):
    """What the action must have changed (besides its history row)."""
    h = Hazard.objects.get(pk=hazard.pk)
    return {
        Action.ACKNOWLEDGE: lambda: h.status == S.RECTIFYING
        and Notice.objects.filter(hazards=h, acknowledged_by_name="王建国").exclude(signed_scan="").exists(),
        Action.SERVICE_VISIT: lambda: ServiceVisit.objects.filter(hazard=h, description="现场指导紧固接地线").exists(),
        Action.REQUEST_EXTENSION: lambda: h.extensions.filter(status="pending",
                                                              requested_deadline=days(40)).exists(),
        Action.APPROVE_EXTENSION: lambda: h.extensions.filter(status="approved").exists()
        and h.deadline != hazard.deadline,
        Action.DENY_EXTENSION: lambda: h.extensions.filter(status="denied").exists()
        and h.deadline == hazard.deadline,
        Action.SUPERVISE: lambda: h.supervision_count == 1 and h.deadline == days(7)
        and Notice.objects.filter(hazards=h, kind=Notice.Kind.SUPERVISION).exists(),
        Action.REPORT: lambda: AuthorityReport.objects.filter(hazard=h, addressee="市应急管理局")
        .exclude(document="").exists(),
        Action.SUBMIT_REPLY: lambda: h.status == S.PENDING_ACCEPTANCE
        and WorkOrderReply.objects.get(hazard=h).photos.count() == 1,
        Action.ACCEPT: lambda: h.status == S.ACCEPTED,
        Action.REJECT: lambda: h.status == S.RECTIFYING,
        Action.CLOSE: lambda: h.status == S.CLOSED,
        Action.VOID: lambda: h.status == S.VOIDED and h.void_reason == "重复登记",
        Action.ADD_PHOTO: lambda: h.photos.count() == 2,
    }[action]()


FORM_ACTIONS = [Action.ACKNOWLEDGE, Action.SERVICE_VISIT, Action.REQUEST_EXTENSION, Action.APPROVE_EXTENSION,
                Action.DENY_EXTENSION, Action.SUPERVISE, Action.REPORT, Action.SUBMIT_REPLY, Action.ACCEPT,
                Action.REJECT, Action.CLOSE, Action.VOID, Action.ADD_PHOTO]


@pytest.mark.parametrize("action", FORM_ACTIONS)
def test_action_form_happy_path(mgr_client, site_a, manager_a, category, action):
    hazard, data = _setup(action, site_a, manager_a, category)
    url = reverse("hazards:hazard_action", args=[hazard.pk, action])
    page = mgr_client.get(url)
    assert page.status_code == 200
    assert f'name="expected_version" value="{hazard.version}"' in page.content.decode()
    fragment = mgr_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div class="modal-header">') and 'id="action-form"' in fragment
    events_before = HazardEvent.objects.filter(hazard=hazard).count()
    response = mgr_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert response["Location"] == reverse("hazards:hazard_detail", args=[hazard.pk])
    expected_events = 2 if action == Action.ADD_PHOTO else 1
    assert HazardEvent.objects.filter(hazard=hazard).count() == events_before + expected_events
    assert HazardEvent.objects.filter(hazard=hazard).last().action == action
    assert _effect(action, hazard)
    detail = mgr_client.get(response["Location"]).content.decode()
    assert f'data-action="{action}"' in detail


@pytest.mark.parametrize("action", FORM_ACTIONS)
def test_action_refused_on_a_closed_hazard_shows_why(mgr_client, site_a, manager_a, category, action):
    _open, data = _setup(action, site_a, manager_a, category)
    hazard = make_hazard(S.CLOSED, site=site_a, by=manager_a, category=category)
    data["expected_version"] = hazard.version
    url = reverse("hazards:hazard_action", args=[hazard.pk, action])
    with pytest.raises(ActionRefused) as refused:
        lifecycle.check(hazard, action, manager_a)
    page = mgr_client.get(url)
    assert shown(refused.value.message) in page.content.decode() and 'id="action-form"' not in page.content.decode()
    events_before = HazardEvent.objects.filter(hazard=hazard).count()
    response = mgr_client.post(url, data)
    assert response.status_code == 409
    assert shown(refused.value.message) in response.content.decode()
    assert HazardEvent.objects.filter(hazard=hazard).count() == events_before
    assert Hazard.objects.get(pk=hazard.pk).status == S.CLOSED


def test_role_refusal_is_explained(client, inspector_a, manager_a, site_a, category):
    hazard = make_hazard(S.ACCEPTED, site=site_a, by=manager_a, category=category)
    client.force_login(inspector_a)
    response = client.post(reverse("hazards:hazard_action", args=[hazard.pk, "close"]),
                           {"expected_version": hazard.version, "comment": ""})
    assert response.status_code == 409
    with pytest.raises(ActionRefused) as refused:
        lifecycle.check(hazard, Action.CLOSE, inspector_a)
    assert shown(refused.value.message) in response.content.decode()
    assert Hazard.objects.get(pk=hazard.pk).status == S.ACCEPTED


def test_supervise_before_the_deadline_is_explained(mgr_client, site_a, manager_a, category):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    response = mgr_client.post(reverse("hazards:hazard_action", args=[hazard.pk, "supervise"]),
                               {"expected_version": hazard.version, "new_deadline": days(30).isoformat(),
                                "language": "zh-hans"})
    assert response.status_code == 409
    with pytest.raises(ActionRefused) as refused:
        lifecycle.check(hazard, Action.SUPERVISE, manager_a)
    assert shown(refused.value.message) in response.content.decode()
    assert not Notice.objects.filter(kind=Notice.Kind.SUPERVISION).exists()


def test_invalid_input_keeps_the_form(mgr_client, site_a, manager_a, category):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    response = mgr_client.post(reverse("hazards:hazard_action", args=[hazard.pk, "request_extension"]),
                               {"expected_version": hazard.version, "requested_deadline": days(-3).isoformat(),
                                "reason": "我的理由", "requested_by_name": "王建国"})
    assert response.status_code == 200
    assert response.context["form"].errors["requested_deadline"]
    assert "我的理由" in response.content.decode()
    assert not ExtensionRequest.objects.exists()


@pytest.mark.parametrize("action", [Action.SERVICE_VISIT, Action.SUBMIT_REPLY, Action.REQUEST_EXTENSION])
def test_changed_meanwhile_keeps_the_users_input(mgr_client, site_a, manager_a, category, action):
    hazard, data = _setup(action, site_a, manager_a, category)
    data.pop("photos", None)
    typed = {Action.SERVICE_VISIT: "description", Action.SUBMIT_REPLY: "cause",
             Action.REQUEST_EXTENSION: "reason"}[action]
    data[typed] = "用户刚输入的内容"
    # Someone else records a service meanwhile.
    perform(Action.SERVICE_VISIT, hazard, manager_a)
    current = Hazard.objects.get(pk=hazard.pk).version
    url = reverse("hazards:hazard_action", args=[hazard.pk, action])
    response = mgr_client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 409
    assert shown(CHANGED_MEANWHILE) in body
    assert "用户刚输入的内容" in body
    assert f'name="expected_version" value="{current}"' in body
    assert 'id="current-state"' in body
    assert HazardEvent.objects.filter(hazard=hazard).last().action == Action.SERVICE_VISIT
    # Checked and sent again: it goes through now.
    data["expected_version"] = current
    assert mgr_client.post(url, data).status_code == 302


def test_accept_of_a_major_hazard_asks_for_the_evaluations(mgr_client, site_a, manager_a, category):
    hazard = make_hazard(S.PENDING_ACCEPTANCE, site=site_a, by=manager_a, category=category,
                         severity=Hazard.Severity.MAJOR)
    url = reverse("hazards:hazard_action", args=[hazard.pk, "accept"])
    assert 'name="expert_evaluation"' in mgr_client.get(url).content.decode()
    response = mgr_client.post(url, {"expected_version": hazard.version, "comment": "ok"})
    assert response.status_code == 200 and response.context["form"].errors["self_evaluation"]
    response = mgr_client.post(url, {"expected_version": hazard.version, "self_evaluation": "自评合格",
                                     "expert_evaluation": "专家合格", "government_acceptance": "应急局验收"})
    assert response.status_code == 302
    assert hazard.acceptances.get().government_acceptance == "应急局验收"


def test_accept_whitelists_a_no_action_finding(mgr_client, site_a, manager_a, category):
    inspection = make_inspection_with_problems(site_a, manager_a, problems=(("1.1", "疑似漏电", "复测"),))
    [hazard] = services.hazards_create_from_inspection(inspection=inspection, by=manager_a, category=category)
    hazard = services.hazard_update(hazard=hazard, by=manager_a, deadline=days(10))
    hazard = reach(hazard, S.RECTIFYING, by=manager_a)
    services.hazard_submit_reply(hazard=hazard, cause="误报", handling="复测正常", result="no_action",
                                 submitted_by_name="王建国", by=manager_a)
    hazard = Hazard.objects.get(pk=hazard.pk)
    url = reverse("hazards:hazard_action", args=[hazard.pk, "accept"])
    assert 'name="whitelist_months"' in mgr_client.get(url).content.decode()
    response = mgr_client.post(url, {"expected_version": hazard.version, "comment": "现场核实正常",
                                     "whitelist_months": 6})
    assert response.status_code == 302
    entry = hazard.whitelist_entries.get()
    assert entry.item_id == hazard.source_result.item_id
    assert (entry.frozen_until - today()).days in range(180, 186)


def test_unknown_action_is_404(mgr_client, site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category)
    assert mgr_client.get(reverse("hazards:hazard_action", args=[hazard.pk, "explode"])).status_code == 404


def test_inspector_may_register_but_the_page_hides_managing_actions(client, inspector_a, site_a, manager_a,
                                                                    category):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    make_overdue(hazard)
    client.force_login(inspector_a)
    body = client.get(reverse("hazards:hazard_detail", args=[hazard.pk])).content.decode()
    assert 'data-action="service"' in body
    assert 'data-action="supervise"' not in body and 'data-action="void"' not in body
    assert Role.INSPECTOR not in lifecycle.TRANSITIONS[Action.SUPERVISE].roles



def test_home_panel_counts_link_to_the_ledger(client, site_a, site_b, manager_a, manager_b, category,
                                              django_assert_max_num_queries):
    from tests.hazards.factories import make_hazard

    for state in (Hazard.Status.REGISTERED, Hazard.Status.PENDING_ACCEPTANCE, Hazard.Status.CLOSED):
        make_hazard(state, site=site_a, by=manager_a, category=category)
    make_hazard(Hazard.Status.REGISTERED, site=site_b, by=manager_b, category=category)  # other branch
    client.force_login(manager_a)
    # (15: the "my work" panel reads one query per section: tests/hazards/test_my_work.py; the
    # site risk levels of kpis two)
    with django_assert_max_num_queries(15):
        page = client.get(reverse("home")).content.decode()
    panel = page[page.index('id="hazard-panel"'):]
    assert 'id="stat-overdue">0<' in panel
    assert "?status=open" in panel
    ledger = client.get(reverse("hazards:hazard_list"), {"status": "open"}).content.decode()
    open_numbers = set(Hazard.objects.filter(site=site_a).exclude(status=Hazard.Status.CLOSED)
                       .values_list("number", flat=True))
    assert all(n in ledger for n in open_numbers)
    closed = Hazard.objects.get(site=site_a, status=Hazard.Status.CLOSED).number
    assert closed not in ledger


def test_ledger_rows_escape_what_users_typed(mgr_client, site_a, manager_a, category):
    evil = '<img src=x onerror="alert(1)">&'
    site_a.name = f"客户{evil}"
    site_a.save(update_fields=["name"])
    long_text = "配电室" + evil + "接地线松动" * 20
    hazard = register(site=site_a, by=manager_a, category=category, description=long_text, location=evil)
    body = mgr_client.get(reverse("hazards:hazard_list")).content.decode()
    row = re.search(rf'data-number="{hazard.number}">(.*?)</tr>', body, re.S).group(1)
    assert "<img" not in row and row.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;") == 3
    shown_description = re.search(r'<td class="hz-desc">(.*?)<div', row, re.S).group(1)
    assert html.unescape(shown_description) == long_text[:59] + "…"
    detail = reverse("hazards:hazard_detail", args=[hazard.pk])
    assert f'<a href="{detail}">{hazard.number}</a>' in row


def test_home_panel_counts_each_figure(site_a, site_b, manager_a, manager_b, category):
    from django.utils import timezone

    from hazards import selectors
    from tests.hazards.factories import make_hazard

    S = Hazard.Status
    made = {state: make_hazard(state, site=site_a, by=manager_a, category=category)
            for state in (S.REGISTERED, S.NOTIFIED, S.RECTIFYING, S.PENDING_ACCEPTANCE, S.ACCEPTED, S.CLOSED)}
    make_overdue(made[S.RECTIFYING])
    make_overdue(made[S.ACCEPTED])  # accepted: the party owes nothing, so not overdue
    major = register(site=site_a, by=manager_a, category=category, severity=Hazard.Severity.MAJOR)
    old = make_hazard(S.CLOSED, site=site_a, by=manager_a, category=category)
    last_year = timezone.make_aware(datetime.datetime(today().year - 1, 12, 31, 23, 0))
    Hazard.objects.filter(pk=old.pk).update(closed_at=last_year)
    make_hazard(S.VOIDED, site=site_a, by=manager_a, category=category)
    make_hazard(S.REGISTERED, site=site_b, by=manager_b, category=category)  # another branch
    counts = selectors.home_panel(user=manager_a)["counts"]
    assert counts == {"open": 6, "overdue": 1, "registered": 2, "pending": 1, "major_open": 1, "closed_this_year": 1}
    assert major.status == S.REGISTERED


@pytest.mark.parametrize("params", [{"site": "9" * 25}, {"inspection": "9" * 25}, {"inspection": "x"}])
def test_a_bad_hidden_filter_is_named_on_the_page(mgr_client, ledger, params):
    response = mgr_client.get(reverse("hazards:hazard_list"), params)
    assert response.status_code == 200 and numbers_in(response) == []
    name = "Site" if "site" in params else "Inspection"
    assert re.search(rf'<div class="col-12 text-danger small">{name}: [^<]+</div>', response.content.decode())


def test_a_date_range_sorts_by_its_date_unless_a_sort_is_chosen(mgr_client, ledger):
    url = reverse("hazards:hazard_list")
    scope = Hazard.objects.filter(site__unit__path__startswith=ledger["major"].site.unit.path)
    far_past, far_future = "2000-01-01", "2100-01-01"
    by_deadline = list(scope.exclude(deadline=None).order_by("deadline", "id").values_list("number", flat=True))
    response = mgr_client.get(url, {"deadline_from": far_past})
    assert numbers_in(response) == by_deadline
    assert 'data-sort="deadline" href="?deadline_from=2000-01-01&amp;ordering=-deadline">' in response.content.decode()
    by_discovery = list(scope.order_by("-discovered_on", "-id").values_list("number", flat=True))
    assert numbers_in(mgr_client.get(url, {"discovered_to": far_future})) == by_discovery
    by_number = list(scope.exclude(deadline=None).order_by("number").values_list("number", flat=True))
    assert numbers_in(mgr_client.get(url, {"deadline_from": far_past, "ordering": "number"})) == by_number
    newest_first = list(scope.order_by("-created_at", "-id").values_list("number", flat=True))
    assert numbers_in(mgr_client.get(url)) == newest_first != by_deadline


def test_each_action_page_has_its_row_of_named_functions():
    """ACTION_FORMS has a row for every action taken on the action page (all but register, edit and
    notify, which have their own pages), and each row's call, initial values and form arguments are
    named functions that say what they do (no lambdas: a traceback names the action)."""
    from hazards.views import ACTION_FORMS

    assert set(ACTION_FORMS) == set(Action) - {Action.REGISTER, Action.EDIT, Action.NOTIFY}
    for action, spec in ACTION_FORMS.items():
        for function in (spec.call, spec.initial, spec.form_kwargs):
            assert function.__name__ != "<lambda>", (action, function)
            assert (function.__doc__ or "").strip(), (action, function.__name__)
        assert callable(spec.done) or isinstance(spec.done, Promise), action


def test_a_leader_is_told_and_offered_no_notice_or_edit_form(client, leader_a, manager_a, site_a, category):
    """A leader reads hazards but takes no action: the notice and edit pages say so instead of
    showing a form whose sending would be refused."""
    hazard = make_hazard(S.REGISTERED, site=site_a, by=manager_a, category=category)
    client.force_login(leader_a)
    for url in (f"{reverse('hazards:notify')}?hazards={hazard.pk}", reverse("hazards:hazard_edit", args=[hazard.pk])):
        body = client.get(url).content.decode()
        assert 'id="action-refusal"' in body and "<form method=\"post\"" not in body.split('id="action-refusal"')[1]
