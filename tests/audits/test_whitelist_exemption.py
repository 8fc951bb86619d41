"""A whitelisted item (verified normal, frozen) is exempt in new inspections of that site only,
and only during the freeze period."""

import datetime

import pytest

from audits import services
from audits.models import InspectionResult
from hazards.models import WhitelistEntry

pytestmark = pytest.mark.django_db


def _new(standard, site, by, date):
    return services.inspection_create(standard=standard, kind="periodic", date=date, site=site, by=by)


def test_whitelisted_item_is_exempt_during_freeze(standard, site_a, site_b, inspector_a, manager_a):
    leaf = standard.items.filter(is_leaf=True).order_by("sort_key").first()
    WhitelistEntry.objects.create(site=site_a, item=leaf, frozen_until=datetime.date(2026, 6, 30),
                                  created_by=manager_a, reason="现场核实正常")
    during = _new(standard, site_a, inspector_a, datetime.date(2026, 6, 1))
    after = _new(standard, site_a, inspector_a, datetime.date(2026, 7, 1))

    exempt = InspectionResult.objects.get(inspection=during, item=leaf)
    assert exempt.exempt and exempt.not_applicable and exempt.earned is None
    assert InspectionResult.objects.filter(inspection=during, exempt=True).count() == 1
    assert not InspectionResult.objects.get(inspection=after, item=leaf).exempt


def test_whitelist_of_another_site_or_revoked_does_not_exempt(standard, site_a, inspector_a, manager_a, team_a):
    from tests.factories import SiteFactory

    other = SiteFactory(unit=team_a)
    leaf = standard.items.filter(is_leaf=True).first()
    WhitelistEntry.objects.create(site=other, item=leaf, frozen_until=datetime.date(2026, 12, 31),
                                  created_by=manager_a)
    from django.utils import timezone
    WhitelistEntry.objects.create(site=site_a, item=leaf, frozen_until=datetime.date(2026, 12, 31),
                                  created_by=manager_a, revoked_at=timezone.now())
    inspection = _new(standard, site_a, inspector_a, datetime.date(2026, 6, 1))
    assert not InspectionResult.objects.filter(inspection=inspection, exempt=True).exists()
