import datetime
import itertools

import pytest
from django.utils import timezone

from hazards.models import AuthorityReport, Hazard, ServiceVisit
from tests.hazards.factories import RiskCategoryFactory

_numbers = itertools.count(1)


@pytest.fixture
def fast_pdf(monkeypatch):
    """Notices as fixed bytes where their content is not under test (see tests/hazards/conftest.py)."""
    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 test " + notice.number.encode())


@pytest.fixture
def category(db):
    return RiskCategoryFactory(code="ELEC", name="电气设备缺陷", score=5)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    """An aware instant on a local day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def hand_built(*, site, category, by, status=Hazard.Status.REGISTERED, discovered_on, service_visits=0, reports=0,
               **fields) -> Hazard:
    """A hazard row written directly, with exactly the fields a KPI reads (no lifecycle, no
    history): the arithmetic tests need dates and states that the services would not let a test
    reach on one day."""
    values = {"description": "接地线松动", "responsible_name": "王建国", "required_measures": "紧固",
              "deadline": discovered_on + datetime.timedelta(days=14), **fields}
    hazard = Hazard.objects.create(number=f"T-{next(_numbers):06d}", site=site, unit=site.unit, category=category,
                                   status=status, discovered_by=by, discovered_on=discovered_on, **values)
    for _ in range(service_visits):
        ServiceVisit.objects.create(hazard=hazard, date=discovered_on, description="指导", by=by)
    for _ in range(reports):
        AuthorityReport.objects.create(hazard=hazard, addressee="应急局", report_date=discovered_on, by=by)
    return hazard
