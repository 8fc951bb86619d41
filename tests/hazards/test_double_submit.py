"""One-time tokens (org/once.py): every form that creates something, sent twice with the same token
(a double click, a reload of the POST), creates once; the second sending is led to the first one's
result. A form shown again with errors can be corrected and sent with its token; a token is
nobody else's; on PostgreSQL, two sendings at the same instant create once (threads with their own
connections), and in the browser a double click on "register" registers one hazard."""

import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from audits.models import Inspection
from hazards.models import Hazard, Notice, ServiceVisit
from org import once
from org.models import Role, SubmissionToken
from scoring.models import Standard
from tests.audits.factories import make_standard as make_active_standard
from tests.audits.test_imports import GOOD_ROWS, sheet
from tests.factories import make_user
from tests.scoring.factories import SMALL_ROWS, make_xlsx

from .factories import make_hazard, register, today
from .test_concurrency import run_together
from .test_views import make_inspection_with_problems

pytestmark = pytest.mark.usefixtures("fast_pdf")
TOKEN = re.compile(r'name="once_token" value="([^"]+)"')


@dataclass
class Case:
    form_url: str  # the page that shows the form (its token is read from there)
    post_url: str
    data: Callable[[], dict]  # fresh data for each sending (uploads are consumed)
    count: Callable[[], int]  # the rows the form creates


@pytest.fixture
def mgr(client, manager_a):
    client.force_login(manager_a)
    return client


def _register_data(site, category):
    return lambda: {"site": site.pk, "category": category.pk, "severity": "general", "description": "接地线松动",
                    "discovered_on": today().isoformat(), "location": "1 号配电室"}


def _cases(site_a, manager_a, category) -> dict[str, Callable[[], Case]]:
    """Built lazily: each case makes only the rows it needs."""

    def hazard_register():
        return Case(reverse("hazards:hazard_create"), reverse("hazards:hazard_create"),
                    _register_data(site_a, category), Hazard.objects.count)

    def notice_issue():
        hazard = register(site=site_a, by=manager_a, category=category)
        url = reverse("hazards:notify")
        return Case(f"{url}?site={site_a.pk}&hazards={hazard.pk}", url,
                    lambda: {"site": site_a.pk, "hazards": [hazard.pk], "language": "zh-hans",
                             f"version_{hazard.pk}": hazard.version}, Notice.objects.count)

    def hazard_action():
        hazard = make_hazard(Hazard.Status.RECTIFYING, site=site_a, by=manager_a, category=category)
        url = reverse("hazards:hazard_action", args=[hazard.pk, "service"])
        return Case(url, url, lambda: {"expected_version": Hazard.objects.get(pk=hazard.pk).version,
                                       "date": today().isoformat(), "description": "现场指导整改"},
                    ServiceVisit.objects.count)

    def hazards_from_findings():
        inspection = make_inspection_with_problems(site_a, manager_a)
        return Case(reverse("audits:inspection_detail", args=[inspection.pk]),
                    reverse("hazards:create_from_inspection", args=[inspection.pk]),
                    lambda: {"category": category.pk}, Hazard.objects.count)

    def inspection_new():
        standard = make_active_standard()
        url = reverse("audits:inspection_create")
        return Case(url, url, lambda: {"site": site_a.pk, "standard": standard.pk, "kind": "periodic",
                                       "date": today().isoformat()}, Inspection.objects.count)

    def results_import():
        standard = make_active_standard()
        url = reverse("audits:inspection_import")

        def data():
            upload = io.BytesIO(sheet(GOOD_ROWS))
            upload.name = "results.xlsx"
            return {"file": upload, "standard": standard.pk, "site": site_a.pk, "kind": "self_assessment",
                    "date": today().isoformat()}
        return Case(url, url, data, Inspection.objects.count)

    def standard_import():
        url = reverse("scoring:standard_import")
        return Case(url, url, lambda: {"name": "上传标准", "file": SimpleUploadedFile(
            "std.xlsx", make_xlsx(SMALL_ROWS), content_type="application/octet-stream")}, Standard.objects.count)

    def standard_new_version():
        standard = make_active_standard(name="在用标准")
        return Case(reverse("scoring:standard_detail", args=[standard.pk]),
                    reverse("scoring:standard_new_version", args=[standard.pk]), dict, Standard.objects.count)

    return {f.__name__: f for f in (hazard_register, notice_issue, hazard_action, hazards_from_findings,
                                    inspection_new, results_import, standard_import, standard_new_version)}


