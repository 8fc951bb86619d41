import datetime
import re
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from audits import lifecycle, services
from audits.lifecycle import Action
from audits.models import Inspection, InspectionEvent, InspectionResult, ResultPhoto
from core.lifecycle import SYSTEM, ActionRefused
from org.models import NumberCounter, Role
from scoring.models import Standard
from tests.factories import make_user

from .factories import item, make_standard

pytestmark = pytest.mark.django_db
S = Inspection.Status


def score_all(inspection, by, earned=None):
    for result in inspection.results.select_related("item"):
        services.result_save(inspection=inspection, item=result.item, by=by, not_applicable=False,
                             earned=result.item.points if earned is None else earned)


# ---------------------------------------------------------------- creation

def test_create_makes_one_empty_result_per_leaf_and_a_created_event(inspection, standard, inspector_a, site_a):
    assert inspection.status == S.DRAFT
    assert inspection.unit == site_a.unit
    assert inspection.number.startswith(f"JC-{datetime.date.today().year}-")
    leaves = standard.items.filter(is_leaf=True)
    assert inspection.results.count() == leaves.count() == 10
    assert not inspection.results.exclude(earned=None).exists()
    event = inspection.events.get()
    assert (event.action, event.from_status, event.to_status, event.actor) == ("created", "", "draft", inspector_a)


def test_numbers_are_sequential_per_year(standard, site_a, inspector_a):
    made = [services.inspection_create(standard=standard, kind="periodic", date=datetime.date(2026, 1, 5),
                                       site=site_a, by=inspector_a) for _ in range(3)]
    year = datetime.date.today().year
    assert [i.number for i in made] == [f"JC-{year}-00001", f"JC-{year}-00002", f"JC-{year}-00003"]
    assert NumberCounter.objects.get(key="inspection", year=year).last == 3


def test_a_refused_creation_uses_no_number(standard, site_a, site_b, inspector_a):
    services.inspection_create(standard=standard, kind="periodic", date=datetime.date(2026, 1, 5), site=site_a,
                               by=inspector_a)
    with pytest.raises(ValidationError):
        services.inspection_create(standard=standard, kind="periodic", date=datetime.date(2026, 1, 5), site=site_b,
                                   by=inspector_a)
    third = services.inspection_create(standard=standard, kind="periodic", date=datetime.date(2026, 1, 5),
                                       site=site_a, by=inspector_a)
    assert third.number.endswith("-00002")


def test_only_an_active_standard(site_a, inspector_a):
    draft = make_standard(name="草稿标准", status=Standard.Status.DRAFT)
    with pytest.raises(ValidationError) as exc:
        services.inspection_create(standard=draft, kind="periodic", date=datetime.date(2026, 1, 5), site=site_a,
                                   by=inspector_a)
    assert "standard" in exc.value.message_dict
    assert not Inspection.objects.exists()


def test_site_and_unit_must_be_in_scope(standard, site_b, branch_b, inspector_a):
    for target in ({"site": site_b}, {"unit": branch_b}):
        with pytest.raises(ValidationError, match="outside your unit"):
            services.inspection_create(standard=standard, kind="periodic", date=datetime.date(2026, 1, 5),
                                       by=inspector_a, **target)
    assert not Inspection.objects.exists()
    assert not InspectionEvent.objects.exists()


def test_self_assessment_of_a_unit(standard, branch_a, manager_a):
    inspection = services.inspection_create(standard=standard, kind="self_assessment", unit=branch_a,
                                            date=datetime.date(2026, 1, 5), by=manager_a)
    assert inspection.site is None and inspection.unit == branch_a


def test_a_leader_may_not_create(standard, site_a, leader_a):
    with pytest.raises(ActionRefused):
        services.inspection_create(standard=standard, kind="periodic", site=site_a, date=datetime.date(2026, 1, 5),
                                   by=leader_a)


def test_inspectors_outside_scope_refused(standard, site_a, inspector_a, inspector_b):
    with pytest.raises(ValidationError) as exc:
        services.inspection_create(standard=standard, kind="periodic", site=site_a, date=datetime.date(2026, 1, 5),
                                   inspectors=[inspector_b], by=inspector_a)
    assert "inspectors" in exc.value.message_dict


