import io

import pytest

from scoring import demo
from scoring.models import Standard

pytestmark = pytest.mark.django_db


def test_seed_creates_the_active_standards_once():
    # the self-assessment, the customer checklist, and those of gas stations and of the mine
    first = demo.seed(stdout=io.StringIO())
    again = demo.seed(stdout=io.StringIO())
    assert first == again and len(first["standards"]) == 4
    assert Standard.objects.count() == 4
    self_assessment = Standard.objects.get(name=demo.SELF_ASSESSMENT_NAME)
    customer = Standard.objects.get(name=demo.CUSTOMER_CHECK_NAME)
    assert {self_assessment.status, customer.status} == {Standard.Status.ACTIVE}
    assert 140 <= self_assessment.item_count <= 160
    assert set(self_assessment.items.values_list("depth", flat=True)) == {0, 1, 2}
    assert self_assessment.items.filter(serious=True, is_leaf=True).count() >= 10
    assert not self_assessment.items.filter(is_leaf=True, criteria="").exists()
    assert 35 <= customer.item_count <= 45
    assert set(customer.items.values_list("depth", flat=True)) == {0, 1, 2}
    assert customer.items.filter(title__contains="应急电源").exists()