CASES = ["hazard_register", "notice_issue", "hazard_action", "hazards_from_findings", "inspection_new",
         "results_import", "standard_import", "standard_new_version"]


def _token(client, url) -> str:
    page = client.get(url)
    assert page.status_code == 200, url
    tokens = TOKEN.findall(page.content.decode())
    assert tokens, f"{url} shows no one-time token"
    return tokens[-1]


@pytest.mark.parametrize("name", CASES)
def test_the_same_form_sent_twice_creates_once(mgr, site_a, manager_a, company_manager, category, name):
    # given a creation form as the page showed it
    if name.startswith("standard_"):  # standards are company-wide: kept by the top unit's managers
        mgr.force_login(company_manager)
    case = _cases(site_a, manager_a, category)[name]()
    token, before = _token(mgr, case.form_url), case.count()
    # when it is sent twice
    first = mgr.post(case.post_url, {**case.data(), once.FIELD: token})
    created = case.count()
    second = mgr.post(case.post_url, {**case.data(), once.FIELD: token})
    # then the rows were created once, and the second sending leads to the first one's result, saying so
    assert first.status_code == 302, (name, first.status_code)
    assert created > before and case.count() == created, name
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert "already been sent" in " ".join(str(m) for m in get_messages(second.wsgi_request))
    # while a fresh page's token creates again (the token is per form shown, not per user or URL)
    if name not in ("hazards_from_findings", "notice_issue", "standard_new_version"):  # once per source anyway
        mgr.post(case.post_url, {**case.data(), once.FIELD: _token(mgr, case.form_url)})
        assert case.count() > created, name


def test_a_form_shown_again_with_errors_can_be_corrected_and_sent(mgr, site_a, category):
    token = _token(mgr, reverse("hazards:hazard_create"))
    bad = mgr.post(reverse("hazards:hazard_create"), {**_register_data(site_a, category)(), "description": "",
                                                      once.FIELD: token})
    assert bad.status_code == 200 and not Hazard.objects.exists()
    assert not SubmissionToken.objects.filter(token=token).exists()  # released
    good = mgr.post(reverse("hazards:hazard_create"), {**_register_data(site_a, category)(), once.FIELD: token})
    assert good.status_code == 302 and Hazard.objects.count() == 1


def test_a_failing_view_releases_its_token(mgr, site_a, category, monkeypatch):
    token = _token(mgr, reverse("hazards:hazard_create"))
    monkeypatch.setattr("hazards.services.hazard_register", _raise)
    mgr.raise_request_exception = True
    with pytest.raises(RuntimeError):
        mgr.post(reverse("hazards:hazard_create"), {**_register_data(site_a, category)(), once.FIELD: token})
    assert not SubmissionToken.objects.exists()


def _raise(**kwargs):
    raise RuntimeError("boom")


def test_another_users_token_is_refused(mgr, client, site_a, category, branch_a):
    token = _token(mgr, reverse("hazards:hazard_create"))
    mgr.post(reverse("hazards:hazard_create"), {**_register_data(site_a, category)(), once.FIELD: token})
    other = Client()
    other.force_login(make_user(branch_a, Role.MANAGER, username="other_mgr"))
    response = other.post(reverse("hazards:hazard_create"), {**_register_data(site_a, category)(), once.FIELD: token})
    assert response.status_code == 400 and Hazard.objects.count() == 1


