"""The hazard rules, each written ONCE, in its SQL form (a `Q`) and its Python form side by side.
Everything else (the lifecycle guards, selectors, the ledger filter, the home panel, the export,
the admin, notifications' reminder scan, KPIs) calls these; `tests/hazards/test_rules.py` checks
that the two forms agree on boundary data, and `tests/test_single_source.py` that nobody writes
a private copy.

- **Open** (未销号): registered, notified, rectifying, pending acceptance or accepted, i.e. neither
  closed nor voided.
- **Overdue** (超期): the party owes the rectification (notified or rectifying) and the deadline is
  before today's local date (`core.dates.today_local`, settings.TIME_ZONE). The deadline day
  itself is still in time; at local midnight the hazard becomes one day overdue. Registered
  hazards (not yet notified) and hazards awaiting or past acceptance are never overdue.
- **Due within N days** (临期): the party owes the rectification and the deadline is today or one of
  the next N days (N=0: due today). Overdue hazards are not "due within". `days_left` / `due_in_q`
  are the same rule for "exactly N days ahead" (the reminders).
- **Ready to notify / complete file** (建档完整): responsible party, required measures and deadline
  entered; a major hazard also has the five in place (五落实) and its governance plan. A text
  counts as missing when it holds only white space (BLANK_CHARACTERS).

Every `..._q` takes `prefix` for a query from a related model (e.g. `prefix="hazard__"`).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.dates import today_local

from .models import Hazard

S = Hazard.Status

# States in which the responsible party owes the rectification: deadlines run, overdue applies.
DEADLINE_STATES = frozenset({S.NOTIFIED, S.RECTIFYING})
OPEN_STATES = frozenset({S.REGISTERED, S.NOTIFIED, S.RECTIFYING, S.PENDING_ACCEPTANCE, S.ACCEPTED})
FINAL_STATES = frozenset({S.CLOSED, S.VOIDED})


def _sorted(states) -> list[str]:
    return sorted(str(s) for s in states)


# ---------------------------------------------------------------- open

def open_q(*, prefix: str = "") -> Q:
    return Q(**{f"{prefix}status__in": _sorted(OPEN_STATES)})


def is_open(status: str) -> bool:
    return status in OPEN_STATES


def is_final(status: str) -> bool:
    """True for a closed (销号) or voided hazard: no action applies any more."""
    return status in FINAL_STATES


# ---------------------------------------------------------------- owed (deadlines run)

def owed_q(*, prefix: str = "") -> Q:
    """The party owes the rectification (notified or rectifying): the deadline runs."""
    return Q(**{f"{prefix}status__in": _sorted(DEADLINE_STATES)})


def is_owed(status: str) -> bool:
    return status in DEADLINE_STATES


# ---------------------------------------------------------------- overdue

def overdue_q(today: datetime.date | None = None, *, prefix: str = "") -> Q:
    today = today or today_local()
    return Q(**{f"{prefix}status__in": _sorted(DEADLINE_STATES), f"{prefix}deadline__lt": today})


def deadline_passed(deadline: datetime.date | None, today: datetime.date | None = None) -> bool:
    """The deadline day is over (it is in time until local midnight at its end)."""
    return deadline is not None and deadline < (today or today_local())


def deadline_passed_q(today: datetime.date | None = None, *, prefix: str = "") -> Q:
    """The SQL form of deadline_passed (whatever the state: e.g. a work order that fell due)."""
    return Q(**{f"{prefix}deadline__lt": today or today_local()})


def overdue(status: str, deadline: datetime.date | None, today: datetime.date | None = None) -> bool:
    """The Python form of overdue_q for plain values (export rows, ledger dicts)."""
    return status in DEADLINE_STATES and deadline_passed(deadline, today)


def is_overdue(hazard, today: datetime.date | None = None) -> bool:
    return overdue(hazard.status, hazard.deadline, today)


def days_overdue(status: str, deadline: datetime.date | None, today: datetime.date | None = None) -> int | None:
    """Whole local days past the deadline (1 on the day after it), None when not overdue."""
    today = today or today_local()
    return (today - deadline).days if overdue(status, deadline, today) else None


def hazard_days_overdue(hazard, today: datetime.date | None = None) -> int | None:
    return days_overdue(hazard.status, hazard.deadline, today)


# ---------------------------------------------------------------- due within N days

def due_within_q(days: int, today: datetime.date | None = None, *, prefix: str = "") -> Q:
    if days < 0:
        raise ValueError("days must be 0 or more")
    today = today or today_local()
    return Q(**{f"{prefix}status__in": _sorted(DEADLINE_STATES), f"{prefix}deadline__gte": today,
                f"{prefix}deadline__lte": today + datetime.timedelta(days=days)})


def due_within(status: str, deadline: datetime.date | None, days: int,
               today: datetime.date | None = None) -> bool:
    if days < 0:
        raise ValueError("days must be 0 or more")
    today = today or today_local()
    return (status in DEADLINE_STATES and deadline is not None
            and today <= deadline <= today + datetime.timedelta(days=days))


def is_due_within(hazard, days: int, today: datetime.date | None = None) -> bool:
    return due_within(hazard.status, hazard.deadline, days, today)


def days_left(status: str, deadline: datetime.date | None, today: datetime.date | None = None) -> int | None:
    """Whole days until the deadline (0 on the deadline day) while the party owes the
    rectification and the deadline has not passed; None otherwise."""
    today = today or today_local()
    if status not in DEADLINE_STATES or deadline is None or deadline_passed(deadline, today):
        return None
    return (deadline - today).days


def due_in_q(days: Iterable[int], today: datetime.date | None = None, *, prefix: str = "") -> Q:
    """Owed, with the deadline exactly N days ahead for one of `days` (reminders "3 days and 1 day
    before, and on the day": days=(3, 1, 0)). The SQL form of `days_left(...) in days`."""
    days = sorted(set(days))
    if any(n < 0 for n in days):
        raise ValueError("days must be 0 or more")
    today = today or today_local()
    return Q(**{f"{prefix}status__in": _sorted(DEADLINE_STATES),
                f"{prefix}deadline__in": [today + datetime.timedelta(days=n) for n in days]})


# ---------------------------------------------------------------- ready to notify (complete file)

# What counts as white space in a required text: the ASCII ones and the ideographic space that a
# Chinese input method types. Spelled out (not str.isspace) so SQL and Python agree exactly.
BLANK_CHARACTERS = " \t\n\r\f\v\u3000"
_BLANK_RE = "^[" + re.escape(BLANK_CHARACTERS) + "]*$"

# Before any hazard is notified (label: how the refusal names the missing piece).
NOTIFY_REQUIRED = (
    ("responsible_name", _("responsible party")),
    ("required_measures", _("required measures")),
    ("deadline", _("rectification deadline")),
)
# A major hazard (重大隐患) also needs the five in place (五落实) and its governance plan (治理方案).
MAJOR_REQUIRED = (
    ("five_responsible_person", _("five in place (五落实): responsible person")),
    ("five_measures", _("five in place (五落实): measures")),
    ("five_funds", _("five in place (五落实): funds")),
    ("five_deadline", _("five in place (五落实): time limit")),
    ("five_contingency_plan", _("five in place (五落实): contingency plan")),
    ("plan_goal", _("governance plan: goal and tasks")),
    ("plan_methods", _("governance plan: methods and measures")),
    ("plan_funds_materials", _("governance plan: funds and materials")),
    ("plan_organisation", _("governance plan: organisation and people")),
    ("plan_time_limit", _("governance plan: time limit and schedule")),
    ("plan_safety_measures", _("governance plan: safety measures and contingency plan")),
)
# The fields a major hazard's file has beyond a general one's (forms, services, export, admin).
MAJOR_FIELDS = tuple(name for name, _label in MAJOR_REQUIRED)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip(BLANK_CHARACTERS))


