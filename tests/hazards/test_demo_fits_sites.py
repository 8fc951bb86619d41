"""The demo data fits its sites (issue 11, fault 11): coal-mine hazards only at the mine, gas leaks
at gas stations (and chemical plants), and each site inspected with the checklist of its kind."""

import re

import pytest

from audits.models import Inspection
from hazards.demo import CATEGORY_SITES, category_fits
from hazards.models import Hazard
from org.models import Site

pytestmark = pytest.mark.usefixtures("fast_pdf")

MINE_WORDS = re.compile(r"井下|煤|矿井|采面|巷|提升机|绞车|爆破")


@pytest.fixture
def demo(db):
    from audits import demo as audits_demo
    from hazards import demo as hazards_demo
    from org import demo as org_demo
    from scoring import demo as scoring_demo

    org_demo.seed()
    scoring_demo.seed()
    audits_demo.seed()
    hazards_demo.seed()


def test_every_demo_hazard_fits_the_kind_of_its_site(demo):
    hazards = list(Hazard.objects.select_related("site", "category"))
    assert hazards
    misfits = [(h.number, h.site.name, h.category.name) for h in hazards
               if not category_fits(h.category.code, h.site.category)]
    assert not misfits, misfits
    elsewhere = [(h.site.name, h.description) for h in hazards
                 if h.site.category != Site.Category.MINING and MINE_WORDS.search(h.description + h.location)]
    assert not elsewhere, elsewhere
    # the mine categories are still shown, at the mine
    mine_codes = {code for code, kinds in CATEGORY_SITES.items() if kinds == {Site.Category.MINING}}
    assert Hazard.objects.filter(category__code__in=mine_codes, site__category=Site.Category.MINING).exists()
    assert Hazard.objects.filter(category__code="GAS", site__category=Site.Category.GAS).exists()


def test_every_demo_inspection_uses_the_checklist_of_its_site_kind(demo):
    checklists = {Site.Category.MINING: "煤矿供用电安全检查表", Site.Category.GAS: "燃气场站安全用电检查表"}
    inspections = list(Inspection.objects.exclude(site=None).select_related("site", "standard"))
    kinds = {i.site.category for i in inspections}
    assert {Site.Category.MINING, Site.Category.GAS} <= kinds
    for inspection in inspections:
        assert inspection.standard.name == checklists.get(inspection.site.category, "客户安全用电检查表"), (
            inspection.site.name, inspection.standard.name)
