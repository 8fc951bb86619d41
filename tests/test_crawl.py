"""A new user clicking through every page: starting from home, each demo role follows every link it
is shown (a few of each kind of page), in Chinese and in English. No page may fail, every page
answers in the chosen language, and the Chinese pages show no English sentence that escaped
translation (the demo data is Chinese, so any English words in the page's text are the UI's)."""

import datetime
import re
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import Resolver404, resolve

pytestmark = pytest.mark.django_db

PER_KIND = 3  # pages visited per URL name (e.g. three hazard files, three inspections)
MAX_PAGES = 220
# The zip of hazard files renders a PDF per hazard of the list (seconds per link): it is tested
# on its own (tests/hazards/test_hazard_file.py, tests/e2e/test_hazard_file_browser.py).
SKIP_PREFIXES = ("/admin/", "/static/", "/media/", "/accounts/logout", "/hazards/files.zip")
# A browser's date input shows nothing unless its value is ISO (issue 11, fault 3).
DATE_INPUT_VALUE = re.compile(r'<input type="date"[^>]*?\svalue="([^"]*)"')
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Words that are the same in both languages' UI: units, codes and names of standards.
ALLOWED_LATIN = re.compile(r"^(?:[A-Z0-9/.\-:#×·%()]+|kV|Excel|PDF|xlsx|JC|YH|GZ|DD|DL/T|GB|AQ|PNG|JPEG|WebP)$")


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.text, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.text.append(data.strip())


def raw_choice_values() -> set[str]:
    """The stored codes of every choice in our models (`general`, `notified`, `periodic`…) that
    differ from their English label: such a word in a Chinese page is a code shown raw."""
    from django.apps import apps

    raw = set()
    for model in apps.get_models():
        if model._meta.app_label not in ("org", "audits", "hazards", "scoring", "notifications"):
            continue
        for field in model._meta.get_fields():
            for value, label in getattr(field, "flatchoices", None) or ():
                if isinstance(value, str) and re.fullmatch(r"[a-z][a-z_]+", value) and value != str(label):
                    raw.add(value)
    return raw


def raw_codes(texts: list[str], raw: set[str]) -> list[str]:
    return sorted({word for text in texts for word in re.findall(r"[A-Za-z_]+", text) if word in raw})


def english_phrases(texts: list[str]) -> list[str]:
    """Runs of two or more English words (not codes or units) in the page's visible text."""
    found = []
    for text in texts:
        for run in re.findall(r"[A-Za-z][A-Za-z']+(?:[ ,]+[A-Za-z][A-Za-z']+)+", text):
            words = [w for w in re.split(r"[ ,]+", run) if not ALLOWED_LATIN.match(w)]
            if len(words) >= 2:
                found.append(run)
    return found


@pytest.fixture
def demo_data(db):
    # Seeded as a deployment would be (default language Chinese): the messages the seed writes
    # (risk warnings) are rendered once, in the recipients' language, and shown as stored.
    with override_settings(LANGUAGE_CODE="zh-hans"):
        call_command("seed_demo", verbosity=0)


def crawl(client, language: str) -> dict[str, str]:
    """Follow the links from home; returns {url: content type} of every page answered (200)."""
    client.cookies["django_language"] = language
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    seen, per_kind, visited = set(), Counter(), {}
    raw = raw_choice_values()
    queue = deque(["/"])
    problems = []
    while queue and len(visited) < MAX_PAGES:
        url = queue.popleft()
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            problems.append(f"{url}: a link to no page")
            continue
        kind = match.view_name
        if per_kind[kind] >= PER_KIND:
            continue
        per_kind[kind] += 1
        response = client.get(url)
        if response.status_code in (301, 302):
            continue
        if response.status_code != 200:
            problems.append(f"{url}: HTTP {response.status_code}")
            continue
        visited[url] = response["Content-Type"]
        if not response["Content-Type"].startswith("text/html"):
            continue
        body = response.content.decode()
        lang = "zh-CN" if language == "zh-hans" else "en"
        if f'<html lang="{lang}">' not in body:
            problems.append(f"{url}: not in {language}")
        bad_dates = [value for value in DATE_INPUT_VALUE.findall(body) if not ISO_DATE.match(value)]
        if bad_dates:
            problems.append(f"{url}: date inputs whose value a browser drops: {bad_dates}")
        page = _Page()
        page.feed(body)
        if language == "zh-hans":
            leaked = english_phrases(page.text)
            if leaked:
                problems.append(f"{url}: English in the Chinese page: {leaked[:5]}")
            codes = raw_codes(page.text, raw)
            if codes:
                problems.append(f"{url}: codes shown instead of their labels: {codes}")
        for href in page.links:
            href = urldefrag(href)[0]
            if href.startswith("?"):
                href = urlsplit(url).path + href
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or href in seen:
                continue
            if parts.path.startswith(SKIP_PREFIXES):
                continue
            seen.add(href)
            queue.append(href)
    assert not problems, "\n".join(problems)
    return visited


