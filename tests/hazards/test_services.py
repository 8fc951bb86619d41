"""Hazard services: given / when / then, asserting the side effects (history row, documents,
numbers) and that nothing is half-saved on failure."""

import datetime
import hashlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import translation

from audits.models import Inspection, InspectionEvent, InspectionResult
from hazards import selectors, services
from hazards.lifecycle import Action, ActionRefused, ChangedMeanwhile
from hazards.models import (
    ExtensionRequest,
    Hazard,
    HazardEvent,
    HazardPhoto,
    Notice,
    ReplyPhoto,
    WhitelistEntry,
    WorkOrderReply,
)
from org.models import NumberCounter
from org.services import next_number
from scoring.models import Standard, StandardItem
from tests import samples
from tests.factories import SiteFactory

from .factories import image_upload, make_hazard, perform, register, today

pytestmark = pytest.mark.usefixtures("fast_pdf")
S = Hazard.Status
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# --- numbers -----------------------------------------------------------------------------------

def test_register_numbers_per_year_and_records_history(site_a, inspector_a, category):
    first = register(site=site_a, by=inspector_a, category=category)
    second = register(site=site_a, by=inspector_a, category=category)
    year = today().year
    assert (first.number, second.number) == (f"YH-{year}-000001", f"YH-{year}-000002")
    assert first.unit == site_a.unit and first.version == 1 and first.source == Hazard.Source.MANUAL
    event = first.events.get()
    assert (event.action, event.from_status, event.to_status, event.actor) == ("register", "", "registered",
                                                                               inspector_a)
    assert event.data["number"] == first.number


def test_failed_registration_gives_its_number_back(site_a, inspector_a, category):
    register(site=site_a, by=inspector_a, category=category)
    with pytest.raises(ValidationError):
        register(site=site_a, by=inspector_a, category=category, responsible_email="not-an-email")
    assert Hazard.objects.count() == 1
    third = register(site=site_a, by=inspector_a, category=category)
    assert third.number.endswith("-000002")


def test_next_number_series_are_independent(db):
    assert next_number("notice", "GZ", 2026, 5) == "GZ-2026-00001"
    assert next_number("supervision", "DD", 2026, 5) == "DD-2026-00001"
    assert next_number("notice", "GZ", 2026, 5) == "GZ-2026-00002"
    assert next_number("notice", "GZ", 2027, 5) == "GZ-2027-00001"
    assert NumberCounter.objects.get(key="notice", year=2026).last == 2


def test_a_number_is_taken_only_while_it_is_still_the_next_one(db):
    from org.services import number_peek

    # Given a peeked number that another notice then takes
    peeked = number_peek("notice", "GZ", 2026, 5)
    assert peeked == "GZ-2026-00001"
    assert next_number("notice", "GZ", 2026, 5) == peeked
    # When the first caller tries to take the number it peeked, it is refused and nothing changes
    assert next_number("notice", "GZ", 2026, 5, expected=peeked) is None
    assert NumberCounter.objects.get(key="notice", year=2026).last == 1
    # And the next peek is taken
    assert next_number("notice", "GZ", 2026, 5, expected=number_peek("notice", "GZ", 2026, 5)) == (
        "GZ-2026-00002")


def test_a_notice_whose_number_keeps_being_taken_is_refused_whole(site_a, manager_a, category, monkeypatch):
    # Given a render during which another notice always takes the number
    hazard = register(site=site_a, by=manager_a, category=category)

    def render(notice, hazards=None):
        next_number("notice", "GZ", today().year, 5)
        return b"%PDF-1.7"

    monkeypatch.setattr("hazards.documents.render_notice_pdf", render)
    # When the hazard is notified, then issuing gives up with a message and saves nothing
    with pytest.raises(ActionRefused, match="Many notices"):
        services.hazard_notify(hazards=[hazard], by=manager_a)
    assert not Notice.objects.exists()
    assert Hazard.objects.get(pk=hazard.pk).status == S.REGISTERED


