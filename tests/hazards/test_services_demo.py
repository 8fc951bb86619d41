"""The demo seed: every state present, real history and notices, idempotent."""

import pytest

from hazards.models import ExtensionRequest, Hazard, HazardEvent, Notice, WhitelistEntry
from hazards.selectors import with_overdue

pytestmark = pytest.mark.usefixtures("fast_pdf")


def test_demo_seed_covers_every_state_and_is_idempotent(db):
    from audits import demo as audits_demo
    from hazards import demo
    from org import demo as org_demo
    from scoring import demo as scoring_demo

    org_demo.seed()
    scoring_demo.seed()
    audits_demo.seed()
    demo.seed()

    statuses = set(Hazard.objects.values_list("status", flat=True))
    assert statuses == set(Hazard.Status.values)
    assert 30 <= Hazard.objects.count() <= 60
    assert with_overdue(Hazard.objects.all()).filter(is_overdue=True).count() >= 3
    assert Hazard.objects.filter(supervision_count__gte=2).exists()
    assert Notice.objects.filter(kind=Notice.Kind.SUPERVISION).exists()
    assert set(ExtensionRequest.objects.values_list("status", flat=True)) == {"pending", "approved", "denied"}
    assert Hazard.objects.filter(severity="major", status="closed").exists()
    assert Hazard.objects.filter(source=Hazard.Source.INSPECTION).exists()
    assert WhitelistEntry.objects.exists()
    # Every file's history replays to its status
    for hazard in Hazard.objects.all():
        events = list(hazard.events.order_by("at", "id"))
        assert events[-1].to_status == hazard.status and len(events) == hazard.version

    counts = (Hazard.objects.count(), HazardEvent.objects.count(), Notice.objects.count())
    demo.seed()
    assert (Hazard.objects.count(), HazardEvent.objects.count(), Notice.objects.count()) == counts
