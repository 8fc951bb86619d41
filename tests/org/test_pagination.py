"""The lists' paginator: counts stop at the cap (the list says "more than …"), and a page of few
matching rows is sorted after the filter, in exactly the order the plain sort gives."""

import datetime

import pytest
from django.urls import reverse

from hazards.models import Hazard
from org.filters import TextSearchFilter
from org.views import CappedPaginator, sort_after_filter
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def test_a_count_past_the_cap_says_more_than(client_a, team_a, settings):
    settings.LIST_COUNT_CAP, settings.PAGE_SIZE = 4, 2
    for i in range(7):
        SiteFactory(unit=team_a, code=f"C{i:02d}")
    body = client_a.get(reverse("org:site_list"), {"ordering": "code"}).content.decode()
    assert "1–2 of more than 4" in body and "Page 1 of more than 2" in body
    last = client_a.get(reverse("org:site_list"), {"ordering": "code", "page": 99}).context["page"]
    assert last.number == 2 and [s.code for s in last.object_list] == ["C02", "C03"]


def test_a_count_within_the_cap_is_exact(client_a, team_a, settings):
    settings.LIST_COUNT_CAP, settings.PAGE_SIZE = 4, 2
    for i in range(4):
        SiteFactory(unit=team_a, code=f"C{i:02d}")
    body = client_a.get(reverse("org:site_list")).content.decode()
    assert "1–2 of 4" in body and "more than" not in body


@pytest.fixture
def hazards(site_a, manager_a):
    from hazards.models import RiskCategory
    from tests.hazards.factories import register

    category = RiskCategory.objects.create(code="C1", name="类别")
    days = [None, 5, 5, None, 1, 9]
    made = [register(site=site_a, by=manager_a, category=category, deadline=datetime.date(2030, 1, day or 2))
            for day in days]
    Hazard.objects.filter(pk__in=[h.pk for h, day in zip(made, days, strict=True) if day is None]).update(deadline=None)
    return made


@pytest.mark.parametrize("ordering", [["deadline", "id"], ["-deadline", "-id"], ["-created_at", "-id"],
                                      ["site__code", "-number"], []])
def test_sorting_after_the_filter_keeps_the_order(hazards, ordering):
    queryset = Hazard.objects.order_by(*ordering) if ordering else Hazard.objects.all()
    wrapped = sort_after_filter(queryset)
    assert "COALESCE" in str(wrapped.query)
    assert list(wrapped.values_list("pk", flat=True)) == list(queryset.values_list("pk", flat=True))
    assert Hazard.objects.filter(deadline__isnull=True).count() == 2  # nulls are part of the check


def test_a_relation_or_an_expression_is_left_to_the_planner(hazards):
    from django.db.models import F

    for queryset in (Hazard.objects.order_by("site", "id"), Hazard.objects.order_by(F("deadline").asc()),
                     Hazard.objects.order_by("deadline").distinct()):
        assert sort_after_filter(queryset) is queryset


def test_only_a_few_matching_rows_are_sorted_after_the_filter(hazards):
    queryset = Hazard.objects.order_by("deadline", "id")
    few = CappedPaginator(queryset, 2, cap=100, sort_after_filter=10).page(1)
    many = CappedPaginator(queryset, 2, cap=100, sort_after_filter=3).page(1)
    assert "COALESCE" in str(few.object_list.query) and "COALESCE" not in str(many.object_list.query)
    assert [h.pk for h in few.object_list] == [h.pk for h in many.object_list]
    capped = CappedPaginator(queryset, 2, cap=3, sort_after_filter=10)
    assert capped.capped and capped.count == 3 and "COALESCE" not in str(capped.page(1).object_list.query)


def test_search_across_a_relation_gives_the_same_rows_by_ids_or_by_join(hazards, site_a, monkeypatch):
    search = TextSearchFilter(fields=("number", "site__name"))
    by_ids = set(search.filter(Hazard.objects.all(), site_a.name[:3]).values_list("pk", flat=True))
    assert "JOIN" not in str(search.filter(Hazard.objects.all(), site_a.name[:3]).query)
    monkeypatch.setattr(TextSearchFilter, "RELATED_IDS", 0)
    by_join = set(search.filter(Hazard.objects.all(), site_a.name[:3]).values_list("pk", flat=True))
    assert "JOIN" in str(search.filter(Hazard.objects.all(), site_a.name[:3]).query)
    assert by_ids == by_join == {h.pk for h in hazards}
    assert not search.filter(Hazard.objects.all(), "无此名称").exists()


def test_fields_of_one_relation_are_searched_in_one_query(hazards, site_a, django_assert_num_queries):
    search = TextSearchFilter(fields=("number", "site__name", "site__code"))
    with django_assert_num_queries(2):  # the sites matching in name or code, then the hazards
        found = set(search.filter(Hazard.objects.all(), site_a.code).values_list("pk", flat=True))
    assert found == {h.pk for h in hazards}


def test_every_lists_sort_ends_in_the_id(client_a, team_a):
    for code in ("B", "A", "C"):
        SiteFactory(unit=team_a, code=f"S-{code}", site_class="general")
    for ordering in ("site_class", "-site_class"):  # equal keys: the id decides, in the sort's direction
        page = client_a.get(reverse("org:site_list"), {"ordering": ordering}).context["page"]
        ids = [s.pk for s in page.object_list]
        assert len(ids) == 3 and ids == sorted(ids, reverse=ordering.startswith("-"))