def test_a_notice_that_cannot_be_rendered_is_refused_whole(site_a, manager_a, category, monkeypatch):
    from org.documents import RenderError

    hazard = register(site=site_a, by=manager_a, category=category)

    def render(notice, hazards=None):
        raise RenderError("timeout")

    monkeypatch.setattr("hazards.documents.render_notice_pdf", render)
    with pytest.raises(ActionRefused, match="longer than 60 seconds"):
        services.hazard_notify(hazards=[hazard], by=manager_a)
    assert not Notice.objects.exists() and not NumberCounter.objects.filter(key="notice").exclude(last=0).exists()
    assert Hazard.objects.get(pk=hazard.pk).status == S.REGISTERED
    assert not HazardEvent.objects.filter(hazard=hazard, action=Action.NOTIFY).exists()


# --- editing -----------------------------------------------------------------------------------

def test_update_records_changes_and_refuses_fixed_fields_after_notify(site_a, inspector_a, category):
    hazard = register(site=site_a, by=inspector_a, category=category)
    hazard = services.hazard_update(hazard=hazard, by=inspector_a, expected_version=1, location="2 号配电室")
    assert hazard.version == 2
    assert hazard.events.latest("id").data["changes"] == {"location": ["1 号配电室", "2 号配电室"]}
    # Nothing changed → no history row, no new version
    assert services.hazard_update(hazard=hazard, by=inspector_a, location="2 号配电室").version == 2
    assert hazard.events.count() == 2

    services.hazard_notify(hazards=[hazard], by=inspector_a)
    hazard.refresh_from_db()
    with pytest.raises(ActionRefused, match="deadline moves only by an approved extension"):
        services.hazard_update(hazard=hazard, by=inspector_a, deadline=hazard.deadline + 30 * DAY)
    updated = services.hazard_update(hazard=hazard, by=inspector_a, responsible_phone="13900000000")
    assert updated.responsible_phone == "13900000000" and updated.status == S.NOTIFIED


def test_stale_version_is_changed_meanwhile_and_changes_nothing(site_a, inspector_a, category):
    hazard = register(site=site_a, by=inspector_a, category=category)
    services.hazard_update(hazard=hazard, by=inspector_a, location="A")
    with pytest.raises(ChangedMeanwhile) as exc:
        services.hazard_update(hazard=hazard, by=inspector_a, expected_version=1, location="B")
    assert "changed by someone else meanwhile" in str(exc.value.message)
    hazard.refresh_from_db()
    assert (hazard.location, hazard.version, hazard.events.count()) == ("A", 2, 2)


def test_a_stale_object_whose_status_moved_is_changed_meanwhile(site_a, manager_a, category):
    hazard = make_hazard(S.PENDING_ACCEPTANCE, site=site_a, by=manager_a, category=category)
    stale = Hazard.objects.get(pk=hazard.pk)
    services.hazard_accept(hazard=hazard, by=manager_a, self_evaluation="x", expert_evaluation="y")
    with pytest.raises(ChangedMeanwhile):
        services.hazard_reject(hazard=stale, reason="不合格", by=manager_a)
    assert Hazard.objects.get(pk=hazard.pk).status == S.ACCEPTED


# --- from inspection findings -------------------------------------------------------------------

@pytest.fixture
def inspection(site_a, inspector_a):
    standard = Standard.objects.create(name="客户安全用电检查表", status=Standard.Status.ACTIVE)
    items = {}
    for code, title in [("1", "供电设施"), ("1.1", "高压配电室"), ("1.2", "自备应急电源"), ("1.10", "接地")]:
        items[code] = StandardItem.objects.create(
            standard=standard, code=code, sort_key=StandardItem.sort_key_for(code), title=title,
            points=Decimal("10"), is_leaf=code != "1")
    inspection = Inspection.objects.create(number="JC-1", standard=standard, site=site_a, unit=site_a.unit,
                                           date=today() - 2 * DAY, status=Inspection.Status.SUBMITTED)
    InspectionResult.objects.create(inspection=inspection, item=items["1.10"], earned=0, problem="接地电阻 12Ω 超标",
                                    measure="补打接地极")
    InspectionResult.objects.create(inspection=inspection, item=items["1.2"], earned=5, problem="应急电源未定期试验",
                                    measure="每月带载试验一次并记录")
    InspectionResult.objects.create(inspection=inspection, item=items["1.1"], earned=10)
    return inspection


