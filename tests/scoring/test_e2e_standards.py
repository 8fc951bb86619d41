"""In the browser: a manager uploads a small standard, sees its tree, fixes a bad file, activates it."""

import os

import pytest

from org.models import Role
from scoring.models import Standard
from tests.factories import make_user

from .factories import SMALL_ROWS, make_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _async_unsafe():
    # Playwright runs an event loop in the test thread; the ORM calls here are synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _login(page, live_server, username, password):
    try:  # the shared helper, once tests/e2e/conftest.py provides it
        from tests.e2e.conftest import login
    except ImportError:
        login = None
    if login is not None:
        return login(page, live_server, username, password)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-button")
    page.wait_for_url(f"{live_server.url}/")


def test_manager_uploads_a_standard_and_sees_its_tree(page, live_server, company):
    make_user(company, Role.MANAGER, username="mgr", password="pw-123456")
    _login(page, live_server, "mgr", "pw-123456")

    page.goto(f"{live_server.url}/standards/")
    page.click("#import-standard")
    # a bad file first: the errors are listed, nothing is saved
    bad = make_xlsx([["1", "甲", 5, "", ""], ["1.1", "", "abc", "", ""], ["2.1", "孤", 1, "", ""]])
    page.fill("#id_name", "浏览器上传标准")
    page.set_input_files("#id_file", files=[{"name": "bad.xlsx", "mimeType": XLSX, "buffer": bad}])
    page.click("#import-submit")
    errors = page.locator("#import-errors tbody tr")
    assert errors.count() >= 3
    assert "B (评价项目)" in page.locator("#import-errors").inner_text()
    assert Standard.objects.count() == 0

    # then the good file
    page.fill("#id_name", "浏览器上传标准")
    page.set_input_files("#id_file", files=[{"name": "good.xlsx", "mimeType": XLSX, "buffer": make_xlsx(SMALL_ROWS)}])
    page.click("#import-submit")
    page.wait_for_selector("#item-tree")
    tree = page.locator("#item-tree")
    assert tree.locator("tbody tr").count() == len(SMALL_ROWS)
    assert "接地装置" in tree.inner_text() and "2.1.2" in tree.inner_text()
    assert page.locator("#total-points").inner_text() == "45.00"

    page.click("#activate-standard")
    page.wait_for_selector("#new-version")
    assert Standard.objects.get().status == Standard.Status.ACTIVE
    # the page fits a 1024-wide tablet: no horizontal scrolling of the whole page
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
