"""Issue 11, faults 5 and 6: the deadlines a notice prints never contradict each other, and a
supervision notice cites the deadline its days overdue count from and every earlier notice (number,
date, deadline), in the PDF (both languages) and wherever the notice is shown."""

import datetime
import shutil

import pytest
from django.urls import reverse
from django.utils import translation

from hazards import services
from hazards.documents import render_notice_pdf
from hazards.models import Hazard, Notice
from portal import services as portal_services

from .factories import register, today
from .test_documents import local_date, pdf_text, squash

DAY = datetime.timedelta(days=1)
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


def gettext_in(language, message):
    with translation.override(language):
        return squash(translation.gettext(message))


# --- fault 5: one hazard notice, several deadlines ----------------------------------------------

@pytest.fixture
def two_deadlines(site_a, manager_a, category):
    early, late = today() + 10 * DAY, today() + 25 * DAY
    first = register(site=site_a, by=manager_a, category=category, description="挡鼠板缺失", deadline=early)
    second = register(site=site_a, by=manager_a, category=category, description="盖板缺失", deadline=late)
    return first, second


@needs_poppler
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_hazard_notice_states_under_the_table_only_what_holds_for_every_row(two_deadlines, manager_a, tmp_path,
                                                                            language):
    first, second = two_deadlines
    notice = services.hazard_notify(hazards=[first, second], by=manager_a, language=language)
    text = pdf_text(notice.file.open("rb").read(), tmp_path)
    early, late = local_date(first.deadline, language), local_date(second.deadline, language)
    assert squash(early) in text and squash(late) in text  # each row its own deadline
    # Under the table: not "deadline: <earliest>" as if it held for all, but each row's, the earliest named.
    single = gettext_in(language, "rectification deadline").capitalize() if language == "en" else \
        gettext_in(language, "rectification deadline")
    assert gettext_in(language, "Rectification deadlines") in text
    assert single + ("：" if language != "en" else ":") + squash(early) not in text
    assert text.count(squash(early)) == 2 and text.count(squash(late)) == 1


@needs_poppler
def test_one_shared_deadline_is_stated_as_shared(site_a, manager_a, category, tmp_path):
    deadline = today() + 12 * DAY
    hazards = [register(site=site_a, by=manager_a, category=category, deadline=deadline) for _ in range(2)]
    notice = services.hazard_notify(hazards=hazards, by=manager_a, language="en")
    text = pdf_text(notice.file.open("rb").read(), tmp_path)
    assert gettext_in("en", "(the same for every hazard listed)") in text
    assert "Rectificationdeadlines" not in text


@needs_poppler
def test_a_copy_rendered_after_an_extension_prints_the_deadlines_as_notified(two_deadlines, manager_a, tmp_path):
    first, second = two_deadlines
    notice = services.hazard_notify(hazards=[first, second], by=manager_a, language="en")
    first = Hazard.objects.get(pk=first.pk)
    extension = services.hazard_request_extension(hazard=first, requested_deadline=first.deadline + 30 * DAY,
                                                  reason="备件未到", requested_by_name="王建国", by=manager_a)
    services.hazard_decide_extension(extension=extension, approve=True, comment="同意", by=manager_a)
    text = pdf_text(render_notice_pdf(Notice.objects.get(pk=notice.pk)), tmp_path)
    assert squash(local_date(first.deadline, "en")) in text
    assert squash(local_date(first.deadline + 30 * DAY, "en")) not in text


# --- fault 6: the second supervision notice -------------------------------------------------------

@pytest.fixture
def supervised_twice(site_a, manager_a, category, monkeypatch):
    """GZ (deadline D0) → overdue → DD1 (new deadline D1) → overdue again → DD2 (new deadline D2):
    the days are moved by the services' own "today", never by editing rows."""
    hazard = register(site=site_a, by=manager_a, category=category, deadline=today() + 5 * DAY)
    d0 = hazard.deadline
    original = services.hazard_notify(hazards=[hazard], by=manager_a, language="zh-hans")
    monkeypatch.setattr(services.notices, "local_today", lambda: d0 + 3 * DAY)
    d1 = d0 + 10 * DAY
    first = services.hazard_supervise(hazard=Hazard.objects.get(pk=hazard.pk), new_deadline=d1, by=manager_a)
    monkeypatch.setattr(services.notices, "local_today", lambda: d1 + 4 * DAY)
    d2 = d1 + 14 * DAY
    return {"hazard": Hazard.objects.get(pk=hazard.pk), "original": original, "first": first, "d0": d0, "d1": d1,
            "d2": d2}


