"""The upload matrix: every upload field of the product (found by walking the models, the forms,
the templates and the admin, not from a list) × every hostile or odd file (tests.samples.MATRIX),
posted through the page a user would use. Each is refused with a message naming the file and
nothing is kept, or stored under a generated name with its detected type and served only through
the scoped view with safe headers; another branch and an anonymous visitor get what a missing
id gets."""

import html
import re
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import models
from django.test import Client
from django.urls import reverse

from audits import services as audit_services
from audits.models import ResultPhoto
from hazards.lifecycle import Action
from hazards.models import Hazard, HazardPhoto, Notice, ReplyPhoto
from org import uploads
from org.uploads import DOCUMENT, PHOTO, ScopedFileField, UploadField
from tests import samples
from tests.audits.factories import make_standard
from tests.hazards.factories import RiskCategoryFactory, make_hazard, today
from tests.helpers import assert_looks_missing

S = Hazard.Status
pytestmark = pytest.mark.usefixtures("fast_pdf")


@pytest.fixture
def fast_pdf(monkeypatch):
    """Issued notices as fixed bytes: their rendering is not under test here."""
    monkeypatch.setattr("hazards.documents.render_notice_pdf", lambda notice, hazards=None: samples.pdf())


@pytest.fixture
def category(db):
    return RiskCategoryFactory(code="ELEC", name="电气设备缺陷", score=5)
PROJECT_APPS = ("org", "scoring", "audits", "hazards", "notifications", "portal")


# ---------------------------------------------------------------- the entry points, one per form field


# Each prepares what the form needs (a hazard in the right state, an inspection) and returns the
# URL, the form data, the file field's name and the rows the file would land in.

def _register(ctx):
    data = {"site": ctx["site"].pk, "category": ctx["category"].pk, "severity": "general",
            "description": "配电室门未关", "discovered_on": today().isoformat()}
    return reverse("hazards:hazard_create"), data, "photos", lambda: HazardPhoto.objects.all()


def _action(state, action, field, extra, rows):
    def prepare(ctx):
        hazard = make_hazard(state, site=ctx["site"], by=ctx["user"], category=ctx["category"])
        url = reverse("hazards:hazard_action", args=[hazard.pk, action])
        return url, {"expected_version": hazard.version, **extra}, field, lambda: rows(hazard)
    return prepare


def _result_photo(ctx):
    inspection = audit_services.inspection_create(standard=make_standard(), kind="periodic", date=today(),
                                                  site=ctx["site"], by=ctx["user"])
    result = inspection.results.first()
    return (reverse("audits:photo_add", args=[inspection.pk, result.pk]), {}, "image",
            lambda: ResultPhoto.objects.all())


def _portal_reply(ctx):
    """The party's reply through its link (no account): the same client opens the e-mailed link."""
    from portal.services import link_issue

    hazard = make_hazard(S.RECTIFYING, site=ctx["site"], by=ctx["user"], category=ctx["category"])
    _link, path = link_issue(notice=hazard.notices.get(), address="wang@example.com")
    page = ctx["client"].get(path)["Location"]
    ctx["client"].get(page + "?lang=en")
    data = {"expected_version": hazard.version, "submitted_by_name": "王建国", "cause": "老化", "handling": "更换",
            "result": "handled", "once_token": "matrix-" + page}
    return (reverse("portal:reply", args=[_link.selector, hazard.pk]), data, "photos",
            lambda: ReplyPhoto.objects.filter(reply__hazard=hazard))