# ---------------------------------------------------------------- results

def test_result_save_stores_decimal_and_texts(inspection, standard, inspector_a):
    leaf = item(standard, "1.1.1.2")
    result = services.result_save(inspection=inspection, item=leaf, earned=Decimal("1.75"), not_applicable=False,
                                  finding=" 查看台账 ", problem="岗位责任制未覆盖外包人员",
                                  measure="补充外包人员责任制", serious_problems=0, by=inspector_a)
    result.refresh_from_db()
    assert result.earned == Decimal("1.75")
    assert (result.finding, result.problem, result.updated_by) == ("查看台账", "岗位责任制未覆盖外包人员", inspector_a)


@pytest.mark.parametrize("earned, message", [
    (Decimal("3.51"), "exceed the standard points 3.50"),
    (Decimal("-1"), "negative"),
    (Decimal("1.001"), "2 decimal places"),
    ("abc", "not a number"),
])
def test_result_save_refuses_bad_earned(inspection, standard, inspector_a, earned, message):
    leaf = item(standard, "1.1.1.1")
    with pytest.raises(ValidationError, match=message):
        services.result_save(inspection=inspection, item=leaf, earned=earned, not_applicable=False, by=inspector_a)
    assert InspectionResult.objects.get(inspection=inspection, item=leaf).earned is None


def test_result_save_refuses_earned_with_not_applicable_and_serious_on_na(inspection, standard, inspector_a):
    leaf = item(standard, "2.2.1")
    with pytest.raises(ValidationError, match="not both"):
        services.result_save(inspection=inspection, item=leaf, earned=Decimal("1"), not_applicable=True,
                             by=inspector_a)
    with pytest.raises(ValidationError, match="cannot have serious problems"):
        services.result_save(inspection=inspection, item=leaf, earned=None, not_applicable=True, serious_problems=1,
                             by=inspector_a)


def test_result_save_refuses_a_section(inspection, standard, inspector_a):
    with pytest.raises(ValidationError):
        services.result_save(inspection=inspection, item=item(standard, "1.1"), earned=Decimal("1"),
                             not_applicable=False, by=inspector_a)


def test_not_applicable_clears_earned(inspection, standard, inspector_a):
    leaf = item(standard, "2.2.2")
    services.result_save(inspection=inspection, item=leaf, earned=Decimal("4"), not_applicable=False, by=inspector_a)
    result = services.result_save(inspection=inspection, item=leaf, earned=None, not_applicable=True, by=inspector_a)
    assert result.earned is None and result.not_applicable


# ---------------------------------------------------------------- lifecycle

def test_unscored_leaves_block_submit_and_are_listed(inspection, standard, inspector_a):
    for code in ("1.1.1.1", "1.1.1.2"):
        services.result_save(inspection=inspection, item=item(standard, code), earned=Decimal("1"),
                             not_applicable=False, by=inspector_a)
    services.result_save(inspection=inspection, item=item(standard, "3.1"), earned=None, not_applicable=True,
                         by=inspector_a)
    with pytest.raises(ValidationError) as exc:
        services.inspection_submit(inspection=inspection, by=inspector_a)
    text = " ".join(exc.value.messages)
    assert "7 item(s)" in text and "1.1.2" in text and "2.2.2" in text and "1.1.1.1" not in text
    inspection.refresh_from_db()
    assert inspection.status == S.DRAFT
    assert list(inspection.events.values_list("action", flat=True)) == ["created"]


def test_submit_locks_editing_and_writes_event(inspection, standard, inspector_a):
    score_all(inspection, inspector_a)
    services.inspection_submit(inspection=inspection, by=inspector_a)
    inspection.refresh_from_db()
    assert inspection.status == S.SUBMITTED and inspection.submitted_at
    event = inspection.events.last()
    assert (event.action, event.from_status, event.to_status, event.actor) == ("submitted", "draft", "submitted",
                                                                               inspector_a)
    with pytest.raises(ActionRefused, match="only be changed while it is a draft"):
        services.result_save(inspection=inspection, item=item(standard, "1.1.2"), earned=Decimal("0"),
                             not_applicable=False, by=inspector_a)
    assert InspectionResult.objects.get(inspection=inspection, item__code="1.1.2").earned == Decimal("4")


