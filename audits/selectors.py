"""Every read of inspections, scoped to the user at the source. Not found and not allowed look the
same (404)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from org.models import OrgUnit
from org.selectors import get_for_user_or_404, scope_queryset, site_list, unit_list
from scoring.models import Standard, StandardItem
from scoring.rollup import LeafResult, RollupRow, rollup, totals

from .models import Inspection, InspectionResult, ResultPhoto


def inspection_list(*, user) -> QuerySet[Inspection]:
    """The inspections the user may see, with what a list row shows, in a constant number of
    queries (the unscored count is one annotation, not one query per row)."""
    queryset = Inspection.objects.select_related("site", "unit", "standard", "group").annotate(
        unscored=Count("results", filter=Q(results__earned__isnull=True, results__not_applicable=False)),
    )
    return scope_queryset(queryset, user)


def inspection_get(*, user, pk: int) -> Inspection:
    queryset = Inspection.objects.select_related("site", "unit", "standard", "group", "created_by")
    return get_for_user_or_404(queryset, user, pk=pk)


def result_get(*, inspection: Inspection, pk: int) -> InspectionResult:
    """A result of an inspection already fetched through `inspection_get` (so already scoped)."""
    try:
        return InspectionResult.objects.select_related("item").get(inspection=inspection, pk=pk)
    except InspectionResult.DoesNotExist as exc:
        raise Http404 from exc


def photo_get(*, user, pk: int) -> ResultPhoto:
    return get_for_user_or_404(ResultPhoto.objects.select_related("result__inspection", "result__item"), user,
                               unit_field="result__inspection__unit", pk=pk)


# ---------------------------------------------------------------- choices for the create form

def standard_choices() -> QuerySet[Standard]:
    return Standard.objects.filter(status=Standard.Status.ACTIVE).order_by("name", "version")


def site_choices(*, user):
    return site_list(user=user).filter(active=True).order_by("code")


def unit_choices(*, user):
    return unit_list(user=user).filter(active=True).order_by("path")


def group_choices(*, user):
    return unit_choices(user=user).filter(kind=OrgUnit.Kind.GROUP)


def inspector_choices(*, user):
    users = get_user_model().objects.filter(is_active=True, membership__isnull=False).select_related(
        "membership__unit")
    return scope_queryset(users, user, "membership__unit").order_by("membership__unit__path", "username")


# ---------------------------------------------------------------- scores

@dataclass
class Scoresheet:
    """An inspection's items, results and roll-up, read in two queries."""

    items: list[StandardItem]
    results: dict[int, InspectionResult]  # by item id
    rows: list[RollupRow]
    total: RollupRow

    @property
    def sections(self) -> list[RollupRow]:
        return [row for row in self.rows if row.parent_id is None]

    def row_for(self, item_id: int) -> RollupRow:
        return self._by_id[item_id]

    def __post_init__(self):
        self._by_id = {row.item_id: row for row in self.rows}
        self._section_of: dict[int, int] = {}
        current = None
        for row in self.rows:
            if row.parent_id is None:
                current = row.item_id
            self._section_of[row.item_id] = current

    def section_of(self, item_id: int) -> int | None:
        return self._section_of.get(item_id)

    def unscored_by_section(self) -> dict[int, int]:
        counts = {row.item_id: 0 for row in self.sections}
        for item in self.items:
            if item.is_leaf:
                result = self.results.get(item.id)
                if result is not None and result.earned is None and not result.not_applicable:
                    counts[self._section_of[item.id]] += 1
        return counts


def leaf_results(results) -> dict[int, LeafResult]:
    return {r.item_id: LeafResult(earned=r.earned, not_applicable=r.not_applicable,
                                  serious_problems=r.serious_problems) for r in results}


def scoresheet(inspection: Inspection, *, with_photos: bool = False) -> Scoresheet:
    items = list(StandardItem.objects.filter(standard_id=inspection.standard_id).order_by("sort_key").only(
        "id", "parent_id", "code", "title", "depth", "is_leaf", "serious", "points", "sort_key", "criteria"))
    results_qs = InspectionResult.objects.filter(inspection=inspection)
    if with_photos:
        results_qs = results_qs.prefetch_related(Prefetch("photos", queryset=ResultPhoto.objects.order_by("id")))
    results = {r.item_id: r for r in results_qs}
    rows = rollup(items, leaf_results(results.values()))
    return Scoresheet(items=items, results=results, rows=rows, total=totals(rows, title=inspection.standard.name))


def inspection_problems(inspection: Inspection) -> list[InspectionResult]:
    """The results with a problem (存在问题) written down, in item-code order: the seam where the
    hazards app turns each finding into a hazard linked back to its item."""
    return list(InspectionResult.objects.filter(inspection=inspection).exclude(problem="")
                .select_related("item", "hazard").order_by("item__sort_key"))


def inspection_evidence(inspection: Inspection) -> list[InspectionResult]:
    """The results carrying evidence (a finding 检查发现, a problem or a photo), in item-code
    order, each with its photos: what the inspection page and its reports show, and what a hazard
    made from the finding starts with. Two queries, whatever the number of items or photos."""
    return list(InspectionResult.objects.filter(inspection=inspection)
                .filter(Q(finding__gt="") | Q(problem__gt="")
                        | Q(Exists(ResultPhoto.objects.filter(result=OuterRef("pk")))))
                .select_related("item", "hazard").prefetch_related(
                    Prefetch("photos", queryset=ResultPhoto.objects.order_by("uploaded_at", "id")))
                .order_by("item__sort_key"))


SITE_PANEL_ROWS = 10


def site_panel(*, site, user) -> dict:
    """The site page's list of its latest inspections (org.hooks.site_panels), one query."""
    inspections = list(inspection_list(user=user).filter(site=site).order_by("-date", "-id")[:SITE_PANEL_ROWS + 1])
    return {"template": "audits/_site_panel.html", "inspections": inspections[:SITE_PANEL_ROWS],
            "more": len(inspections) > SITE_PANEL_ROWS}


def inspection_events(inspection: Inspection):
    return list(inspection.events.select_related("actor").order_by("at", "id"))


def home_panel(*, user) -> dict:
    """The user's draft inspections on the home page (to resume on the tablet), with how many
    items are still unscored, in one query."""
    mine = Inspection.inspectors.through.objects.filter(user_id=user.pk).values("inspection_id")
    drafts = (inspection_list(user=user)
              .filter(Q(created_by_id=user.pk) | Q(pk__in=mine), status=Inspection.Status.DRAFT)
              .order_by("-date", "-id")[:6])
    return {"template": "audits/_home_panel.html", "drafts": list(drafts)}


def reopened_inspections(*, user) -> QuerySet[Inspection]:
    """Drafts that a manager reopened after submission (with a reason): they wait for their
    inspectors to correct and submit them again (the "my work" list)."""
    from django.db.models import Exists, OuterRef

    from .models import InspectionEvent

    reopened = InspectionEvent.objects.filter(inspection=OuterRef("pk"), action=InspectionEvent.Action.REOPEN)
    queryset = (Inspection.objects.select_related("site", "unit")
                .filter(Exists(reopened), status=Inspection.Status.DRAFT))
    return scope_queryset(queryset, user)