def test_create_from_inspection_once_per_finding(inspection, inspector_a, category):
    created = services.hazards_create_from_inspection(inspection=inspection, by=inspector_a, category=category)
    # In item-code order (1.2 before 1.10), each linked to its finding
    assert [h.description for h in created] == ["应急电源未定期试验", "接地电阻 12Ω 超标"]
    first = created[0]
    assert first.source == Hazard.Source.INSPECTION and first.source_result.item.code == "1.2"
    assert first.basis == "1.2 自备应急电源" and first.required_measures == "每月带载试验一次并记录"
    assert first.discovered_on == inspection.date and first.responsible_name == inspection.site.contact_name
    assert first.events.get().data["inspection"] == "JC-1"
    event = InspectionEvent.objects.get(inspection=inspection)
    assert event.action == "hazards_created" and created[1].number in event.comment

    # Never twice: a second run creates nothing and records nothing
    assert services.hazards_create_from_inspection(inspection=inspection, by=inspector_a, category=category) == []
    assert Hazard.objects.count() == 2 and InspectionEvent.objects.count() == 1
    with pytest.raises(ActionRefused, match="already registered for this finding"):
        register(site=inspection.site, by=inspector_a, category=category, source_result=first.source_result)


def test_create_from_draft_inspection_or_without_category_is_refused(inspection, inspector_a, category):
    Inspection.objects.filter(pk=inspection.pk).update(status=Inspection.Status.DRAFT)
    with pytest.raises(ActionRefused, match="Submit the inspection"):
        services.hazards_create_from_inspection(inspection=inspection, by=inspector_a, category=category)
    Inspection.objects.filter(pk=inspection.pk).update(status=Inspection.Status.LOCKED)
    with pytest.raises(ActionRefused, match="Choose a risk category"):
        services.hazards_create_from_inspection(inspection=inspection, by=inspector_a)
    assert not Hazard.objects.exists()


def test_create_from_inspection_uses_the_other_category_by_default(inspection, inspector_a, other_category):
    created = services.hazards_create_from_inspection(inspection=inspection, by=inspector_a)
    assert {h.category for h in created} == {other_category}


def test_create_from_inspection_out_of_scope(inspection, inspector_b, category):
    with pytest.raises(ActionRefused, match="Site not found"):
        services.hazards_create_from_inspection(inspection=inspection, by=inspector_b, category=category)


# --- notices -----------------------------------------------------------------------------------

def test_notify_several_hazards_of_one_site_in_one_notice(site_a, inspector_a, category):
    first = register(site=site_a, by=inspector_a, category=category)
    second = register(site=site_a, by=inspector_a, category=category, deadline=today() + 5 * DAY)
    notice = services.hazard_notify(hazards=[first, second], by=inspector_a)
    assert notice.number == f"GZ-{today().year}-00001" and notice.kind == Notice.Kind.HAZARD
    assert set(notice.hazards.all()) == {first, second} and notice.deadline == today() + 5 * DAY
    assert notice.addressee == "王建国" and notice.unit == inspector_a.membership.unit
    stored = notice.file.read()
    assert notice.number in notice.file.name and hashlib.sha256(stored).hexdigest() == notice.sha256
    for hazard in (first, second):
        hazard.refresh_from_db()
        event = hazard.events.latest("id")
        assert hazard.status == S.NOTIFIED and hazard.notified_at and hazard.version == 2
        assert (event.action, event.data["notice"]) == ("notify", notice.number)


def test_notify_refuses_two_sites_and_names_each_refused_hazard(site_a, team_a, inspector_a, category):
    other_site = SiteFactory(unit=team_a)
    a = register(site=site_a, by=inspector_a, category=category)
    b = register(site=other_site, by=inspector_a, category=category)
    with pytest.raises(ActionRefused, match="one site only"):
        services.hazard_notify(hazards=[a, b], by=inspector_a)
    c = register(site=site_a, by=inspector_a, category=category, required_measures="")
    d = register(site=site_a, by=inspector_a, category=category, responsible_name="")
    with pytest.raises(ActionRefused) as exc:
        services.hazard_notify(hazards=[a, c, d], by=inspector_a)
    assert c.number in exc.value.message and d.number in exc.value.message and a.number not in exc.value.message
    assert not Notice.objects.exists() and Hazard.objects.get(pk=a.pk).status == S.REGISTERED
    assert not NumberCounter.objects.filter(key="notice").exists()