def test_reopen_requires_manager_and_reason(inspection, inspector_a, manager_a):
    score_all(inspection, inspector_a)
    services.inspection_submit(inspection=inspection, by=inspector_a)
    with pytest.raises(ActionRefused, match="manager"):
        services.inspection_reopen(inspection=inspection, reason="打错分", by=inspector_a)
    with pytest.raises(ValidationError) as exc:
        services.inspection_reopen(inspection=inspection, reason="  ", by=manager_a)
    assert "reason" in exc.value.message_dict
    services.inspection_reopen(inspection=inspection, reason="2.1.2 分值录入错误", by=manager_a)
    inspection.refresh_from_db()
    assert inspection.status == S.DRAFT
    event = inspection.events.last()
    assert (event.action, event.comment, event.actor) == ("reopened", "2.1.2 分值录入错误", manager_a)


def test_lock_is_final(inspection, inspector_a, manager_a):
    score_all(inspection, inspector_a)
    services.inspection_submit(inspection=inspection, by=inspector_a)
    services.inspection_lock(inspection=inspection, by=manager_a)
    inspection.refresh_from_db()
    assert inspection.status == S.LOCKED and inspection.locked_at
    with pytest.raises(ActionRefused, match="final"):
        services.inspection_reopen(inspection=inspection, reason="x", by=manager_a)
    assert [e.action for e in inspection.events.all()] == ["created", "submitted", "locked"]


ROLE_USERS = {"inspector": Role.INSPECTOR, "manager": Role.MANAGER, "leader": Role.LEADER, "admin": Role.ADMIN}
EXPECTED = {
    # (status, action): roles that may
    (S.DRAFT, Action.RECORD): {"inspector", "manager", "admin"},
    (S.DRAFT, Action.SUBMIT): {"inspector", "manager", "admin"},
    (S.DRAFT, Action.REOPEN): set(),
    (S.DRAFT, Action.LOCK): set(),
    (S.SUBMITTED, Action.RECORD): set(),
    (S.SUBMITTED, Action.SUBMIT): set(),
    (S.SUBMITTED, Action.REOPEN): {"manager", "admin"},
    (S.SUBMITTED, Action.LOCK): {"manager", "admin"},
    (S.LOCKED, Action.RECORD): set(),
    (S.LOCKED, Action.SUBMIT): set(),
    (S.LOCKED, Action.REOPEN): set(),
    (S.LOCKED, Action.LOCK): set(),
}


def _run(action, inspection, user, standard):
    if action == Action.RECORD:
        services.result_save(inspection=inspection, item=item(standard, "1.1.2"), earned=Decimal("3"),
                             not_applicable=False, by=user)
    elif action == Action.SUBMIT:
        services.inspection_submit(inspection=inspection, by=user)
    elif action == Action.REOPEN:
        services.inspection_reopen(inspection=inspection, reason="复核", by=user)
    else:
        services.inspection_lock(inspection=inspection, by=user)


@pytest.mark.parametrize("status, action", list(EXPECTED))
@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_transition_table(status, action, role, standard, site_a, branch_a, inspector_a, manager_a):
    """Every move for every role: allowed ones happen (with their event), refused ones change nothing."""
    inspection = services.inspection_create(standard=standard, kind="periodic", site=site_a,
                                            date=datetime.date(2026, 2, 1), by=inspector_a)
    score_all(inspection, inspector_a)
    if status != S.DRAFT:
        services.inspection_submit(inspection=inspection, by=inspector_a)
    if status == S.LOCKED:
        services.inspection_lock(inspection=inspection, by=manager_a)
    user = make_user(branch_a, ROLE_USERS[role], username=f"u_{role}")
    inspection.refresh_from_db()
    events_before = inspection.events.count()
    allowed = role in EXPECTED[(status, action)]
    assert (action in lifecycle.allowed_actions(inspection, user)) is allowed
    if allowed:
        _run(action, inspection, user, standard)
        inspection.refresh_from_db()
        target = lifecycle.TRANSITIONS[action].target
        assert inspection.status == (target or status)
        assert inspection.events.count() == events_before + (1 if target else 0)
    else:
        with pytest.raises(ActionRefused):
            _run(action, inspection, user, standard)
        inspection.refresh_from_db()
        assert inspection.status == status
        assert inspection.events.count() == events_before


