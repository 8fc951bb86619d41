"""The navigation of every page (templates/base.html) links through org.context_processors.nav to
the same addresses as reverse(), also on pages whose own context has a `nav` of their own (the
inspection's section list)."""

import pytest
from django.urls import reverse

from org.context_processors import NAV_ROUTES, _nav_urls

pytestmark = pytest.mark.django_db

SHOWN = ["home", "kpis", "hazards", "planning", "inspections", "standards", "sites", "units", "inbox", "badge",
         "set_language", "password_change", "logout"]


def test_the_navigation_urls_are_those_of_reverse():
    assert _nav_urls(None, "/") == {key: reverse(route) for key, route in NAV_ROUTES.items()}


@pytest.mark.parametrize("page", ["home", "audits:inspection_detail", "audits:inspection_record"])
def test_every_page_links_the_whole_navigation(client, inspector_a, inspection, page):
    client.force_login(inspector_a)
    url = reverse(page) if page == "home" else reverse(page, args=[inspection.pk])
    response = client.get(url, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    for key in SHOWN:
        address = reverse(NAV_ROUTES[key])
        assert any(f'{attr}="{address}"' in body for attr in ("href", "hx-get", "action")), (page, key)
    assert 'id="nav-dashboard"' in body