def test_notify_with_the_real_pdf(site_a, inspector_a, category, monkeypatch):
    from hazards import documents

    monkeypatch.undo()  # the real rendering, once
    hazard = register(site=site_a, by=inspector_a, category=category)
    notice = services.hazard_notify(hazards=[hazard], by=inspector_a)
    data = notice.file.read()
    assert data.startswith(b"%PDF") and b"test" not in data[:20] and len(data) > 2000
    assert hashlib.sha256(data).hexdigest() == notice.sha256
    with pytest.raises(documents.DocumentAlreadyStored):
        documents.store_document(notice, b"%PDF other")


def test_acknowledge_records_the_party_and_the_signed_scan(site_a, inspector_a, category):
    hazard = make_hazard(S.NOTIFIED, site=site_a, by=inspector_a, category=category)
    scan = SimpleUploadedFile("scan.pdf", samples.pdf(), content_type="application/pdf")
    hazard = services.hazard_acknowledge(hazard=hazard, acknowledged_by_name="王建国", by=inspector_a, signed_scan=scan)
    notice = hazard.notices.get()
    assert hazard.status == S.RECTIFYING and notice.acknowledged_by_name == "王建国" and notice.acknowledged_at
    assert notice.signed_scan.name.endswith(".pdf")
    event = hazard.events.latest("id")
    assert (event.actor, event.actor_name, event.data["signed_scan"]) == (inspector_a, "王建国", True)
    with pytest.raises(ValidationError):
        services.hazard_acknowledge(hazard=make_hazard(S.NOTIFIED, site=site_a, by=inspector_a, category=category),
                                    acknowledged_by_name=" ", by=inspector_a)


def test_service_visit(site_a, inspector_a, category):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=inspector_a, category=category)
    record = services.record_service_visit(hazard=hazard, date=today(), description="指导更换接地扁铁", by=inspector_a)
    event = hazard.events.latest("id")
    assert (event.action, event.data["service_id"], event.comment) == ("service", record.pk, "指导更换接地扁铁")
    with pytest.raises(ValidationError):
        services.record_service_visit(hazard=hazard, date=today() + DAY, description="x", by=inspector_a)


# --- deadlines ---------------------------------------------------------------------------------

def test_extension_approval_keeps_both_deadlines(site_a, inspector_a, manager_a, category):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    old = hazard.deadline
    extension = services.hazard_request_extension(hazard=hazard, requested_deadline=old + 20 * DAY,
                                                  reason="设备到货延迟", requested_by_name="王建国", by=inspector_a)
    with pytest.raises(ActionRefused, match="Your role may not"):
        services.hazard_decide_extension(extension=extension, approve=True, comment="", by=inspector_a)
    extension = services.hazard_decide_extension(extension=extension, approve=True, comment="同意", by=manager_a)
    hazard.refresh_from_db()
    assert hazard.deadline == old + 20 * DAY
    assert (extension.status, extension.old_deadline, extension.decided_by) == ("approved", old, manager_a)
    event = hazard.events.latest("id")
    assert event.data == {"extension_id": extension.pk, "old_deadline": old.isoformat(),
                          "new_deadline": (old + 20 * DAY).isoformat(),
                          "requested_deadline": (old + 20 * DAY).isoformat()}
    with pytest.raises(ActionRefused):  # decided already: nothing pending any more
        services.hazard_decide_extension(extension=extension, approve=False, comment="x", by=manager_a)


def test_extension_denial_keeps_the_deadline_and_needs_a_reason(site_a, inspector_a, manager_a, category):
    hazard = make_hazard(S.NOTIFIED, site=site_a, by=manager_a, category=category)
    old = hazard.deadline
    extension = services.hazard_request_extension(hazard=hazard, requested_deadline=old + 20 * DAY,
                                                  reason="人手不足", requested_by_name="王建国", by=inspector_a)
    with pytest.raises(ValidationError):
        services.hazard_decide_extension(extension=extension, approve=False, comment=" ", by=manager_a)
    extension = services.hazard_decide_extension(extension=extension, approve=False, comment="风险高，不予延期",
                                                 by=manager_a)
    hazard.refresh_from_db()
    assert hazard.deadline == old and extension.status == ExtensionRequest.Status.DENIED
    assert extension.requested_deadline == old + 20 * DAY
    event = hazard.events.latest("id")
    assert (event.action, event.comment, event.data["requested_deadline"]) == (
        "deny_extension", "风险高，不予延期", (old + 20 * DAY).isoformat())


