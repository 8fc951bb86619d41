"""Lists and exports take hostile query strings without a server error: bad pages, unknown
orderings, impossible dates, ids of nothing, NUL bytes, SQL and markup in the search box."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LISTS = ["org:site_list", "org:unit_tree", "scoring:standard_list", "audits:inspection_list",
         "hazards:hazard_list", "hazards:hazard_export", "home", "planning:task_list", "planning:task_calendar",
         "planning:workload", "planning:my_tasks", "planning:plan_list", "planning:risk_list"]
HOSTILE = [
    {"page": "abc"}, {"page": "-1"}, {"page": "99999999999999999999"},
    {"ordering": "password"}, {"ordering": "-unit__members__user__password"},
    {"deadline_from": "2026-13-45"}, {"discovered_to": "yesterday"}, {"date_from": "0000-00-00"},
    {"unit": "x"}, {"unit": "99999999999"}, {"site": "-5"}, {"category": "1e9"}, {"standard": "[]"},
    {"q": "' OR 1=1 --"}, {"q": "<script>alert(1)</script>"}, {"q": "x" * 10000}, {"q": "a\x00b"},
    {"status": "<b>"}, {"overdue": "maybe"}, {"kind": "\x00"}, {"inspection": "NaN"},
    {"site": "9" * 25}, {"category": "9" * 25}, {"inspection": "9" * 25}, {"q": "%_\\"}, {"q": "丙" * 300},
    {"group": "9" * 25}, {"group": "x"}, {"day": "0001-01-01"}, {"day": "9999-12-31", "view": "week"},
    {"from": "9999-99-99", "to": "0001-01-01"}, {"due_from": "2026-13-45"}, {"source": "\x00"},
]


@pytest.mark.parametrize("name", LISTS)
def test_hostile_query_strings_never_break_a_list(client, manager_a, site_a, name):
    client.force_login(manager_a)
    url = reverse(name)
    for params in HOSTILE:
        response = client.get(url, params)
        # 302: the export sends invalid filters back to the ledger with a message.
        assert response.status_code in (200, 302, 400), (name, params, response.status_code)
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            body = response.content.decode()
            assert "<script>alert(1)</script>" not in body  # echoed input is escaped


GARBAGE_FORM = {
    "expected_version": "abc", "deadline": "2026-99-99", "new_deadline": "x", "requested_deadline": "",
    "date": "junk", "report_date": "junk", "whitelist_months": "-3", "category": "abc", "result": "bogus",
    "approve": "perhaps", "extension": "NaN", "severity": "catastrophic", "discovered_on": "\x00",
    "five_funds": "lots", "site": "x", "description": "", "reason": "", "comment": "x" * 20000,
}


def test_garbage_action_forms_are_refused_with_a_message(client, manager_a, site_a, monkeypatch):
    """Every action form of an in-scope hazard, posted with nonsense: a page, never a server error,
    and the hazard is left as it was."""
    from hazards.lifecycle import Action
    from hazards.models import Hazard, HazardEvent
    from tests.hazards.factories import RiskCategoryFactory, make_hazard

    monkeypatch.setattr("hazards.documents.render_notice_pdf", lambda notice, hazards=None: b"%PDF-1.7 x")
    hazard = make_hazard(Hazard.Status.RECTIFYING, site=site_a, by=manager_a, category=RiskCategoryFactory())
    client.force_login(manager_a)
    events = HazardEvent.objects.count()
    for action in Action.values:
        response = client.post(reverse("hazards:hazard_action", args=[hazard.pk, action]), GARBAGE_FORM)
        assert response.status_code in (200, 302, 400, 404, 409), (action, response.status_code)
    for url in (reverse("hazards:hazard_create"), reverse("hazards:hazard_edit", args=[hazard.pk]),
                reverse("hazards:notify")):
        assert client.post(url, GARBAGE_FORM).status_code in (200, 302, 400, 409), url
    hazard.refresh_from_db()
    assert hazard.status == Hazard.Status.RECTIFYING and HazardEvent.objects.count() == events


def test_garbage_ids_and_versions_on_notify_and_register_are_refused(client, manager_a, site_a, monkeypatch):
    """The notify page and "register from findings" read ids and versions from the request: numbers
    too large for the database, words and other scripts' digits give a page, never a server error,
    and nothing is issued."""
    from hazards.models import Hazard, HazardEvent, Notice
    from tests.hazards.factories import RiskCategoryFactory, register

    monkeypatch.setattr("hazards.documents.render_notice_pdf", lambda notice, hazards=None: b"%PDF-1.7 x")
    hazard = register(site=site_a, by=manager_a, category=RiskCategoryFactory())
    client.force_login(manager_a)
    events = HazardEvent.objects.count()
    notify = reverse("hazards:notify")
    for data in ({"hazards": "9" * 25}, {"site": "9" * 25}, {"site": "٣"}, {"hazards": ["x", "-1", "²"]},
                 {"hazards": hazard.pk, f"version_{hazard.pk}": "abc", "language": "zh-hans"},
                 {"hazards": hazard.pk, f"version_{hazard.pk}": "9" * 25, "language": "zh-hans"}):
        assert client.get(notify, data).status_code in (200, 302, 404), data
        assert client.post(notify, data).status_code in (200, 302, 400, 404, 409), data
    for data in ({"site": "9" * 25}, {"site": "x"}):
        assert client.get(reverse("hazards:hazard_create"), data).status_code == 200
    assert Notice.objects.count() == 0 and HazardEvent.objects.count() == events
    assert Hazard.objects.get(pk=hazard.pk).status == Hazard.Status.REGISTERED


def test_ids_too_large_for_the_database_look_missing_in_every_url(client, company_manager):
    """Every URL with an id, given one past the database's range, by GET and POST: "not found"
    (or the login/method answers), never a server error."""
    from django.urls import URLResolver, get_resolver

    def routes(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if not str(pattern.pattern).startswith("admin"):
                    yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    client.force_login(company_manager)  # a manager who may reach every page (standards included)
    urls = ["/" + re.sub(r"<int:\w+>", "9" * 25, route) for route in routes(get_resolver().url_patterns)
            if "<int:" in route]
    assert len(urls) >= 15
    answers = {(method, url): getattr(client, method)(url).status_code for url in urls for method in ("get", "post")}
    assert set(answers.values()) <= {404, 405}, {k: v for k, v in answers.items() if v not in (404, 405)}