# (module.Form, field) → (how to post a file through it, the model field it lands in, what it accepts)
ENTRY_POINTS = {
    ("hazards.forms.HazardRegisterForm", "photos"): (_register, "hazards.HazardPhoto.image", PHOTO),
    ("hazards.forms.PhotoForm", "photos"): (
        _action(S.REGISTERED, Action.ADD_PHOTO, "photos", {"kind": "before"}, lambda h: h.photos.all()),
        "hazards.HazardPhoto.image", PHOTO),
    ("hazards.forms.AcceptForm", "photos"): (
        _action(S.PENDING_ACCEPTANCE, Action.ACCEPT, "photos", {"comment": "合格"}, lambda h: h.photos.all()),
        "hazards.HazardPhoto.image", PHOTO),
    ("hazards.forms.ReplyForm", "photos"): (
        _action(S.RECTIFYING, Action.SUBMIT_REPLY, "photos",
                {"submitted_by_name": "王建国", "cause": "老化", "handling": "更换", "result": "handled"},
                lambda h: ReplyPhoto.objects.filter(reply__hazard=h)),
        "hazards.ReplyPhoto.image", PHOTO),
    ("hazards.forms.AcknowledgeForm", "signed_scan"): (
        _action(S.NOTIFIED, Action.ACKNOWLEDGE, "signed_scan", {"acknowledged_by_name": "王建国"},
                lambda h: Notice.objects.filter(hazards=h).exclude(signed_scan="")),
        "hazards.Notice.signed_scan", DOCUMENT),
    ("hazards.forms.ReportForm", "document"): (
        _action(S.RECTIFYING, Action.REPORT, "document",
                {"addressee": "市应急管理局", "report_date": today().isoformat()},
                lambda h: h.reports.exclude(document="")),
        "hazards.AuthorityReport.document", DOCUMENT),
    ("audits.forms.PhotoForm", "image"): (_result_photo, "audits.ResultPhoto.image", PHOTO),
    ("portal.forms.PartyReplyForm", "photos"): (_portal_reply, "hazards.ReplyPhoto.image", PHOTO),
}
# Stored uploads that arrive as data: URLs in a text field, not as files (the party's drawn
# signature): their own matrix is tests/portal/test_signature_matrix.py.
DATA_URL_ENTRY_POINTS = {
    ("portal.forms.PartyAcknowledgeForm", "signature"): "portal.PartyAction.signature",
}
# Spreadsheets are read by the importers and never stored (their own tests cover bad sheets).
READ_NOT_STORED = {("scoring.forms.StandardImportForm", "file"), ("audits.forms.ImportForm", "file")}


def project_forms():
    for app in PROJECT_APPS:
        try:
            __import__(f"{app}.forms")
        except ModuleNotFoundError:
            continue
    found, stack = set(), [forms.BaseForm]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in PROJECT_APPS and cls.__module__.endswith(".forms"):
            found.add(cls)
    return found


def model_file_fields():
    return [f for model in apps.get_models() for f in model._meta.get_fields()
            if isinstance(f, models.FileField)]


def test_every_upload_field_is_in_the_matrix():
    form_fields = {(f"{cls.__module__}.{cls.__name__}", name): field
                   for cls in project_forms() for name, field in cls.base_fields.items()
                   if isinstance(field, forms.FileField)}
    assert set(form_fields) - READ_NOT_STORED == set(ENTRY_POINTS), "an upload field is missing from the matrix"
    for key, field in form_fields.items():
        if key in ENTRY_POINTS:
            accept = ENTRY_POINTS[key][2]
            assert isinstance(field, UploadField) and field.accept is accept, key
            # The picker offers exactly what the check accepts.
            assert field.widget.attrs["accept"] == accept.accept_attr, key
    stored = {f"{f.model._meta.label}.{f.name}": f for f in model_file_fields()}
    for label, f in stored.items():
        assert isinstance(f, ScopedFileField) and f.url_name, f"{label} is not served by a scoped view"
    uploaded = {label for label, f in stored.items() if f.accept in uploads.ACCEPTS}
    assert uploaded == {target for _, target, _ in ENTRY_POINTS.values()} | set(DATA_URL_ENTRY_POINTS.values())
    for _, target, accept in ENTRY_POINTS.values():
        assert stored[target].accept == accept.key


