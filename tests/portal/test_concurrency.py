"""Real concurrency on PostgreSQL: the party on two devices (or the party and staff) acting at the
same instant. One wins; the other is refused in words; one history row, one portal record."""

import datetime

import pytest
from django.db import connection

from hazards import services as hazard_services
from hazards.lifecycle import Action, ActionRefused, ChangedMeanwhile
from hazards.models import ExtensionRequest, Hazard, HazardEvent, WorkOrderReply
from portal import services
from portal.models import PartyAction
from tests.hazards.factories import RiskCategoryFactory, make_hazard
from tests.hazards.test_concurrency import run_together

from .conftest import link_for, signature_data_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
CLIENT = services.Client("203.0.113.7", "test")


@pytest.fixture(autouse=True)
def _needs_postgres():
    assert connection.vendor == "postgresql", "row-lock tests need PostgreSQL (set DATABASE_URL)"


def _signature():
    return services.signature_from_data_url(signature_data_url())


@pytest.mark.parametrize("round_", range(2))
def test_two_devices_acknowledge_at_once_one_wins(round_, notified):
    link, _path = link_for(notified.notices.get())
    results = run_together(
        lambda: services.party_acknowledge(link=link, name="王建国", signature=_signature(), client=CLIENT),
        lambda: services.party_acknowledge(link=link, name="王建国", signature=_signature(), client=CLIENT),
    )
    winners = [r for r in results if isinstance(r, list)]
    losers = [r for r in results if isinstance(r, ActionRefused)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert "already been acknowledged" in str(losers[0]) or isinstance(losers[0], ChangedMeanwhile)
    assert HazardEvent.objects.filter(hazard=notified, action=Action.ACKNOWLEDGE).count() == 1
    assert PartyAction.objects.filter(hazard=notified).count() == 1
    assert Hazard.objects.get(pk=notified.pk).status == Hazard.Status.RECTIFYING


def test_party_and_staff_record_the_same_reply_at_once_one_wins(notified, manager_a):
    hazard_services.hazard_acknowledge(hazard=notified, acknowledged_by_name="王建国", by=manager_a)
    hazard = Hazard.objects.get(pk=notified.pk)
    link, _path = link_for(hazard.notices.get())
    results = run_together(
        lambda: services.party_submit_reply(link=link, hazard_id=hazard.pk, cause="c", handling="h",
                                            result="handled", name="王建国", client=CLIENT,
                                            expected_version=hazard.version),
        lambda: hazard_services.hazard_submit_reply(hazard=hazard, cause="c", handling="h", result="handled",
                                                    submitted_by_name="王建国", by=manager_a,
                                                    expected_version=hazard.version),
    )
    winners = [r for r in results if isinstance(r, WorkOrderReply)]
    losers = [r for r in results if isinstance(r, ChangedMeanwhile)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert WorkOrderReply.objects.filter(hazard=hazard).count() == 1
    assert PartyAction.objects.filter(hazard=hazard).count() == (1 if winners[0].recorded_by is None else 0)


def test_revocation_and_an_action_at_once_never_interleave(notified, manager_a):
    link, _path = link_for(notified.notices.get())
    wanted = notified.deadline + datetime.timedelta(days=5)
    results = run_together(
        lambda: services.party_request_extension(link=link, hazard_id=notified.pk, requested_deadline=wanted,
                                                 reason="r", name="王建国", client=CLIENT),
        lambda: services.link_revoke(link=link, by=manager_a),
    )
    extension = ExtensionRequest.objects.filter(hazard=notified).first()
    if isinstance(results[0], services.LinkUnusable):
        assert extension is None and not PartyAction.objects.exists()
    else:
        # The action committed before the revocation took the link's lock: both are recorded.
        assert extension is not None and PartyAction.objects.get().link_id == link.pk
    link.refresh_from_db()
    assert link.revoked_at is not None


def test_two_parties_acknowledging_two_notices_do_not_deadlock(site_a, manager_a, fast_documents):
    hazards = [make_hazard(Hazard.Status.NOTIFIED, site=site_a, by=manager_a, category=RiskCategoryFactory())
               for _ in range(2)]
    links = [link_for(h.notices.get())[0] for h in hazards]
    results = run_together(*[
        (lambda link=link: services.party_acknowledge(link=link, name="王", signature=_signature(), client=CLIENT))
        for link in links])
    assert all(isinstance(r, list) for r in results), results
