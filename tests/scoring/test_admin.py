from decimal import Decimal

import pytest
from django.urls import reverse

from scoring.models import Standard, StandardItem

from .factories import make_standard

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("boss", "b@example.com", "pw"))
    return client


def test_admin_lists_and_searches(admin_client_):
    make_standard(name="可搜索的标准")
    response = admin_client_.get(reverse("admin:scoring_standard_changelist"), {"q": "可搜索"})
    assert response.status_code == 200 and "可搜索的标准" in response.content.decode()
    response = admin_client_.get(reverse("admin:scoring_standarditem_changelist"), {"q": "接地"})
    assert response.status_code == 200 and "接地装置" in response.content.decode()


def test_active_items_are_read_only_and_not_deletable(admin_client_):
    standard = make_standard(activate=True)
    item = standard.items.get(code="1.2")
    url = reverse("admin:scoring_standarditem_change", args=[item.pk])
    page = admin_client_.get(url).content.decode()
    assert 'name="title"' not in page
    admin_client_.post(url, {"code": "1.2", "title": "改了", "points": "99"})
    assert StandardItem.objects.get(pk=item.pk).title == "安全培训"
    assert admin_client_.post(reverse("admin:scoring_standarditem_delete", args=[item.pk]),
                              {"post": "yes"}).status_code == 403
    assert admin_client_.post(reverse("admin:scoring_standard_delete", args=[standard.pk]),
                              {"post": "yes"}).status_code == 403
    assert Standard.objects.filter(pk=standard.pk).exists()


def test_draft_item_edit_through_admin_recomputes_parents(admin_client_):
    standard = make_standard()
    item = standard.items.get(code="1.2")
    response = admin_client_.post(reverse("admin:scoring_standarditem_change", args=[item.pk]),
                                  {"code": "1.2", "title": "安全培训", "points": "4", "criteria": "", "serious": ""})
    assert response.status_code == 302
    standard.refresh_from_db()
    assert standard.items.get(code="1").points == Decimal("24") and standard.total_points == Decimal("39")


def test_admin_add_item_with_missing_parent_shows_error(admin_client_):
    standard = make_standard()
    response = admin_client_.post(reverse("admin:scoring_standarditem_add"),
                                  {"standard": standard.pk, "code": "9.1", "title": "孤", "points": "1"})
    assert response.status_code == 200 and "does not exist" in response.content.decode()
    assert standard.items.count() == 11


def test_admin_activate_action_and_draft_delete(admin_client_):
    draft = make_standard(name="动作")
    admin_client_.post(reverse("admin:scoring_standard_changelist"),
                       {"action": "activate_selected", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Standard.Status.ACTIVE
    other = make_standard(name="删除")
    admin_client_.post(reverse("admin:scoring_standard_delete", args=[other.pk]), {"post": "yes"})
    assert not Standard.objects.filter(pk=other.pk).exists()