def test_every_hand_written_file_input_offers_the_accepted_types():
    inputs = []
    for path in Path(settings.BASE_DIR).glob("*/templates/**/*.html"):
        if ".venv" in path.parts or "node_modules" in path.parts:
            continue
        for tag in re.findall(r"<input[^>]*type=\"file\"[^>]*>", path.read_text()):
            inputs.append((path.name, tag))
    assert inputs, "the inspection page's camera input was not found"
    for name, tag in inputs:
        assert "{% accept_attr 'photo' %}" in tag or "{% accept_attr 'document' %}" in tag, (name, tag)


def test_the_admin_offers_no_upload_field(admin_client, site_a, manager_a, category):
    """Every admin add and change page (with a row of each kind that has files): no file input, so
    nothing reaches storage past the checks (a future one would need a matrix row)."""
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    pages = []
    for model in admin.site._registry:
        opts = model._meta
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        first = model.objects.order_by("pk").first()
        if first is not None:
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]))
    assert reverse("admin:hazards_hazard_change", args=[hazard.pk]) in pages
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code in (200, 403), url
        assert 'type="file"' not in response.content.decode(), url


# ---------------------------------------------------------------- the matrix


@pytest.fixture
def ctx(site_a, manager_a, category):
    return {"site": site_a, "user": manager_a, "category": category}


def media_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def assert_served_safely(client, field_file, data: bytes | None, *, ext: str):
    response = client.get(field_file.url)
    assert response.status_code == 200
    assert field_file.url.startswith(("/hazards/", "/inspections/")) and settings.MEDIA_URL not in field_file.url
    body = b"".join(response.streaming_content)
    if data is not None:
        assert body == data
    file_type = uploads.STORED_TYPES[ext.lstrip(".")]
    assert response["Content-Type"] == file_type.content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert "script-src" not in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"
    disposition = response["Content-Disposition"]
    assert re.fullmatch(r'(inline|attachment); filename="[A-Za-z0-9._-]+"', disposition), disposition
    assert disposition.startswith("inline" if file_type.inline else "attachment")
    assert disposition.endswith(f'{ext}"')
    return response


@pytest.mark.parametrize("case", list(samples.MATRIX))
@pytest.mark.parametrize("entry", list(ENTRY_POINTS), ids=lambda key: f"{key[0].split('.')[-1]}.{key[1]}")
def test_upload_matrix(client, ctx, entry, case, manager_b):
    prepare, target, accept = ENTRY_POINTS[entry]
    make_upload, photo_outcome, document_outcome = samples.MATRIX[case]
    outcome = photo_outcome if accept is PHOTO else document_outcome
    upload = make_upload()
    sent = upload.read()
    upload.seek(0)
    client.force_login(ctx["user"])
    ctx["client"] = client
    url, data, field, rows = prepare(ctx)
    before = media_files()
    data[field] = [upload] if field == "photos" else upload
    # The inspection page sends its photo with htmx and shows the answer in place.
    response = client.post(url, data, **({"HTTP_HX_REQUEST": "true"} if field == "image" else {}))
    stored_files = [getattr(row, target.rsplit(".", 1)[1]) for row in rows()]
    if not outcome.startswith("."):
        # Refused: the page says so, naming the file; nothing was kept (no row, no file).
        assert response.status_code == 200
        assert html.escape(outcome) in response.content.decode()
        assert stored_files == [] and media_files() == before
        if entry[0] == "hazards.forms.HazardRegisterForm":
            assert not Hazard.objects.exists()
        return
    # Stored under a generated name with the detected type's extension, and served safely.
    assert response.status_code in (200, 302)
    (stored,) = stored_files
    assert re.fullmatch(rf"[a-z]+/(signed/)?\d{{4}}/\d{{2}}/[0-9a-f]{{32}}\{outcome}", stored.name), stored.name
    assert upload.name not in stored.name
    new = media_files() - before
    assert stored.name in new
    assert_served_safely(client, stored, sent if case != "heic" else None, ext=outcome)
    row = stored.instance
    thumbnail = getattr(row, "thumbnail", None)
    if thumbnail is not None:
        assert thumbnail and re.search(r"/[0-9a-f]{32}\.jpg$", thumbnail.name)
        assert_served_safely(client, thumbnail, None, ext=".jpg")
        assert new == {stored.name, thumbnail.name}
    else:
        assert new == {stored.name}
    # Another branch, and an anonymous visitor, get what a missing id gets.
    missing = re.sub(r"/\d+/", "/999999/", stored.url, count=1)
    urls = [stored.url] + ([thumbnail.url] if thumbnail else [])
    other_branch, anonymous_client = Client(), Client()
    other_branch.force_login(manager_b)
    for url in urls:
        assert_looks_missing(other_branch, url, re.sub(r"/\d+/", "/999999/", url, count=1))
        anonymous, absent = anonymous_client.get(url), anonymous_client.get(missing)
        assert anonymous.status_code == absent.status_code == 302
        assert anonymous["Location"].split("?")[0] == absent["Location"].split("?")[0] == reverse("login")