def _text(name: str) -> bool:
    return Hazard._meta.get_field(name).get_internal_type() in ("CharField", "TextField")


def _blank_q(name: str, prefix: str) -> Q:
    if _text(name):
        return Q(**{f"{prefix}{name}__regex": _BLANK_RE})
    return Q(**{f"{prefix}{name}__isnull": True})


def notify_missing(hazard) -> list[str]:
    """Every piece a hazard lacks before it may be notified, as the user reads it (empty: ready)."""
    required = NOTIFY_REQUIRED + (MAJOR_REQUIRED if hazard.severity == Hazard.Severity.MAJOR else ())
    return [str(label) for name, label in required if is_blank(getattr(hazard, name))]


def notify_ready_q(*, prefix: str = "") -> Q:
    """The SQL form of `not notify_missing(hazard)`."""
    missing = Q()
    for name, _label in NOTIFY_REQUIRED:
        missing |= _blank_q(name, prefix)
    major_missing = Q()
    for name, _label in MAJOR_REQUIRED:
        major_missing |= _blank_q(name, prefix)
    missing |= Q(**{f"{prefix}severity": Hazard.Severity.MAJOR}) & major_missing
    return ~missing


def major_values(severity: str, values: dict) -> dict:
    """The major-hazard fields of `values` to keep: all of them for a major hazard, none for a
    general one (a form may post them while hidden)."""
    if severity != Hazard.Severity.MAJOR:
        return {}
    return {name: values[name] for name in MAJOR_FIELDS if name in values}
