import datetime

import pytest

from org.models import OrgUnit
from planning.cycles import CycleUnit
from planning.models import Schedule, ScheduleRule
from tests.audits.factories import make_standard
from tests.factories import OrgUnitFactory

D = datetime.date


@pytest.fixture
def standard(db):
    return make_standard()


@pytest.fixture
def group_a(team_a):
    return OrgUnitFactory(code="BA-T1-G1", name="甲一所检查一组", kind=OrgUnit.Kind.GROUP, parent=team_a)


@pytest.fixture
def group_b(branch_b):
    return OrgUnitFactory(code="BB-G1", name="乙检查组", kind=OrgUnit.Kind.GROUP, parent=branch_b)


@pytest.fixture
def rule_a(branch_a, standard):
    return ScheduleRule.objects.create(name="甲月检", unit=branch_a, standard=standard, cycle_unit=CycleUnit.MONTHS,
                                       cycle_length=1, window_days=7)


def make_schedule(site, standard, *, next_due, kind="periodic", cycle_unit=CycleUnit.MONTHS, cycle_length=1,
                  group=None, season="", window_days=7, start_date=None, last_done=None) -> Schedule:
    return Schedule.objects.create(site=site, unit=site.unit, kind=kind, standard=standard, group=group,
                                   cycle_unit=cycle_unit, cycle_length=cycle_length, season=season,
                                   window_days=window_days, start_date=start_date or next_due,
                                   next_due=next_due, last_done=last_done)
