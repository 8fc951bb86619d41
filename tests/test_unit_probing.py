"""A second unit's account probing the first unit's URLs: every URL that names an object of
branch A answers a branch B manager exactly as it answers for an id that does not exist (GET and
POST), and no POST changes anything. The URL list is read from the URL resolver, so a new view
with an id in its path is probed without editing this test."""

import datetime
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from audits import services as audit_services
from hazards import services as hazard_services
from hazards.models import AuthorityReport, Hazard, HazardEvent, HazardPhoto, Notice, ReplyPhoto, WorkOrderReply
from planning import services as planning_services
from tests.audits.factories import make_standard
from tests.hazards.factories import RiskCategoryFactory, image_upload, make_hazard
from tests.helpers import normalised_body

pytestmark = pytest.mark.django_db

MISSING = 987654
PROBED_NAMESPACES = ("org", "audits", "hazards", "portal", "planning", "kpis")


def _object_patterns():
    """(name, [int kwarg names], extra kwargs) of every namespaced URL with an int id in its path."""
    found = []

    def walk(patterns, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace in PROBED_NAMESPACES:
                converters = p.pattern.converters
                ints = [k for k, c in converters.items() if type(c).__name__ == "IntConverter"]
                if ints:
                    found.append((f"{namespace}:{p.name}", ints, converters))
    walk(get_resolver().url_patterns, None)
    return found


@pytest.fixture
def branch_a_world(site_a, inspector_a, manager_a, monkeypatch):
    """One of everything in branch A that a URL can name."""
    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 " + notice.number.encode())
    category = RiskCategoryFactory(code="ELEC")
    standard = make_standard()
    inspection = audit_services.inspection_create(standard=standard, kind="periodic", date=datetime.date(2026, 3, 2),
                                                  site=site_a, inspectors=[inspector_a], by=inspector_a)
    result = inspection.results.select_related("item").first()
    audit_services.result_save(inspection=inspection, item=result.item, earned=Decimal("0"), not_applicable=False,
                               problem="问题", by=inspector_a)
    audit_services.photo_add(inspection=inspection, result=result, image=image_upload(), by=inspector_a)
    hazard = make_hazard(Hazard.Status.RECTIFYING, site=site_a, by=manager_a, category=category)
    hazard_services.hazard_photo_add(hazard=hazard, kind=HazardPhoto.Kind.BEFORE, image=image_upload(), by=manager_a)
    hazard_services.hazard_report(hazard=hazard, addressee="市应急管理局", report_date=hazard.discovered_on,
                                  by=manager_a, document=image_upload("report.png"))
    hazard_services.hazard_submit_reply(hazard=Hazard.objects.get(pk=hazard.pk), cause="老化", handling="已更换",
                                        result=WorkOrderReply.Result.HANDLED, submitted_by_name="王建国",
                                        by=manager_a, photos=[image_upload("after.png")])
    party_link, party_action = _party_rows(hazard)
    task = planning_services.tasks_create(sites=[site_a], kind="special", standard=standard,
                                          due_date=datetime.date(2026, 12, 20), by=manager_a)[0]
    from kpis.services import statistics_report_draft

    report = statistics_report_draft(unit=site_a.unit.parent, kind="quarter", start=datetime.date(2026, 1, 1),
                                     end=datetime.date(2026, 3, 31))
    ids = {
        "planning:": task.pk, "kpis:": report.pk,
        "portal:signature_file": party_action.pk, "portal:link_revoke": party_link.pk,
        "org:site_detail": site_a.pk, "hazards:site_contact": site_a.pk,
        "audits:": inspection.pk, "hazards:create_from_inspection": inspection.pk,
        "hazards:": hazard.pk,
        "hazards:notice_file": Notice.objects.get().pk, "hazards:notice_signed_scan": Notice.objects.get().pk,
        "hazards:report_file": AuthorityReport.objects.get().pk,
        "hazards:photo_file": HazardPhoto.objects.get().pk, "hazards:photo_thumb": HazardPhoto.objects.get().pk,
        "hazards:reply_photo_file": ReplyPhoto.objects.get().pk,
        "hazards:reply_photo_thumb": ReplyPhoto.objects.get().pk,
        "audits:photo_file": result.photos.get().pk,
        "result_pk": result.pk, "section": 1,
    }
    return ids, hazard


def _party_rows(hazard):
    """The party's link to the hazard's notice and a record of its acknowledgement with a signature."""
    from portal.models import PartyAction
    from portal.services import link_issue

    link, _path = link_issue(notice=hazard.notices.get(), address="wang@example.com")
    action = PartyAction(link=link, hazard=hazard, event=hazard.events.get(action="acknowledge"), action="acknowledge",
                         party_name="王建国", client_ip="203.0.113.7")
    action.signature.save("signature.png", image_upload("signature.png"), save=False)
    action.save()
    return link, action


def _kwargs(name, ints, converters, ids, missing=False):
    own = ids.get(name) or ids[name.split(":")[0] + ":"]
    kwargs = {}
    for key in ints:
        if key == "pk":
            kwargs[key] = MISSING if missing else own
        else:
            kwargs[key] = ids[key]
    for key in converters:
        if key not in kwargs:
            kwargs[key] = {"action": "close", "fmt": "pdf"}.get(key, "x")
    return kwargs


def test_every_object_url_of_another_unit_looks_missing(client, manager_b, branch_a_world):
    ids, hazard = branch_a_world
    client.force_login(manager_b)
    events_before = HazardEvent.objects.count()
    hazard.refresh_from_db()
    status_before, version_before = hazard.status, hazard.version
    patterns = _object_patterns()
    assert len(patterns) >= 15, patterns  # the walk really found the app URLs
    for name, ints, converters in patterns:
        url = reverse(name, kwargs=_kwargs(name, ints, converters, ids))
        missing_url = reverse(name, kwargs=_kwargs(name, ints, converters, ids, missing=True))
        for method in ("get", "post"):
            theirs = getattr(client, method)(url)
            nothing = getattr(client, method)(missing_url)
            assert theirs.status_code == nothing.status_code, (method, url, theirs.status_code, nothing.status_code)
            assert theirs.status_code in (404, 405), (method, url, theirs.status_code)
            assert normalised_body(theirs, url) == normalised_body(nothing, missing_url), (method, url)
    hazard.refresh_from_db()
    assert (hazard.status, hazard.version) == (status_before, version_before)
    assert HazardEvent.objects.count() == events_before