def test_extension_must_ask_for_a_later_date(site_a, manager_a, category):
    hazard = make_hazard(S.NOTIFIED, site=site_a, by=manager_a, category=category)
    with pytest.raises(ValidationError) as exc:
        services.hazard_request_extension(hazard=hazard, requested_deadline=hazard.deadline, reason="x",
                                          requested_by_name="王", by=manager_a)
    assert "later than the current deadline" in str(exc.value)
    assert not ExtensionRequest.objects.exists()


def test_supervision_notice_for_an_overdue_hazard(site_a, manager_a, category):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    original = hazard.notices.get()
    Hazard.objects.filter(pk=hazard.pk).update(deadline=today() - 4 * DAY)
    hazard.refresh_from_db()
    notice = services.hazard_supervise(hazard=hazard, new_deadline=today() + 7 * DAY, by=manager_a)
    hazard.refresh_from_db()
    assert notice.number == f"DD-{today().year}-00001" and notice.kind == Notice.Kind.SUPERVISION
    assert (notice.cites, notice.days_overdue, notice.deadline) == (original, 4, today() + 7 * DAY)
    assert notice.escalation and notice.sha256 and notice.file
    assert (hazard.deadline, hazard.supervision_count, hazard.status) == (today() + 7 * DAY, 1, S.RECTIFYING)
    event = hazard.events.latest("id")
    assert event.data["old_deadline"] == (today() - 4 * DAY).isoformat() and event.data["days_overdue"] == 4
    # No longer overdue: a second supervision is refused until the new deadline passes
    with pytest.raises(ActionRefused, match="only once the deadline has passed"):
        services.hazard_supervise(hazard=hazard, new_deadline=today() + 9 * DAY, by=manager_a)


def test_report_to_authority(site_a, manager_a, category):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    doc = SimpleUploadedFile("report.pdf", samples.pdf())
    report = services.hazard_report(hazard=hazard, addressee="市能源局", report_date=today(), by=manager_a,
                                    document=doc, comment="拒不整改，危及电网安全")
    assert report.document.name.endswith(".pdf")
    event = hazard.events.latest("id")
    assert (event.action, event.data["addressee"], event.to_status) == ("report", "市能源局", S.RECTIFYING)


# --- reply, acceptance, whitelist --------------------------------------------------------------

def test_reply_with_photos_then_reject_back_to_rectifying(site_a, inspector_a, manager_a, category):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    reply = services.hazard_submit_reply(hazard=hazard, cause="接地扁铁锈蚀",
                                         handling="更换接地扁铁；对责任电工通报批评",
                                         result=WorkOrderReply.Result.HANDLED, submitted_by_name="王建国",
                                         by=inspector_a, photos=[image_upload("after.jpg", fmt="JPEG")])
    assert ReplyPhoto.objects.get(reply=reply).thumbnail
    hazard.refresh_from_db()
    assert hazard.status == S.PENDING_ACCEPTANCE
    acceptance = services.hazard_reject(hazard=hazard, reason="接地电阻仍为 8Ω", by=inspector_a)
    hazard.refresh_from_db()
    assert hazard.status == S.RECTIFYING and acceptance.result == "rejected"
    assert hazard.events.latest("id").comment == "接地电阻仍为 8Ω"


def test_major_acceptance_needs_the_evaluations(site_a, manager_a, category):
    hazard = make_hazard(S.PENDING_ACCEPTANCE, site=site_a, by=manager_a, category=category,
                         severity=Hazard.Severity.MAJOR)
    with pytest.raises(ValidationError) as exc:
        services.hazard_accept(hazard=hazard, by=manager_a, self_evaluation="合格")
    assert "expert_evaluation" in exc.value.message_dict
    acceptance = services.hazard_accept(hazard=hazard, by=manager_a, self_evaluation="合格", expert_evaluation="合格",
                                        government_acceptance="区应急局同意销号",
                                        after_photos=[image_upload("after.png")])
    assert acceptance.government_acceptance == "区应急局同意销号"
    assert HazardPhoto.objects.get(hazard=hazard).kind == HazardPhoto.Kind.AFTER