def test_superuser_without_membership_may_do_everything(inspection, inspector_a, django_user_model):
    root = django_user_model.objects.create_superuser("root", "r@example.com", "pw")
    assert lifecycle.allowed_actions(inspection, root) == {Action.RECORD, Action.SUBMIT}


def test_other_units_user_is_refused_by_services(inspection, standard, inspector_b, manager_b, inspector_a):
    with pytest.raises(ActionRefused, match="outside your unit"):
        services.result_save(inspection=inspection, item=item(standard, "1.1.2"), earned=Decimal("1"),
                             not_applicable=False, by=inspector_b)
    score_all(inspection, inspector_a)
    services.inspection_submit(inspection=inspection, by=inspector_a)
    with pytest.raises(ActionRefused, match="outside your unit"):
        services.inspection_lock(inspection=inspection, by=manager_b)


def test_events_are_append_only(inspection, inspector_a, manager_a):
    score_all(inspection, inspector_a)
    first = list(InspectionEvent.objects.filter(inspection=inspection).values_list("pk", "action", "at"))
    services.inspection_submit(inspection=inspection, by=inspector_a)
    services.inspection_reopen(inspection=inspection, reason="补拍照片", by=manager_a)
    services.inspection_submit(inspection=inspection, by=inspector_a)
    rows = list(InspectionEvent.objects.filter(inspection=inspection).values_list("pk", "action", "at"))
    assert rows[: len(first)] == first
    assert [r[1] for r in rows] == ["created", "submitted", "reopened", "submitted"]


# ---------------------------------------------------------------- photos

def _png(size=(8, 8)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_photo_add_validates_image(inspection, inspector_a):
    result = inspection.results.select_related("item").first()
    photo = services.photo_add(inspection=inspection, result=result, by=inspector_a,
                               image=SimpleUploadedFile("p.png", _png(), content_type="image/png"))
    # Stored under a generated name with the detected type, with a thumbnail; the client's name is gone.
    assert re.fullmatch(r"inspections/\d{4}/\d{2}/[0-9a-f]{32}\.png", photo.image.name)
    assert photo.thumbnail.name.endswith(".jpg") and "p.png" not in photo.image.name
    with pytest.raises(ValidationError, match="p.jpg is not a file of an accepted type"):
        services.photo_add(inspection=inspection, result=result, by=inspector_a,
                           image=SimpleUploadedFile("p.jpg", b"not an image at all", content_type="image/jpeg"))
    assert ResultPhoto.objects.count() == 1


def test_photo_size_limit(inspection, inspector_a, monkeypatch):
    import dataclasses

    from org import uploads

    monkeypatch.setattr("audits.services.PHOTO", dataclasses.replace(uploads.PHOTO, max_bytes=50))
    result = inspection.results.select_related("item").first()
    with pytest.raises(ValidationError, match="at most 0 MB"):
        services.photo_add(inspection=inspection, result=result, by=inspector_a,
                           image=SimpleUploadedFile("p.png", _png((64, 64)), content_type="image/png"))


# ---------------------------------------------------------------- concurrency (PostgreSQL)

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_get_distinct_gap_free_numbers(site_a, inspector_a):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    standard = make_standard(name="并发标准")
    errors, barrier = [], threading.Barrier(4)

    def create():
        from django.db import connection as thread_connection
        try:
            barrier.wait()
            services.inspection_create(standard=standard, kind="periodic", site=site_a,
                                       date=datetime.date(2026, 1, 1), by=SYSTEM)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    year = datetime.date.today().year
    assert sorted(Inspection.objects.values_list("number", flat=True)) == [f"JC-{year}-0000{n}" for n in range(1, 5)]
