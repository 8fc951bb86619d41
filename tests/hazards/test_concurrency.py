"""Real concurrency on PostgreSQL: threads with their own connections race on the same rows.
Skipped on SQLite outside CI (tests/hazards/conftest.py); in CI a non-PostgreSQL run fails."""

import hashlib
import threading

import pytest
from django.db import connection, connections

from audits.models import Inspection, InspectionResult
from hazards import services
from hazards.lifecycle import ActionRefused, ChangedMeanwhile
from hazards.models import Acceptance, Hazard, HazardEvent, Notice
from scoring.models import Standard, StandardItem

from .factories import make_hazard, register, today

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fast_pdf")]


@pytest.fixture(autouse=True)
def _needs_postgres():
    assert connection.vendor == "postgresql", "row-lock tests need PostgreSQL (set DATABASE_URL)"


def run_together(*jobs):
    """Start all jobs at the same instant; return each one's result or exception."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def runner(i, job):
        try:
            barrier.wait()
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the exception is the result under test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.parametrize("round_", range(3))
def test_accept_and_reject_at_once_one_wins(round_, site_a, manager_a, inspector_a, category):
    # Given a hazard pending acceptance, loaded by two people
    hazard = make_hazard(Hazard.Status.PENDING_ACCEPTANCE, site=site_a, by=manager_a, category=category)
    seen_by_a, seen_by_b = Hazard.objects.get(pk=hazard.pk), Hazard.objects.get(pk=hazard.pk)
    events_before = HazardEvent.objects.filter(hazard=hazard).count()

    # When one accepts and the other rejects at the same moment
    results = run_together(
        lambda: services.hazard_accept(hazard=seen_by_a, by=manager_a, comment="合格",
                                       expected_version=seen_by_a.version),
        lambda: services.hazard_reject(hazard=seen_by_b, reason="不合格", by=inspector_a,
                                       expected_version=seen_by_b.version),
    )

    # Then exactly one wins; the other is told the hazard changed meanwhile; nothing is lost
    winners = [r for r in results if isinstance(r, Acceptance)]
    losers = [r for r in results if isinstance(r, ActionRefused)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], ChangedMeanwhile)
    hazard.refresh_from_db()
    winner = winners[0]
    assert hazard.status == (Hazard.Status.ACCEPTED if winner.result == "accepted" else Hazard.Status.RECTIFYING)
    assert Acceptance.objects.filter(hazard=hazard).count() == 1
    new_events = HazardEvent.objects.filter(hazard=hazard).count() - events_before
    assert new_events == 1
    assert HazardEvent.objects.filter(hazard=hazard, action__in=["accept", "reject"]).count() == 1
    assert hazard.version == seen_by_a.version + 1


def test_accept_twice_without_versions_one_wins(site_a, manager_a, category):
    hazard = make_hazard(Hazard.Status.PENDING_ACCEPTANCE, site=site_a, by=manager_a, category=category)
    copies = [Hazard.objects.get(pk=hazard.pk) for _ in range(2)]
    results = run_together(*[lambda h=h: services.hazard_accept(hazard=h, by=manager_a) for h in copies])
    assert sum(isinstance(r, Acceptance) for r in results) == 1
    assert sum(isinstance(r, ActionRefused) for r in results) == 1
    assert HazardEvent.objects.filter(hazard=hazard, action="accept").count() == 1


def test_numbers_gap_free_under_concurrent_registration(site_a, inspector_a, category):
    threads, per_thread = 8, 10

    def job():
        return [register(site=site_a, by=inspector_a, category=category).number for _ in range(per_thread)]

    results = run_together(*[job for _ in range(threads)])
    assert all(isinstance(r, list) for r in results), results
    numbers = sorted(n for r in results for n in r)
    year = today().year
    assert numbers == [f"YH-{year}-{i:06d}" for i in range(1, threads * per_thread + 1)]
    assert Hazard.objects.count() == threads * per_thread


def test_create_from_findings_at_once_never_twice(site_a, inspector_a, manager_a, category):
    standard = Standard.objects.create(name="检查表", status=Standard.Status.ACTIVE)
    inspection = Inspection.objects.create(number="JC-C", standard=standard, site=site_a, unit=site_a.unit,
                                           date=today(), status=Inspection.Status.SUBMITTED)
    for i in range(1, 6):
        item = StandardItem.objects.create(standard=standard, code=str(i), sort_key=StandardItem.sort_key_for(str(i)),
                                           title=f"项目{i}")
        InspectionResult.objects.create(inspection=inspection, item=item, earned=0, problem=f"问题{i}", measure="整改")
    results = run_together(
        lambda: services.hazards_create_from_inspection(inspection=inspection, by=inspector_a, category=category),
        lambda: services.hazards_create_from_inspection(inspection=inspection, by=manager_a, category=category),
    )
    assert sorted(len(r) for r in results) == [0, 5], results
    assert Hazard.objects.filter(source_result__inspection=inspection).count() == 5


def test_a_slow_notice_render_does_not_block_another_units_notice(site_a, site_b, manager_a, manager_b, category,
                                                                   monkeypatch):
    """Issue 8, fault 7: a notice's render must not hold the company-wide counter, so a branch's
    notice is never held up by another branch's slow (huge) notice."""
    # Given one hazard in each branch, and a renderer that is slow for branch A's notice
    slow_hazard = register(site=site_a, by=manager_a, category=category)
    quick_hazard = register(site=site_b, by=manager_b, category=category)
    slow_started, release_slow = threading.Event(), threading.Event()
    rendered = []

    def render(notice, hazards=None):
        rendered.append((notice.site_id, notice.number))
        if notice.site_id == site_a.pk and not release_slow.is_set():
            slow_started.set()
            release_slow.wait(30)  # branch A's render takes "forever"
        return b"%PDF-1.7 " + notice.number.encode()

    monkeypatch.setattr("hazards.documents.render_notice_pdf", render)
    outcome = {}

    def notify(name, hazard, by):
        try:
            outcome[name] = services.hazard_notify(hazards=[hazard], by=by)
        except Exception as exc:  # noqa: BLE001 - the exception is the result under test
            outcome[name] = exc
        finally:
            connections.close_all()

    slow = threading.Thread(target=notify, args=("slow", slow_hazard, manager_a))
    slow.start()
    assert slow_started.wait(10), "branch A's render did not start"

    # When branch B issues a notice while branch A's is still rendering
    quick = threading.Thread(target=notify, args=("quick", quick_hazard, manager_b))
    quick.start()
    quick.join(timeout=10)
    blocked = quick.is_alive()
    release_slow.set()
    slow.join(timeout=30)
    quick.join(timeout=30)

    # Then B's notice was issued during A's render, and A's was issued after it, renumbered
    assert not blocked, "branch B's notice waited for branch A's render"
    year = today().year
    quick_notice, slow_notice = outcome["quick"], outcome["slow"]
    assert isinstance(quick_notice, Notice) and isinstance(slow_notice, Notice), outcome
    assert quick_notice.number == f"GZ-{year}-00001"
    assert slow_notice.number == f"GZ-{year}-00002"  # gap-free: A took the next number, none lost
    # A was rendered again with the number it was issued under; the stored file is that render
    assert rendered.count((site_a.pk, f"GZ-{year}-00001")) == 1 and (site_a.pk, slow_notice.number) in rendered
    for notice in (quick_notice, slow_notice):
        stored = Notice.objects.get(pk=notice.pk)
        data = stored.file.open("rb").read()
        assert data == b"%PDF-1.7 " + notice.number.encode()
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert set(Hazard.objects.filter(pk__in=[slow_hazard.pk, quick_hazard.pk]).values_list("status", flat=True)) == {
        Hazard.Status.NOTIFIED}
