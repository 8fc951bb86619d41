"""Issue 10, fault 7: every document prints completely on A4 whatever the user typed.

Real PDFs (WeasyPrint through the sandbox), read back with poppler: `pdftotext -bbox` gives each
word's box on its page, `pdftotext -f N -l N` one page's text."""

import datetime
import re
import shutil
import subprocess
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from audits import documents as audit_documents
from audits import services as audit_services
from hazards.documents import render_notice_pdf
from hazards.models import Notice
from org.models import Site
from scoring.models import StandardItem
from tests.audits.factories import wide_standard
from tests.hazards.factories import RiskCategoryFactory, register, today

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")]

MM = 72 / 25.4
A4_WIDTH = 210 * MM
RIGHT_MARGIN = 16 * MM
URL = "https://hazards.example.com/" + "/".join(f"segment{i:02d}" for i in range(14)) + "?q=" + "x" * 12
assert len(URL) >= 150


class _Words(HTMLParser):
    def __init__(self):
        super().__init__()
        self.pages, self._word = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "page":
            self.pages.append({"width": float(attrs["width"]), "words": []})
        elif tag == "word":
            self._word = {key: float(attrs[key]) for key in ("xmin", "xmax", "ymin", "ymax")}

    def handle_data(self, data):
        if self._word is not None:
            self._word["text"] = data
            self.pages[-1]["words"].append(self._word)
            self._word = None


def words_by_page(path) -> list[dict]:
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    parser = _Words()
    parser.feed(html)
    return parser.pages


def page_texts(path) -> list[str]:
    count = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                                                              check=True).stdout)[1])
    return ["".join(subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(path), "-"], capture_output=True,
                                   text=True, check=True).stdout.split()) for n in range(1, count + 1)]


def assert_inside_the_page(path):
    for number, page in enumerate(words_by_page(path), start=1):
        assert page["width"] == pytest.approx(A4_WIDTH, abs=1)
        outside = [w["text"] for w in page["words"] if w["xmax"] > A4_WIDTH - RIGHT_MARGIN + 1 or w["xmin"] < 0]
        assert outside == [], f"page {number}: {outside}"


@pytest.fixture
def report_with_long_rows(site_a, inspector_a):
    standard = wide_standard(10, 30)
    inspection = audit_services.inspection_create(standard=standard, kind="periodic", date=today(), site=site_a,
                                                  inspectors=[inspector_a], by=inspector_a)
    for item in StandardItem.objects.filter(standard=standard, is_leaf=True).order_by("sort_key"):
        first = item.code.endswith(".1")
        audit_services.result_save(
            inspection=inspection, item=item, by=inspector_a, earned=Decimal("1"), not_applicable=False,
            serious_problems=0, problem=f"见 {URL}" if first else "", measure=URL if first else "")
    return inspection


def test_inspection_report_wraps_a_long_url_and_repeats_every_table_header(report_with_long_rows, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(audit_documents.render_report_pdf(report_with_long_rows, language="en"))

    # A 150-character URL in a problem and a measure stays inside the page (it wraps).
    assert_inside_the_page(path)
    pages = page_texts(path)
    assert sum(text.count("hazards.example.com") for text in pages) == 20  # 10 problems + 10 measures

    # Every page of a table starts with its header row: the score table (310 rows) and the problems.
    rows_of_score_table = [text for text in pages
                           if re.search(r"\d+\.\d+检查项目", text) and "CodeItemProblem" not in text]
    assert len(rows_of_score_table) >= 4
    for text in rows_of_score_table:
        assert "CodeItemStandardpointsEarnedpointsScorerate(%)Seriousproblems" in text
    problem_pages = [text for text in pages if "hazards.example.com" in text]
    assert len(problem_pages) >= 2
    for text in problem_pages:
        assert "CodeItemProblemRectificationmeasure" in text


def test_notice_keeps_a_heading_with_a_row_taller_than_a_page(site_a, manager_a, tmp_path):
    # Given a hazard whose description and measures fill more than a page in their columns
    tall = "\n".join(f"Line {i:02d}: grounding cable loose at cabinet {i}" for i in range(45))[:2000]
    category = RiskCategoryFactory(code="ELEC", name="Electrical")
    hazard = register(site=site_a, by=manager_a, category=category, description=tall,
                      required_measures=f"{URL}\n" + tall[: 2000 - len(URL) - 1], location=URL[:200])
    notice = Notice(kind=Notice.Kind.HAZARD, number="GZ-TEST-00001", site=site_a, unit=site_a.unit,
                    addressee="Wang", deadline=today() + datetime.timedelta(days=10), language="en",
                    issued_by=manager_a)
    path = tmp_path / "notice.pdf"
    path.write_bytes(render_notice_pdf(notice, [hazard]))

    assert_inside_the_page(path)
    pages = page_texts(path)
    # The heading is on the page where the table and its row begin, never alone.
    heading_page = next(text for text in pages if "Hazardsfound" in text)
    assert hazard.number in heading_page and "Line00" in heading_page
    # The row continues on the next pages, each under the repeated header row.
    continued = [page for page in words_by_page(path) if any(w["text"] == "Line" for w in page["words"])]
    assert len(continued) >= 2
    for page in continued:
        header = next(w for w in page["words"] if w["text"] == "Description")
        same_row = {w["text"] for w in page["words"] if abs(w["ymin"] - header["ymin"]) < 1}
        assert {"No.", "Number", "Location", "Description", "Basis", "Required", "Deadline"} <= same_row
        assert header["ymax"] <= min(w["ymin"] for w in page["words"] if w["text"] == "Line")
    # Every line typed is printed, in order, nothing cut.
    printed = "".join(pages)
    positions = [printed.find(f"Line{i:02d}:") for i in range(45)]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)


def test_user_text_in_the_page_header_is_printed_exactly_on_every_page(report_with_long_rows, tmp_path):
    # A site name with every character CSS or HTML would treat specially, and a long one.
    name = 'A&B <Pump> "Room" \'7\' \\ 100% {x}; url(x) ' + "长名称" * 30
    Site.objects.filter(pk=report_with_long_rows.site_id).update(name=name)
    path = tmp_path / "report.pdf"
    path.write_bytes(audit_documents.render_report_pdf(report_with_long_rows, language="zh-hans"))
    expected = "".join(f"{report_with_long_rows.number} · {name}".split())
    pages = page_texts(path)
    assert len(pages) >= 5
    for number, text in enumerate(pages, start=1):
        assert text.startswith(expected), f"page {number}: {text[:120]}"