@pytest.mark.parametrize("username", ["east_inspector", "east_manager", "east_leader", "east_admin"])
def test_every_page_a_role_can_reach_opens_in_its_language(client, demo_data, username):
    client.force_login(get_user_model().objects.get(username=username))
    for language in ("zh-hans", "en"):
        visited = crawl(client, language)
        kinds = {resolve(urlsplit(url).path).view_name for url in visited}
        # the main sections are reached through links alone
        assert {"home", "org:site_list", "hazards:hazard_list", "hazards:hazard_detail", "audits:inspection_list",
                "audits:inspection_detail", "scoring:standard_list"} <= kinds, sorted(kinds)
        assert len(visited) >= 25, len(visited)


def test_the_crawler_notices_english_left_in_a_chinese_page():
    page = _Page()
    page.feed('<p>隐患台账</p><p>No hazards match these filters.</p><p>10 kV 配电室 JC-2026-00001 DL/T 572</p>'
              '<script>var a = "some english words";</script><style>.a-b {color: red}</style>')
    assert english_phrases(page.text) == ["No hazards match these filters"]


def test_the_crawler_notices_a_choice_code_shown_raw():
    raw = raw_choice_values()
    assert {"general", "major", "notified", "periodic"} <= raw
    page = _Page()
    page.feed("<p>隐患等级: general → major</p><p>10 kV 配电室</p>")
    assert raw_codes(page.text, raw) == ["general", "major"]


def _query_counts(client, urls) -> dict[str, int]:
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        counts[url] = len(queries)
    return counts


def test_no_page_runs_more_queries_as_rows_grow(client, demo_data, monkeypatch):
    """Every HTML page the manager reaches runs as many queries after a few dozen more hazards
    (with their history, notices and replies) and inspections on the same sites as before."""
    from audits import services as audit_services
    from hazards.models import RiskCategory
    from org.models import Site
    from scoring.models import Standard
    from tests.hazards.factories import S, make_hazard

    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 " + notice.number.encode())
    manager = get_user_model().objects.get(username="east_manager")
    client.force_login(manager)
    # Every risk level's list has a row before (an empty page skips its row query): the last
    # east sites take the levels the demo did not give them.
    from org.models import RiskLevel
    east = Site.objects.filter(unit__path__startswith=manager.membership.unit.path, active=True).order_by("-code")
    for site, level in zip(east, RiskLevel.values, strict=False):
        if not east.filter(risk_level=level).exists():
            Site.objects.filter(pk=site.pk).update(risk_level=level)
    urls = [url for url, kind in crawl(client, "en").items() if kind.startswith("text/html")]
    before = _query_counts(client, urls)

    category = RiskCategory.objects.order_by("code").first()
    standard = Standard.objects.filter(status=Standard.Status.ACTIVE).order_by("name").first()
    sites = Site.objects.filter(unit__path__startswith=manager.membership.unit.path).order_by("code")[:4]
    for site in sites:
        for state in (S.REGISTERED, S.RECTIFYING, S.PENDING_ACCEPTANCE, S.CLOSED, S.VOIDED):
            make_hazard(state, site=site, by=manager, category=category)
        audit_services.inspection_create(standard=standard, kind="special", site=site, by=manager,
                                         date=datetime.date(2026, 11, 1))
    after = _query_counts(client, urls)
    grown = {url: (before[url], after[url]) for url in urls if after[url] != before[url]}
    assert not grown, grown
    assert len(urls) >= 25