def test_a_sending_still_running_is_not_repeated(mgr, manager_a, site_a, category, monkeypatch):
    # given a first sending that has claimed the token and not finished
    monkeypatch.setattr(once, "WAIT_SECONDS", 0.3)
    SubmissionToken.objects.create(token="in-flight", user=manager_a)
    # when the form is sent again
    response = mgr.post(reverse("hazards:hazard_create"), {**_register_data(site_a, category)(),
                                                            once.FIELD: "in-flight"})
    # then nothing is done twice and the user is told why
    assert response.status_code == 409 and 'id="once-pending"' in response.content.decode()
    assert not Hazard.objects.exists()


def test_without_a_token_the_form_works_as_before(mgr, site_a, category):
    assert mgr.post(reverse("hazards:hazard_create"), _register_data(site_a, category)()).status_code == 302
    assert Hazard.objects.count() == 1 and not SubmissionToken.objects.exists()


def test_tokens_older_than_a_day_are_purged(mgr, manager_a, site_a, category):
    old = SubmissionToken.objects.create(token="old", user=manager_a, result_url="/")
    SubmissionToken.objects.filter(pk=old.pk).update(created_at=old.created_at - once.KEEP * 2)
    mgr.post(reverse("hazards:hazard_create"), {**_register_data(site_a, category)(), once.FIELD: "new"})
    assert list(SubmissionToken.objects.values_list("token", flat=True)) == ["new"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_sendings_at_the_same_instant_create_once(round_, site_a, manager_a, category):
    assert connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL)"
    token = once.new_token()

    def send():
        client = Client()
        client.force_login(manager_a)
        return client.post(reverse("hazards:hazard_create"), {**_register_data(site_a, category)(),
                                                               once.FIELD: token})

    first, second = run_together(send, send)
    assert Hazard.objects.count() == 1
    hazard_url = reverse("hazards:hazard_detail", args=[Hazard.objects.get().pk])
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == hazard_url


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_double_click_on_register_creates_one_hazard(page, live_server, site_a, manager_a, category, monkeypatch):
    assert connection.vendor == "postgresql", "needs PostgreSQL: the live server's threads share SQLite's connection"
    from hazards import services
    from tests.e2e.conftest import login

    # The server takes a moment, as on a busy day: the second click lands while the first runs.
    register_now = services.hazard_register
    monkeypatch.setattr(services, "hazard_register", lambda **kw: (time.sleep(0.6), register_now(**kw))[1])

    posts = []
    page.on("request", lambda request: request.method == "POST" and "/hazards/new/" in request.url
            and posts.append(request.url))
    login(page, live_server, manager_a.username, "pw-123456")
    page.goto(f"{live_server.url}{reverse('hazards:hazard_create')}")
    data = _register_data(site_a, category)()
    page.select_option("#id_site", str(data["site"]))
    page.select_option("#id_category", str(data["category"]))
    page.select_option("#id_severity", data["severity"])
    page.fill("#id_description", data["description"])
    page.fill("#id_location", data["location"])
    page.fill("#id_discovered_on", data["discovered_on"])
    # A double click as people do it, 150 ms apart (Chromium merges two clicks of the same instant
    # into one sending; Playwright's own second click would wait for the first navigation). The
    # page disables the button once sent (data-busy), so the second sending is the form's own
    # submit(), which no script sees: what a browser without our script or a tap before the
    # button was disabled sends. The server must still make one hazard of the two.
    page.evaluate("""() => { const button = document.getElementById("hazard-submit");
                             button.click();
                             setTimeout(() => HTMLFormElement.prototype.submit.call(button.form), 150); }""")
    expect(page).to_have_url(re.compile(r".*/hazards/\d+/$"), timeout=20_000)  # polls across the aborted first
    assert len(posts) == 2, posts  # the browser really sent the form twice
    hazard = Hazard.objects.get()
    assert page.url == f"{live_server.url}{reverse('hazards:hazard_detail', args=[hazard.pk])}"
    assert hazard.number in page.locator("main").inner_text()
