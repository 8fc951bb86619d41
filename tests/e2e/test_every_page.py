"""In the browser at the tablet size (1024×768): one page of every kind a manager reaches by links
(found by the crawl of tests/test_crawl.py), in Chinese and in English. No page may scroll
sideways, log a script error or fail to load a file; each is saved as a screenshot."""

from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import resolve

from org import demo
from tests.test_crawl import crawl

from .conftest import assert_fits_tablet, assert_static_loaded, login, screenshot

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
            assert page.get_attribute("html", "lang") == ("zh-CN" if language == "zh-hans" else "en"), url
            assert_static_loaded(page)
            assert_fits_tablet(page)
            screenshot(page, f"page-{language}-{kind.replace(':', '-')}")
    assert not errors, errors
    assert not failed, failed
