"""In the browser, on the demo organisation: log in, switch language, filter sites, open a site,
and the scoping of detail pages. Each main page is saved as a screenshot under artifacts/."""

import pytest

from org import demo
from org.models import OrgUnit, Site

from .conftest import assert_fits_tablet, assert_static_loaded, login, logout, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_org(db):
    demo.seed()
    return {"east": OrgUnit.objects.get(code="JZ-E"), "west": OrgUnit.objects.get(code="JZ-W")}


def _lang(page) -> str:
    return page.get_attribute("html", "lang")


def _language_cookie(page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == "django_language"), None)


def test_wrong_password_shows_error_then_right_password_lands_on_populated_home(page, live_server, demo_org):
    login(page, live_server, "east_inspector", "not-the-password", expect_success=False)
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    error = page.locator(".alert-danger")
    assert error.is_visible() and "密码" in error.inner_text()
    assert_static_loaded(page)
    screenshot(page, "login-error")

    login(page, live_server, "east_inspector", demo.DEMO_PASSWORD)
    east = demo_org["east"]
    assert page.locator("h1").inner_text() == east.name
    active_sites = Site.objects.filter(unit__path__startswith=east.path, active=True).count()
    assert active_sites > 0
    assert page.locator("#stat-sites").inner_text() == str(active_sites)
    # the teams of the branch are listed, the other branches' are not
    body = page.locator("main").inner_text()
    assert "东湖供电所" in body and "西山供电所" not in body
    assert_static_loaded(page)
    assert_fits_tablet(page)
    screenshot(page, "home-zh")


def test_language_switch_is_remembered_per_user(page, live_server, demo_org):
    login(page, live_server, "east_manager", demo.DEMO_PASSWORD)
    assert _lang(page) == "zh-CN"
    assert page.locator("nav.navbar").get_by_text("检查对象").is_visible()

    with page.expect_navigation() as navigation:
        page.select_option("#language-select", "en")
    assert navigation.value.headers["content-language"] == "en"
    assert _lang(page) == "en"
    assert page.locator("nav.navbar").get_by_role("link", name="Sites", exact=True).is_visible()
    assert "Active sites" in page.locator("main").inner_text()
    assert _language_cookie(page) == "en"
    assert_fits_tablet(page)
    screenshot(page, "home-en")

    # the cookie keeps the login page in English after logging out …
    logout(page)
    assert _lang(page) == "en" and page.locator("h1").inner_text() == "Log in"
    screenshot(page, "login-en")
    # … and the choice is stored for the user: a fresh browser (no cookie) gets it after login
    page.context.clear_cookies()
    login(page, live_server, "east_manager", demo.DEMO_PASSWORD)
    assert _lang(page) == "en"
    response = page.goto(f"{live_server.url}/org/sites/")
    assert response.headers["content-language"] == "en"
    assert page.locator("h1").inner_text() == "Sites"

    with page.expect_navigation() as navigation:
        page.select_option("#language-select", "zh-hans")
    assert navigation.value.headers["content-language"] == "zh-hans"
    assert _lang(page) == "zh-CN" and page.locator("h1").inner_text() == "检查对象"
    assert _language_cookie(page) == "zh-hans"


def test_filter_sites_by_class_and_text_then_open_one(page, live_server, demo_org):
    east = demo_org["east"]
    login(page, live_server, "east_inspector", demo.DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("nav.navbar a[href='/org/sites/']")
    visible = Site.objects.filter(unit__path__startswith=east.path)
    assert page.locator("#site-table tbody tr").count() == min(visible.count(), 25)
    assert_static_loaded(page)
    assert_fits_tablet(page)
    screenshot(page, "sites")

    # by class
    page.select_option("#id_site_class", "high_risk")
    with page.expect_navigation():
        page.click("#filter-apply")
    expected = set(visible.filter(site_class=Site.SiteClass.HIGH_RISK).values_list("code", flat=True))
    assert expected and _codes(page) == expected

    # by class and text
    page.fill("#id_q", "煤矿")
    with page.expect_navigation():
        page.click("#filter-apply")
    expected = set(visible.filter(site_class=Site.SiteClass.HIGH_RISK, name__contains="煤矿")
                   .values_list("code", flat=True))
    assert expected and _codes(page) == expected
    assert "site_class=high_risk" in page.url
    screenshot(page, "sites-filtered")

    # text that matches nothing: the empty state
    page.fill("#id_q", "不存在的客户")
    with page.expect_navigation():
        page.click("#filter-apply")
    assert page.locator("#site-table").count() == 0 and page.locator(".empty-state").is_visible()

    # open a site
    page.go_back()
    first = page.locator("#site-table tbody tr").first
    code = first.locator("code").inner_text()
    with page.expect_navigation():
        first.locator("a").click()
    site = Site.objects.get(code=code)
    assert page.url == f"{live_server.url}/org/sites/{site.pk}/"
    assert site.name in page.locator("h1").inner_text()
    main = page.locator("main").inner_text()
    assert site.contact_name in main and site.contact_email in main and code in main
    assert_fits_tablet(page)
    screenshot(page, "site-detail")


def test_unit_tree_page(page, live_server, demo_org):
    login(page, live_server, "east_leader", demo.DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("nav.navbar a[href='/org/units/']")
    body = page.locator("main").inner_text()
    assert demo_org["east"].name in body and demo_org["west"].name not in body
    assert_fits_tablet(page)
    screenshot(page, "unit-tree")


def test_site_of_another_branch_is_not_found(page, live_server, demo_org):
    east_site = Site.objects.filter(unit__path__startswith=demo_org["east"].path).order_by("code").first()
    login(page, live_server, "west_inspector", demo.DEMO_PASSWORD)

    response = page.goto(f"{live_server.url}/org/sites/{east_site.pk}/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "未找到"
    assert east_site.name not in page.content()
    missing = page.goto(f"{live_server.url}/org/sites/999999/")
    assert missing.status == 404
    assert_static_loaded(page)
    screenshot(page, "not-found")

    # nor does it show up in the list when searched for
    page.goto(f"{live_server.url}/org/sites/?q={east_site.code}")
    assert page.locator("#site-table").count() == 0


def _codes(page) -> set[str]:
    return set(page.locator("#site-table tbody tr td:first-child code").all_inner_texts())