def _second(chain, manager_a, language):
    return services.hazard_supervise(hazard=chain["hazard"], new_deadline=chain["d2"], by=manager_a,
                                     language=language)


@needs_poppler
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_second_supervision_cites_the_deadline_it_counts_from_and_the_whole_chain(supervised_twice, manager_a,
                                                                                tmp_path, language):
    chain = supervised_twice
    second = _second(chain, manager_a, language)
    assert (second.days_overdue, second.overdue_from) == (4, chain["d1"])
    text = pdf_text(second.file.open("rb").read(), tmp_path)
    issued = local_date(today(), language)
    for expected in (chain["original"].number, chain["first"].number, issued, local_date(chain["d0"], language),
                     local_date(chain["d1"], language), local_date(chain["d2"], language)):
        assert squash(expected) in text, expected
    with translation.override(language):
        counted = translation.gettext("(counted from the deadline %(deadline)s)") % {
            "deadline": local_date(chain["d1"], language)}
    assert squash(counted) in text
    # The chain, in order: the hazard notice, then the first supervision.
    cited = text[text.index(gettext_in(language, "Earlier notices and deadlines")):]
    assert 0 <= cited.index(chain["original"].number) < cited.index(chain["first"].number)


def test_the_hazard_page_shows_what_each_supervision_cites(client, supervised_twice, manager_a, monkeypatch):
    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 test " + notice.number.encode())
    chain = supervised_twice
    second = _second(chain, manager_a, "zh-hans")
    client.force_login(manager_a)
    page = client.get(reverse("hazards:hazard_detail", args=[chain["hazard"].pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = page[page.index(f'data-notice="{second.number}"'):]
    row = row[:row.index("</div>")]
    for expected in (chain["original"].number, chain["first"].number, chain["d0"].isoformat(),
                     chain["d1"].isoformat()):
        assert expected in row, expected
    assert f"(counted from the deadline {chain['d1'].isoformat()})" in page


def test_the_portal_page_of_a_supervision_shows_what_it_cites(client, supervised_twice, manager_a, monkeypatch):
    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 test " + notice.number.encode())
    chain = supervised_twice
    second = _second(chain, manager_a, "en")
    link, path = portal_services.link_issue(notice=second, address="wang@example.com")
    location = client.get(path)["Location"]
    page = client.get(location + "?lang=en").content.decode()
    cited = page[page.index('id="notice-chain"'):]
    cited = cited[:cited.index("</dd>")]
    for expected in (chain["original"].number, chain["first"].number, chain["d1"].isoformat()):
        assert expected in cited, expected
    assert f"(counted from the deadline {chain['d1'].isoformat()})" in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_e_mail_and_sms_name_the_earliest_deadline_as_the_earliest(two_deadlines, manager_a, monkeypatch,
                                                                      language):
    from notifications.models import Channel, Message

    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 test " + notice.number.encode())
    first, second = two_deadlines
    notice = services.hazard_notify(hazards=[first, second], by=manager_a, language=language)
    words = {"zh-hans": ("最早为", "最早整改期限"), "en": ("the earliest is", "first deadline")}[language]
    for channel, earliest in zip((Channel.EMAIL, Channel.SMS), words, strict=True):
        body = Message.objects.get(about_label=notice.number, channel=channel).body
        assert earliest in body, body


def test_the_hazard_file_lists_what_each_supervision_cites(supervised_twice, manager_a, monkeypatch):
    from hazards.hazard_file import documents, with_file_prefetch

    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 test " + notice.number.encode())
    chain = supervised_twice
    second = _second(chain, manager_a, "en")
    hazard = with_file_prefetch(Hazard.objects.all()).get(pk=chain["hazard"].pk)
    with translation.override("en"):
        notes = {row.number: row.note for row in documents(hazard)}
    note = notes[second.number]
    assert chain["original"].number in note and chain["first"].number in note
    assert f"4 days overdue, counted from the deadline {chain['d1'].isoformat()}" in note
    assert f"deadline {chain['d0'].isoformat()}" in notes[chain["original"].number]
