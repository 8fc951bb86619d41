"""Standard lifecycle: draft → active → retired, new versions, item edits only on drafts."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.lifecycle import ActionRefused
from scoring import services
from scoring.models import Standard, StandardItem

from .factories import make_standard, tree_of

pytestmark = pytest.mark.django_db


def test_activate_retires_the_previously_active_version():
    first = make_standard(name="标准", activate=True)
    second = make_standard(name="标准")
    services.standard_activate(standard=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Standard.Status.RETIRED
    assert second.status == Standard.Status.ACTIVE and second.activated_at is not None
    assert Standard.objects.filter(name="标准", status=Standard.Status.ACTIVE).count() == 1


def test_activate_refuses_non_drafts():
    standard = make_standard(activate=True)
    with pytest.raises(ActionRefused, match="Only a draft"):
        services.standard_activate(standard=standard)


def test_retire_only_active():
    standard = make_standard()
    with pytest.raises(ActionRefused, match="Only an active"):
        services.standard_retire(standard=standard)
    services.standard_activate(standard=standard)
    services.standard_retire(standard=standard)
    standard.refresh_from_db()
    assert standard.status == Standard.Status.RETIRED


def test_new_version_copies_the_tree_into_a_draft(django_user_model):
    user = django_user_model.objects.create_superuser("u1", "u1@example.com", "pw")
    active = make_standard(name="复制", activate=True)
    with pytest.raises(ActionRefused, match="manager"):  # a user without a role (scoring.lifecycle)
        services.standard_new_version(standard=active, by=django_user_model.objects.create_user("nobody"))
    draft = services.standard_new_version(standard=active, by=user)
    assert draft.status == Standard.Status.DRAFT and draft.previous_id == active.pk and draft.version == "2"
    assert draft.created_by == user
    assert tree_of(draft) == tree_of(active) and draft.total_points == active.total_points
    copied = {i.code: i for i in draft.items.all()}
    assert copied["1.1.1"].parent_id == copied["1.1"].pk and copied["1.1.1"].standard_id == draft.pk
    with pytest.raises(ValidationError, match="exists already"):
        services.standard_new_version(standard=active)
    with pytest.raises(ActionRefused, match="still a draft"):
        services.standard_new_version(standard=draft)


def test_items_of_an_active_standard_cannot_change():
    standard = make_standard(activate=True)
    item = standard.items.get(code="1.2")
    item.points = Decimal("99")
    with pytest.raises(ActionRefused, match="cannot be changed"):
        services.standard_item_save(item=item)
    with pytest.raises(ActionRefused, match="cannot be changed"):
        services.standard_item_delete(item=item)
    with pytest.raises(ActionRefused, match="cannot be changed"):
        services.standard_delete_draft(standard=standard)
    assert StandardItem.objects.get(pk=item.pk).points == Decimal("10")


def test_draft_item_edits_keep_parents_in_step():
    standard = make_standard()
    # when a leaf changes its points
    leaf = standard.items.get(code="1.1.2")
    leaf.points = Decimal("3.5")
    services.standard_item_save(item=leaf)
    # and a new leaf is added under 2.1
    services.standard_item_save(item=StandardItem(standard=standard, code="2.1.3", title="新增", points=Decimal(2)))
    # then the parents carry the new sums
    points = dict(standard.items.values_list("code", "points"))
    assert points["1.1"] == Decimal("15.5") and points["1"] == Decimal("25.5")
    assert points["2.1"] == Decimal("17") and points["2"] == Decimal("17")
    standard.refresh_from_db()
    assert standard.total_points == Decimal("42.5") and standard.item_count == 12
    # and deleting a section removes its subtree and its points
    services.standard_item_delete(item=standard.items.get(code="1.1"))
    standard.refresh_from_db()
    assert standard.total_points == Decimal("27") and not standard.items.filter(code__startswith="1.1").exists()


def test_item_save_needs_an_existing_parent_and_a_valid_code():
    standard = make_standard()
    with pytest.raises(ValidationError) as exc_info:
        services.standard_item_save(item=StandardItem(standard=standard, code="7.1", title="孤", points=1))
    assert "7" in str(exc_info.value)
    with pytest.raises(ValidationError):
        services.standard_item_save(item=StandardItem(standard=standard, code="1.2", title="重复", points=1))
    assert standard.items.count() == 11


def test_leaf_becoming_a_parent():
    standard = make_standard()
    services.standard_item_save(item=StandardItem(standard=standard, code="1.2.1", title="细项", points=4))
    parent = standard.items.get(code="1.2")
    assert not parent.is_leaf and parent.points == Decimal("4")


def test_delete_draft():
    standard = make_standard()
    services.standard_delete_draft(standard=standard)
    assert Standard.objects.count() == 0 and StandardItem.objects.count() == 0


def test_one_active_per_name_is_a_database_rule():
    from django.db import IntegrityError, transaction

    make_standard(name="唯一", activate=True)
    other = make_standard(name="唯一")
    with pytest.raises(IntegrityError), transaction.atomic():
        Standard.objects.filter(pk=other.pk).update(status=Standard.Status.ACTIVE)
