"""In the browser at the tablet size (1024×768): one page of every kind a manager reaches by links
(found by the crawl of tests/test_crawl.py), in Chinese and in English. No page may scroll
sideways, log a script error, fail to load a file or violate the Content-Security-Policy (no inline
script or style, nothing from another origin); each is saved as a screenshot. The Django admin's
pages are opened the same way under the same policy."""

from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, resolve, reverse

from hazards.models import Hazard
from org import demo
from tests.test_crawl import crawl

from .conftest import assert_fits_tablet, assert_static_loaded, assert_strict_csp, login, screenshot, watch_csp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def one_page_per_kind(language: str) -> dict[str, str]:
    client = Client()
    client.force_login(get_user_model().objects.get(username="east_manager"))
    pages = {}
    for url, content_type in crawl(client, language).items():
        kind = resolve(urlsplit(url).path).view_name
        if content_type.startswith("text/html") and kind not in pages:
            pages[kind] = url
    return pages


def test_every_kind_of_page_fits_the_tablet_in_both_languages(page, live_server):
    call_command("seed_demo", verbosity=0)
    errors, failed = [], []
    violations = watch_csp(page)
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    page.on("console", lambda message: message.type == "error" and errors.append(f"{page.url}: {message.text}"))
    page.on("requestfailed", lambda request: failed.append(request.url))
    login(page, live_server, "east_manager", demo.DEMO_PASSWORD)
    for language in ("zh-hans", "en"):
        with page.expect_navigation():
            page.select_option("#language-select", language)
        pages = one_page_per_kind(language)
        assert len(pages) >= 15, sorted(pages)
        for kind, url in sorted(pages.items()):
            response = page.goto(f"{live_server.url}{url}")
            assert response.status == 200, url
            assert_strict_csp(response)
            assert page.get_attribute("html", "lang") == ("zh-CN" if language == "zh-hans" else "en"), url
            assert_static_loaded(page)
            assert_fits_tablet(page)
            screenshot(page, f"page-{language}-{kind.replace(':', '-')}")
    assert not violations, violations
    assert not errors, errors
    assert not failed, failed


def test_django_admin_works_under_the_csp(page, live_server):
    """Every admin changelist, add form and change form as the superuser, under the policy: no
    violation, and the admin's own scripts ran (the filter sidebar and the date shortcuts)."""
    call_command("seed_demo", verbosity=0)
    errors, violations = [], watch_csp(page)
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    # (Not "failed to load resource": the 403 of add forms the admin does not offer, the favicon.)
    page.on("console", lambda message: message.type == "error" and "Failed to load resource" not in message.text
            and errors.append(f"{page.url}: {message.text}"))
    login(page, live_server, "admin", demo.ADMIN_PASSWORD)
    response = page.goto(f"{live_server.url}{reverse('admin:index')}")
    assert_strict_csp(response)
    opened = 0
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls = [reverse(f"{info}_changelist")]
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            urls.append(reverse(f"{info}_change", args=[obj.pk]))
        try:
            urls.append(reverse(f"{info}_add"))
        except NoReverseMatch:
            pass
        for url in urls:
            response = page.goto(f"{live_server.url}{url}")
            assert response.status in (200, 403), url  # 403: an admin without an add form
            opened += 1
    assert opened >= 20
    # The admin's JavaScript really runs under the policy: its sidebar toggle works.
    page.goto(f"{live_server.url}{reverse('admin:hazards_hazard_change', args=[Hazard.objects.order_by('pk')[0].pk])}")
    shifted = page.evaluate("document.getElementById('main').classList.contains('shifted')")
    page.click("#toggle-nav-sidebar")
    assert page.evaluate("document.getElementById('main').classList.contains('shifted')") != shifted
    assert not violations, violations
    assert not errors, errors
    # The watch itself sees a violation: a style attribute set from script is refused and reported.
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_timeout(200)
    assert any("style-src" in v for v in violations), violations
