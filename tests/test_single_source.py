"""Each domain rule is written once. This test reads the source of every app (today's and those
still to come: any top-level folder with an apps.py) and fails when a rule's telltale appears
outside its one home, so a sixth copy of "overdue" cannot be added with the suite green:

| rule | home |
|---|---|
| overdue, open, due within N days, ready to notify (deadline comparisons, the state sets) | hazards/rules.py |
| 得分率 rounding and display (ROUND_HALF_UP) | scoring/rules.py |
| unit scope (a unit path against a user's) | org/selectors.py (and the tree: org models, services, filters) |
| today's local date | core/dates.py |
| work after commit (transaction.on_commit) | core/transaction.py (after_commit) |

If a new reader needs one of these, call the rule (e.g. `rules.overdue_q(prefix="hazard__")`);
if a rule must change, change it there."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

RULES = [
    ("deadline compared with a day", re.compile(r"\bdeadline__(lt|lte|gt|gte|range)\b|\.deadline\s*[<>]|"
                                                 r"\bdeadline\s*[<>]=?\s*today"),
     {"hazards/rules.py"}),
    ("a hazard state set", re.compile(r"\b(DEADLINE_STATES|OPEN_STATES|FINAL_STATES)\b"),
     {"hazards/rules.py", "hazards/lifecycle.py"}),
    # scoring/formulas.py evaluates a spreadsheet's own ROUND() (Excel rounds half away from zero)
    # when a formula cell has no cached value: the sheet's arithmetic, not our rounding rule.
    ("rounding of points and rates", re.compile(r"\bROUND_HALF_(UP|EVEN)\b|round\([^)]*rate"),
     {"scoring/rules.py", "scoring/formulas.py"}),
    ("a unit path prefix", re.compile(r"path\.startswith\(|path__startswith"),
     {"org/selectors.py", "org/models.py", "org/services.py", "org/filters.py", "hazards/demo.py",
      "audits/demo.py"}),
    ("today's date", re.compile(r"\blocaldate\(\)|\bdate\.today\(\)|now\(\)\.date\(\)"),
     {"core/dates.py", "hazards/demo.py"}),
    ("an after-commit callback", re.compile(r"\bon_commit\("), {"core/transaction.py"}),
]


def app_sources():
    for apps_py in sorted(ROOT.glob("*/apps.py")):
        app = apps_py.parent
        for path in sorted(app.rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or "/tests/" in relative:
                continue
            yield relative, path.read_text(encoding="utf-8")


def test_the_scan_sees_the_apps():
    names = {relative.split("/")[0] for relative, _text in app_sources()}
    assert {"core", "org", "scoring", "audits", "hazards"} <= names


@pytest.mark.parametrize("what, pattern, homes", RULES, ids=[r[0] for r in RULES])
def test_each_rule_lives_in_its_home(what, pattern, homes):
    strays = []
    for relative, text in app_sources():
        if relative in homes:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            code = line.split("#", 1)[0]
            if pattern.search(code):
                strays.append(f"{relative}:{number}: {line.strip()}")
    assert not strays, f"{what} written outside {sorted(homes)}:\n" + "\n".join(strays)


def test_each_pattern_does_find_its_rule():
    """The patterns are not vacuous: each matches the home it protects."""
    for what, pattern, homes in RULES:
        home = sorted(homes)[0]
        assert pattern.search((ROOT / home).read_text(encoding="utf-8")), what
