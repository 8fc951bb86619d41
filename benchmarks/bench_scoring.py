"""Scoring benchmarks: import of a 5,000-item standard and roll-up of a 2,000-item inspection.

    .venv/bin/python benchmarks/bench_scoring.py [--runs 50]

Sets up Django itself (config.settings.test unless DJANGO_SETTINGS_MODULE is set) and works in a
throwaway test database (created and dropped like the test runner does), so it never touches
real data. Uses DATABASE_URL if set (PostgreSQL gives the production-like figure).
Targets: import ≥ 2,000 rows/s; roll-up ≤ 20 ms.
"""

import argparse
import io
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from scoring import services  # noqa: E402
from scoring.rollup import LeafResult, rollup, totals  # noqa: E402
from scoring.selectors import standard_rollup_items  # noqa: E402

IMPORT_TARGET_ROWS_PER_S = 2000
ROLLUP_TARGET_MS = 20


def tree_rows(sections: int, subsections: int, leaves: int, rng: random.Random) -> list[list]:
    rows = []
    for a in range(1, sections + 1):
        rows.append([str(a), f"第{a}部分 安全管理要求", None, "", ""])
        for b in range(1, subsections + 1):
            rows.append([f"{a}.{b}", f"第{a}.{b}节 检查内容", None, "", ""])
            for c in range(1, leaves + 1):
                rows.append([f"{a}.{b}.{c}", f"检查项目 {a}.{b}.{c}：设备、制度和记录符合要求",
                             Decimal(rng.choice(["1", "2", "2.5", "3", "5", "0.5"])),
                             "不符合要求每处扣0.5分，扣完为止；未建立记录不得分。", "是" if c % 7 == 0 else "否"])
    rng.shuffle(rows)  # codes in any order, as the import allows
    return rows


def xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(services.EXPORT_HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def bench_import(runs: int) -> float:
    rng = random.Random(1)
    rows = tree_rows(50, 11, 8, rng)  # 50 + 550 + 4,400 = 5,000 items
    data = xlsx(rows)
    timings = []
    for run in range(runs):
        start = time.perf_counter()
        standard = services.standard_import_xlsx(file=data, name=f"基准标准{run}", filename="bench.xlsx")
        timings.append(time.perf_counter() - start)
        assert standard.item_count == len(rows) == 5000
    median = statistics.median(timings)
    rate = len(rows) / median
    print(f"import: {len(rows):,} items, {len(data) / 1024:.0f} KiB xlsx; median {median * 1000:.0f} ms over {runs} "
          f"runs = {rate:,.0f} rows/s (target >= {IMPORT_TARGET_ROWS_PER_S:,} rows/s) "
          f"{'OK' if rate >= IMPORT_TARGET_ROWS_PER_S else 'MISSED'}")
    return rate


def bench_rollup(runs: int) -> float:
    rng = random.Random(2)
    rows = tree_rows(20, 10, 9, rng)  # 20 + 200 + 1,800 = 2,020 items
    standard = services.standard_import_xlsx(file=xlsx(rows), name="基准汇总", filename="bench.xlsx")
    items = standard_rollup_items(standard=standard)
    results = {}
    for item in items:
        if item.is_leaf:
            kind = rng.random()
            if kind < 0.1:
                results[item.id] = LeafResult(None, True, 0)
            elif kind < 0.95:
                earned = (item.points * Decimal(rng.randint(0, 100)) / 100).quantize(Decimal("0.01"))
                results[item.id] = LeafResult(earned, False, rng.choice([0, 0, 0, 1]))
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        table = rollup(items, results)
        total = totals(table)
        timings.append(time.perf_counter() - start)
    median_ms = statistics.median(timings) * 1000
    with_load = []
    for _ in range(max(5, runs // 5)):
        start = time.perf_counter()
        rollup(standard_rollup_items(standard=standard), results)
        with_load.append(time.perf_counter() - start)
    print(f"roll-up: {len(items):,} items ({len(results):,} results); median {median_ms:.2f} ms over {runs} runs "
          f"(target <= {ROLLUP_TARGET_MS} ms) {'OK' if median_ms <= ROLLUP_TARGET_MS else 'MISSED'}; "
          f"with loading the items from the database {statistics.median(with_load) * 1000:.2f} ms; "
          f"total {total.earned}/{total.points} = {total.rate}%")
    return median_ms


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="roll-up runs (default 50)")
    parser.add_argument("--import-runs", type=int, default=3, help="import runs (default 3)")
    args = parser.parse_args()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), Python {sys.version.split()[0]}")
        bench_import(args.import_runs)
        bench_rollup(args.runs)
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
