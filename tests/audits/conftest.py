import datetime

import pytest

from audits import services

from .factories import make_standard


@pytest.fixture
def standard(db):
    return make_standard()


@pytest.fixture
def inspection(standard, site_a, inspector_a):
    return services.inspection_create(standard=standard, kind="periodic", date=datetime.date(2026, 3, 2),
                                      site=site_a, inspectors=[inspector_a], by=inspector_a)