def _no_action_hazard(inspection, inspector, manager, category):
    hazard = services.hazards_create_from_inspection(inspection=inspection, by=inspector, category=category)[0]
    hazard = services.hazard_update(hazard=hazard, by=inspector, deadline=today() + 10 * DAY)
    hazard = make_hazard_from(hazard, manager)
    services.hazard_submit_reply(hazard=hazard, cause="检测仪表误差", handling="复测正常，属仪表误差",
                                 result=WorkOrderReply.Result.NO_ACTION, submitted_by_name="王建国", by=inspector)
    return Hazard.objects.get(pk=hazard.pk)


def make_hazard_from(hazard, by):
    perform(Action.NOTIFY, hazard, by)
    return Hazard.objects.get(pk=hazard.pk)


def test_accepting_no_action_needed_whitelists_the_item(inspection, inspector_a, manager_a, category, site_b):
    hazard = _no_action_hazard(inspection, inspector_a, manager_a, category)
    until = today() + 90 * DAY
    services.hazard_accept(hazard=hazard, by=manager_a, comment="现场复核正常", whitelist_until=until)
    entry = WhitelistEntry.objects.get()
    item_id = hazard.source_result.item_id
    assert (entry.site, entry.item_id, entry.frozen_until, entry.hazard) == (hazard.site, item_id, until, hazard)
    assert hazard.events.latest("id").data["frozen_until"] == until.isoformat()
    assert services.whitelist_active_items(site=hazard.site, on_date=today()) == {item_id}
    assert services.whitelist_active_items(site=hazard.site, on_date=until) == {item_id}
    assert services.whitelist_active_items(site=hazard.site, on_date=until + DAY) == set()
    assert services.whitelist_active_items(site=site_b, on_date=today()) == set()
    services.whitelist_revoke(entry=entry, by=manager_a)
    assert services.whitelist_active_items(site=hazard.site, on_date=today()) == set()


def test_whitelist_refused_for_a_handled_reply_or_a_manual_hazard(inspection, inspector_a, manager_a, category):
    handled = make_hazard(S.PENDING_ACCEPTANCE, site=inspection.site, by=manager_a, category=category)
    with pytest.raises(ValidationError, match="no action needed"):
        services.hazard_accept(hazard=handled, by=manager_a, whitelist_until=today() + 30 * DAY)
    assert Hazard.objects.get(pk=handled.pk).status == S.PENDING_ACCEPTANCE
    hazard = _no_action_hazard(inspection, inspector_a, manager_a, category)
    with pytest.raises(ValidationError, match="must end in the future"):
        services.hazard_accept(hazard=hazard, by=manager_a, whitelist_until=today())
    assert not WhitelistEntry.objects.exists() and Hazard.objects.get(pk=hazard.pk).status == S.PENDING_ACCEPTANCE


def test_close_and_void_are_final(site_a, manager_a, inspector_a, category):
    hazard = make_hazard(S.ACCEPTED, site=site_a, by=manager_a, category=category)
    with pytest.raises(ActionRefused, match="Your role may not"):
        services.hazard_close(hazard=hazard, by=inspector_a)
    hazard = services.hazard_close(hazard=hazard, by=manager_a, comment="销号")
    assert hazard.status == S.CLOSED and hazard.closed_at
    with pytest.raises(ActionRefused, match="final"):
        services.hazard_void(hazard=hazard, reason="x", by=manager_a)
    other = register(site=site_a, by=inspector_a, category=category)
    with pytest.raises(ValidationError):
        services.hazard_void(hazard=other, reason="", by=manager_a)
    voided = services.hazard_void(hazard=other, reason="重复登记", by=manager_a)
    assert voided.void_reason == "重复登记" and voided.events.latest("id").comment == "重复登记"


# --- photos ------------------------------------------------------------------------------------

def test_photo_is_stored_with_a_thumbnail(site_a, inspector_a, category):
    hazard = register(site=site_a, by=inspector_a, category=category, photos=[image_upload(size=(1200, 900))])
    photo = hazard.photos.get()
    assert photo.kind == HazardPhoto.Kind.BEFORE and photo.uploaded_by == inspector_a
    from PIL import Image

    with Image.open(photo.thumbnail.path) as thumb:
        assert max(thumb.size) == 320
    added = services.hazard_photo_add(hazard=hazard, kind="after", image=image_upload(), by=inspector_a)
    assert hazard.events.latest("id").data == {"photo_id": added.pk, "kind": "after"}


