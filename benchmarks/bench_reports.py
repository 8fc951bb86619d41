"""PDF of a 300-row inspection report: the full Django path (build the context from the database,
render the template, WeasyPrint) against WeasyPrint alone rendering the same, already-rendered
HTML string. Targets: full path ≤ 3 s, and ≤ 1.5× WeasyPrint alone.

    DJANGO_SETTINGS_MODULE=config.settings.test .venv/bin/python benchmarks/bench_reports.py [--runs 5]

Runs against a throw-away SQLite database in a temporary folder (nothing of yours is touched).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=300, help="rows of the roll-up table (sections + leaves)")
    parser.add_argument("--dump-html", help="also write the rendered HTML here (to profile WeasyPrint)")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-reports-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    import datetime
    from decimal import Decimal

    from django.conf import settings
    from django.template.loader import render_to_string
    from django.utils import translation
    from weasyprint import HTML

    from audits import documents, services
    from core.lifecycle import SYSTEM
    from org import services as org_services
    from org.documents import PDF_FONT_FAMILY, static_roots
    from org.models import OrgUnit
    from org.pdfsandbox import Limits, Resources, make_fetcher
    from scoring.models import Standard, StandardItem

    unit = org_services.orgunit_create(code="BENCH", name="基准测试单位", kind=OrgUnit.Kind.COMPANY)
    standard = Standard.objects.create(name="基准测试标准", status=Standard.Status.ACTIVE)
    sections, per_section = 20, args.rows // 20 - 1  # 20 sections × (1 + 14 leaves) = 300 rows
    for s in range(1, sections + 1):
        code = str(s)
        parent = StandardItem.objects.create(
            standard=standard, code=code, depth=0, sort_key=StandardItem.sort_key_for(code), is_leaf=False,
            title=f"第{s}部分 安全管理要素", points=Decimal(per_section * 4))
        StandardItem.objects.bulk_create([
            StandardItem(standard=standard, parent=parent, code=f"{s}.{n}", depth=1, points=Decimal(4),
                         sort_key=StandardItem.sort_key_for(f"{s}.{n}"), serious=n % 5 == 0,
                         title=f"检查项目{s}.{n}：设备设施运行正常，记录完整，责任落实到人")
            for n in range(1, per_section + 1)])
    inspection = services.inspection_create(standard=standard, kind="self_assessment", unit=unit,
                                            date=datetime.date(2026, 6, 30), by=SYSTEM)
    for i, result in enumerate(inspection.results.select_related("item")):
        problem = f"发现问题{i}：台账记录不完整" if i % 6 == 0 else ""
        services.result_save(inspection=inspection, item=result.item, earned=Decimal(str(i % 5 * 0.75)),
                             not_applicable=False, problem=problem, measure="限期整改" if problem else "",
                             by=SYSTEM)
    rows = len(documents.report_context(inspection)["rows"])

    language = settings.LANGUAGE_CODE
    # Warm up: fonts, template compilation, WeasyPrint's imports.
    documents.render_report_pdf(inspection, language=language)

    def full_path() -> bytes:
        return documents.render_report_pdf(inspection, language=language)

    context = {**documents.report_context(inspection), "table_headers": documents.table_headers(language),
               "problem_headers": documents.problem_headers(language), "pdf_font_family": PDF_FONT_FAMILY,
               "pdf_language": language}
    with translation.override(language):
        html = render_to_string(documents.PDF_TEMPLATE, context)

    if args.dump_html:
        Path(args.dump_html).write_text(html, encoding="utf-8")

    # WeasyPrint alone, in this process, with the same fetcher (our static CSS) as the sandbox.
    fetcher = make_fetcher(Resources(static_roots=static_roots()), Limits())

    def weasyprint_only() -> bytes:
        return HTML(string=html, url_fetcher=fetcher).write_pdf()

    def timed(fn) -> list[float]:
        out = []
        for _ in range(args.runs):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
        return out

    full = statistics.median(timed(full_path))
    bare = statistics.median(timed(weasyprint_only))
    pages = len(HTML(string=html, url_fetcher=fetcher).render().pages)
    print(f"PDF report, {rows} table rows, {pages} pages, median of {args.runs} runs")
    print(f"  full Django path (context + template + WeasyPrint): {full:.3f} s   (target ≤ 3 s)")
    print(f"  WeasyPrint alone on the same HTML:                  {bare:.3f} s")
    print(f"  ratio: {full / bare:.2f}×   (target ≤ 1.5×)")


if __name__ == "__main__":
    main()