# ---------------------------------------------------------------- links to files go through the scoped views


def test_pages_and_admin_link_files_only_through_scoped_views(client, admin_client, ctx, manager_a):
    hazard = make_hazard(S.RECTIFYING, site=ctx["site"], by=manager_a, category=ctx["category"])
    client.force_login(manager_a)
    client.post(reverse("hazards:hazard_action", args=[hazard.pk, Action.ADD_PHOTO]),
                {"expected_version": hazard.version, "kind": "before",
                 "photos": [samples.upload("a.png", samples.png())]})
    hazard.refresh_from_db()
    client.post(reverse("hazards:hazard_action", args=[hazard.pk, Action.REPORT]),
                {"expected_version": hazard.version, "addressee": "市应急管理局", "report_date": today().isoformat(),
                 "document": samples.upload("r.pdf", samples.pdf())})
    photo, report, notice = hazard.photos.get(), hazard.reports.get(), hazard.notices.get()
    pages = {
        "hazard page": client.get(reverse("hazards:hazard_detail", args=[hazard.pk])),
        "admin hazard": admin_client.get(reverse("admin:hazards_hazard_change", args=[hazard.pk])),
        "admin notices": admin_client.get(reverse("admin:hazards_notice_changelist")),
        "admin notice": admin_client.get(reverse("admin:hazards_notice_change", args=[notice.pk])),
    }
    expected = {
        "hazard page": [reverse("hazards:photo_file", args=[photo.pk]), reverse("hazards:photo_thumb", args=[photo.pk]),
                        reverse("hazards:report_file", args=[report.pk]),
                        reverse("hazards:notice_file", args=[notice.pk])],
        "admin hazard": [reverse("hazards:photo_file", args=[photo.pk]),
                         reverse("hazards:report_file", args=[report.pk])],
        "admin notices": [reverse("hazards:notice_file", args=[notice.pk])],
        "admin notice": [reverse("hazards:notice_file", args=[notice.pk])],
    }
    for name, response in pages.items():
        body = response.content.decode()
        assert response.status_code == 200, name
        assert f'"/{settings.MEDIA_URL}' not in body and "/media/" not in body, name
        for url in expected[name]:
            assert f'href="{url}"' in body or f'src="{url}"' in body, (name, url)


def test_a_hostile_file_name_is_shown_as_text(client, ctx):
    """The refusal names the file; a name made of markup stays text (the stored name never has it)."""
    client.force_login(ctx["user"])
    url, data, field, _ = _register(ctx)
    name = '"><img src=x onerror=alert(1)>.svg'
    response = client.post(url, {**data, field: [samples.upload(name, samples.svg())]})
    body = response.content.decode()
    assert html.escape(name) + ": SVG files are not accepted here" in body
    assert "<img src=x" not in body and not Hazard.objects.exists()