@pytest.mark.parametrize("upload,message", [
    (SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>" * 10), "evil.jpg is not a file of an accepted type"),
    (SimpleUploadedFile("big.jpg", b"\xff" * (10 * 1024 * 1024 + 1)), "at most 10 MB"),
    ("huge", "at most 40 megapixels"),
    (SimpleUploadedFile("doc.pdf", b"%PDF-1.4 not a photo"), "doc.pdf: PDF files are not accepted here"),
    (SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0 not a photo"), "photo.jpg is incomplete"),
])
def test_photo_validation(upload, message, site_a, inspector_a, category):
    if upload == "huge":
        upload = image_upload("huge.png", size=(8000, 6000), color=(0, 0, 0))
    with pytest.raises(ValidationError, match=message):
        register(site=site_a, by=inspector_a, category=category, photos=[upload])
    # Nothing half-saved: no hazard, no photo, no number used
    assert not Hazard.objects.exists() and not HazardPhoto.objects.exists()
    assert not NumberCounter.objects.filter(last__gt=0).exists()


# --- scoping and selectors -----------------------------------------------------------------------

def test_other_branch_cannot_see_or_act(site_a, inspector_a, inspector_b, manager_b, category):
    hazard = register(site=site_a, by=inspector_a, category=category)
    for user in (inspector_b, manager_b):
        with pytest.raises(ActionRefused) as exc:
            services.hazard_update(hazard=hazard, by=user, location="x")
        assert str(exc.value.message) == "Hazard not found."
        with pytest.raises(Http404):
            selectors.hazard_get(user=user, pk=hazard.pk)
        assert not selectors.hazard_list(user=user).exists()
    with pytest.raises(Http404):
        selectors.hazard_get(user=inspector_b, pk=hazard.pk + 1000)
    assert HazardEvent.objects.count() == 1


def test_hazard_list_annotates_overdue_in_sql(site_a, manager_a, category):
    late = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    in_time = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    unnotified = register(site=site_a, by=manager_a, category=category)
    Hazard.objects.filter(pk__in=[late.pk, unnotified.pk]).update(deadline=today() - DAY)
    rows = {h.pk: h.is_overdue for h in selectors.hazard_list(user=manager_a)}
    assert rows == {late.pk: True, in_time.pk: False, unnotified.pk: False}
    assert list(selectors.hazard_list(user=manager_a).filter(is_overdue=True)) == [late]
    counts = selectors.hazard_status_counts(user=manager_a)
    assert (counts["overdue"], counts["open"], counts["rectifying"], counts["total"]) == (1, 3, 2, 3)


def test_hazard_get_query_count_does_not_grow_with_history(site_a, manager_a, category, django_assert_num_queries):
    def load(pk):
        hazard = selectors.hazard_get(user=manager_a, pk=pk)
        for name in ("photos", "events", "notices", "replies", "extensions", "service_visits", "acceptances", "reports",
                     "whitelist_entries"):
            for obj in getattr(hazard, name).all():
                str(obj)
        for event in selectors.hazard_timeline(hazard):
            str(event.actor)
        return hazard

    def build(rounds):
        hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
        for _i in range(rounds):
            perform(Action.SERVICE_VISIT, Hazard.objects.get(pk=hazard.pk), manager_a)
            perform(Action.ADD_PHOTO, Hazard.objects.get(pk=hazard.pk), manager_a)
            perform(Action.SUBMIT_REPLY, Hazard.objects.get(pk=hazard.pk), manager_a)
            perform(Action.REJECT, Hazard.objects.get(pk=hazard.pk), manager_a)
            perform(Action.REPORT, Hazard.objects.get(pk=hazard.pk), manager_a)
        return hazard

    small, big = build(1), build(4)
    # One query for the hazard with its joins, one per prefetched relation (11): whatever the history
    with django_assert_num_queries(12):
        load(small.pk)
    with django_assert_num_queries(12):
        hazard = load(big.pk)
    assert len(selectors.hazard_timeline(hazard)) == 3 + 4 * 5
