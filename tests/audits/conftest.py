import datetime

import pytest

from audits import services
from org.models import Role
from tests.factories import make_user

from .factories import make_standard


@pytest.fixture
def standard(db):
    return make_standard()


@pytest.fixture
def manager_b(branch_b):
    return make_user(branch_b, Role.MANAGER, username="mgr_b")


@pytest.fixture
def leader_a(branch_a):
    return make_user(branch_a, Role.LEADER, username="leader_a")


@pytest.fixture
def admin_a(branch_a):
    return make_user(branch_a, Role.ADMIN, username="admin_a")


@pytest.fixture
def inspection(standard, site_a, inspector_a):
    return services.inspection_create(standard=standard, kind="periodic", date=datetime.date(2026, 3, 2),
                                      site=site_a, inspectors=[inspector_a], by=inspector_a)
