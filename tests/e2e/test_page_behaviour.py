"""In the browser: the behaviour that used to be inline script and now comes from static files
(static/js/app.js, the CSP refuses inline code) still works: a confirmation question before
submitting an inspection (Cancel sends nothing), the `source` of an autosave (a text field's change
does not re-render the score inputs), the language switch; and no CSP violation on the way."""

import datetime

import pytest
from django.urls import reverse

from audits import services
from tests.audits.factories import make_standard
from tests.factories import make_user

from .conftest import login, watch_csp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_confirm_autosave_source_and_language_switch(page, live_server, site_a):
    user = make_user(site_a.unit.parent, "inspector", username="insp", password="Insp#2026")
    inspection = services.inspection_create(standard=make_standard(), kind="periodic", date=datetime.date(2026, 11, 2),
                                            site=site_a, by=user)
    violations = watch_csp(page)
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append((request.url, request.post_data)))
    login(page, live_server, "insp", "Insp#2026")
    posts.clear()
    page.goto(f"{live_server.url}{reverse('audits:inspection_record', args=[inspection.pk])}")

    # A text field's change is saved with source=problem (htmx, without eval).
    row = page.locator(".result-row").first
    row.locator("summary").click()
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(
            f"/results/{row.get_attribute('id').removeprefix('result-')}/")):
        row.locator("textarea[name=problem]").fill("接地线松动")
        row.locator("textarea[name=problem]").blur()
    saved = [data or "" for url, data in posts if "/results/" in url]
    assert len(saved) == 1 and "source=problem" in saved[0], saved

    # Submitting asks first; Cancel sends nothing and stays on the page.
    record_url = page.url
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.click("#submit-button")
    page.wait_for_timeout(300)
    assert len(questions) == 1 and questions[0]
    assert len(posts) == 1 and page.url == record_url

    # The language switch sends its form on change.
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.get_attribute("html", "lang") == "en"
    assert not violations, violations
