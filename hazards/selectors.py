"""Every read of hazard files, scoped to the user's unit subtree at the source. Overdue is
computed in SQL from status + deadline + today's local date (never stored), so the ledger can
filter and sort on it with the (status, deadline) index."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, Case, Count, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from audits.models import Inspection
from core.dates import local_midnight
from core.dates import today_local as local_today
from org.selectors import get_for_user_or_404, scope_queryset

from . import rules
from .models import (
    Acceptance,
    ExtensionRequest,
    Hazard,
    HazardEvent,
    Notice,
    RiskCategory,
    ServiceVisit,
    WorkOrderReply,
)


@dataclass(frozen=True)
class DeadlineStep:
    """One step that set a hazard's deadline: a notice (number) or an approved extension (no number)."""

    action: str  # the history action: notify, supervise or approve_extension
    number: str
    on: datetime.date
    deadline: datetime.date | None


_SETS_DEADLINE = {"notify": "deadline", "supervise": "new_deadline", "approve_extension": "new_deadline"}


def _date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) and value else None


def deadline_chain(events, *, before=None) -> list[DeadlineStep]:
    """The hazard's deadline steps in order, read from its history rows (`events`, in order: the
    detail page's prefetch, or a query): the hazard notice, each supervision notice and each
    approved extension, with the deadline each set. With `before` (a supervision notice), only the
    steps before it: the chain that notice cites (issue 11, fault 6)."""
    steps = []
    for event in events:
        data = event.data or {}
        if before is not None and event.action == "supervise" and data.get("notice_id") == before.pk:
            break
        key = _SETS_DEADLINE.get(event.action)
        if key is None:
            continue
        steps.append(DeadlineStep(action=event.action, number=data.get("notice") or "",
                                  on=timezone.localdate(event.at), deadline=_date(data.get(key))))
    return steps


# Kept by name for callers of the selectors; the rule is hazards.rules.overdue_q.
overdue_q = rules.overdue_q


def with_overdue(queryset: QuerySet, today: datetime.date | None = None) -> QuerySet:
    today = today or local_today()
    return queryset.annotate(
        is_overdue=Case(When(overdue_q(today), then=Value(True)), default=Value(False), output_field=BooleanField())
    )


def hazard_list(*, user, today: datetime.date | None = None) -> QuerySet[Hazard]:
    """The ledger's base queryset: the user's hazards with site, unit and category joined and
    `is_overdue` annotated; the filters (hazards.filters) narrow it further."""
    queryset = Hazard.objects.select_related("site", "unit", "category")
    return with_overdue(scope_queryset(queryset, user), today)


def hazard_get(*, user, pk: int, today: datetime.date | None = None) -> Hazard:
    """One hazard for the detail page (404 outside the user's scope, like a missing row), with
    everything the page shows prefetched: a constant number of queries whatever the history."""
    queryset = (
        hazard_list(user=user, today=today)
        .select_related("discovered_by", "source_result__item", "source_result__inspection")
        .prefetch_related(
            "photos",
            Prefetch("events", queryset=HazardEvent.objects.select_related("actor").order_by("at", "id")),
            Prefetch("notices", queryset=Notice.objects.select_related("issued_by", "cites").order_by("issued_at",
                                                                                                       "id")),
            Prefetch("replies", queryset=WorkOrderReply.objects.select_related("recorded_by")
                     .prefetch_related("photos")),
            Prefetch("extensions", queryset=ExtensionRequest.objects.select_related("decided_by")),
            Prefetch("service_visits", queryset=ServiceVisit.objects.select_related("by")),
            Prefetch("acceptances", queryset=Acceptance.objects.select_related("by")),
            "reports__by",
            "whitelist_entries",
        )
    )
    return get_for_user_or_404(queryset, user, pk=pk)


def hazard_timeline(hazard: Hazard) -> list[HazardEvent]:
    """The history in order (uses hazard_get's prefetch when present)."""
    cache = getattr(hazard, "_prefetched_objects_cache", {})
    if "events" in cache:
        return list(cache["events"])
    return list(hazard.events.select_related("actor").order_by("at", "id"))


def hazard_status_counts(*, user, today: datetime.date | None = None) -> dict:
    """Counts per status plus open and overdue, in one query (for KPI tiles and the ledger header)."""
    today = today or local_today()
    aggregates = {status: Count("id", filter=Q(status=status)) for status in Hazard.Status.values}
    aggregates["open"] = Count("id", filter=rules.open_q())
    aggregates["overdue"] = Count("id", filter=overdue_q(today))
    aggregates["total"] = Count("id")
    return scope_queryset(Hazard.objects.all(), user).aggregate(**aggregates)


def notice_list(*, user) -> QuerySet[Notice]:
    return scope_queryset(Notice.objects.select_related("site", "unit", "issued_by"), user, "site__unit")



def home_panel(*, user, today: datetime.date | None = None) -> dict:
    """The hazard counts on the home page, in one aggregate query over the user's scope. Only open
    hazards and those closed this year are read: the closed ones of past years, most of the table
    after a few years, count for nothing here."""
    today = today or local_today()
    S = Hazard.Status
    year_start = local_midnight(datetime.date(today.year, 1, 1))
    counted = rules.open_q() | Q(status=S.CLOSED, closed_at__gte=year_start)
    counts = scope_queryset(Hazard.objects.filter(counted), user).aggregate(
        open=Count("id", filter=rules.open_q()),
        overdue=Count("id", filter=rules.overdue_q(today)),
        registered=Count("id", filter=Q(status=S.REGISTERED)),
        pending=Count("id", filter=Q(status=S.PENDING_ACCEPTANCE)),
        major_open=Count("id", filter=rules.open_q() & Q(severity=Hazard.Severity.MAJOR)),
        closed_this_year=Count("id", filter=Q(status=S.CLOSED, closed_at__gte=year_start)),
    )
    return {"template": "hazards/_home_panel.html", "counts": counts}


# --- "my work": the home page's to-do list -------------------------------------------------------

MY_WORK_ITEMS = 8  # rows listed per section; the count says how many there are in all


def _work_role(user) -> str | None:
    from org.models import Role
    from org.selectors import user_membership, user_sees_everything

    if user_sees_everything(user):
        return Role.ADMIN
    membership = user_membership(user)
    return membership.role if membership else None


def _listed(queryset, order) -> tuple[list, int]:
    """The first MY_WORK_ITEMS rows and the count of all, in one query (COUNT(*) OVER () is
    computed before the LIMIT)."""
    from django.db.models import Window

    rows = list(queryset.annotate(_total=Window(Count("pk"))).order_by(*order)[:MY_WORK_ITEMS])
    return rows, (rows[0]._total if rows else 0)


def my_work_panel(*, user, today: datetime.date | None = None) -> dict:
    """What waits for this user, by what their role may do, in their unit subtree: extension
    requests to decide, replies to accept, notices awaiting acknowledgement, reopened inspections,
    hazards due within MY_WORK_DUE_DAYS and overdue hazards. Each row links to the page where the
    action is taken. One query per section (its rows and its count together)."""
    from django.conf import settings
    from django.db.models import Exists, OuterRef
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from audits.selectors import reopened_inspections

    from .lifecycle import TRANSITIONS, Action

    today = today or local_today()
    role = _work_role(user)
    if role is None:
        return {"template": "hazards/_my_work.html", "sections": []}
    may = {action: role in TRANSITIONS[action].roles for action in
           (Action.APPROVE_EXTENSION, Action.ACCEPT, Action.ACKNOWLEDGE, Action.SUPERVISE, Action.SERVICE_VISIT)}
    due_until = today + datetime.timedelta(days=settings.MY_WORK_DUE_DAYS)
    hazards = scope_queryset(Hazard.objects.select_related("site"), user)
    ledger = reverse("hazards:hazard_list")
    sections = []

    def section(key, title, listed, row, more_url=""):
        rows, count = listed
        sections.append({"key": key, "title": title, "count": count, "rows": [row(r) for r in rows],
                         "more_url": more_url})

    def hazard_row(hazard, url, note=""):
        return {"label": hazard.number, "text": hazard.site.name, "note": note, "url": url}

    if may[Action.APPROVE_EXTENSION]:
        extensions = scope_queryset(ExtensionRequest.objects.select_related("hazard__site").filter(
            rules.owed_q(prefix="hazard__"), status=ExtensionRequest.Status.PENDING), user, "hazard__unit")
        section("extensions", _("Extension requests to decide"), _listed(extensions, ["requested_at", "id"]),
                lambda e: hazard_row(e.hazard, reverse("hazards:hazard_detail", args=[e.hazard_id]) + "#hazard-actions",
                                     _("until %(date)s") % {"date": e.requested_deadline.isoformat()}))
    if may[Action.ACCEPT]:
        section("replies", _("Replies to accept"),
                _listed(hazards.filter(status=Hazard.Status.PENDING_ACCEPTANCE), ["updated_at", "id"]),
                lambda h: hazard_row(h, reverse("hazards:hazard_action", args=[h.pk, Action.ACCEPT])),
                f"{ledger}?status=pending_acceptance")
    if may[Action.ACKNOWLEDGE]:
        waiting = Hazard.objects.filter(notices=OuterRef("pk"), status=Hazard.Status.NOTIFIED)
        notices = scope_queryset(Notice.objects.select_related("site").filter(
            Exists(waiting), kind=Notice.Kind.HAZARD, acknowledged_at__isnull=True), user, "site__unit")
        notices = notices.annotate(first_hazard=waiting.order_by("number").values("pk")[:1])
        section("acknowledgements", _("Notices awaiting acknowledgement"), _listed(notices, ["issued_at", "id"]),
                lambda n: {"label": n.number, "text": n.site.name,
                           "note": _("issued %(date)s") % {"date": timezone.localdate(n.issued_at).isoformat()},
                           "url": reverse("hazards:hazard_action", args=[n.first_hazard, Action.ACKNOWLEDGE])})
    if may[Action.SERVICE_VISIT]:  # the roles that record inspections
        section("reopened", _("Reopened inspections"), _listed(reopened_inspections(user=user), ["-date", "-id"]),
                lambda i: {"label": i.number, "text": i.site.name if i.site else i.unit.name,
                           "note": i.date.isoformat(), "url": reverse("audits:inspection_record", args=[i.pk])})
    section("due_soon", _("Due within %(days)d days") % {"days": settings.MY_WORK_DUE_DAYS},
            _listed(hazards.filter(rules.due_within_q(settings.MY_WORK_DUE_DAYS, today)), ["deadline", "id"]),
            lambda h: hazard_row(h, reverse("hazards:hazard_detail", args=[h.pk]), h.deadline.isoformat()),
            f"{ledger}?deadline_from={today.isoformat()}&deadline_to={due_until.isoformat()}&status=open")
    supervise = may[Action.SUPERVISE]
    section("overdue", _("Overdue hazards"), _listed(hazards.filter(overdue_q(today)), ["deadline", "id"]),
            lambda h: hazard_row(h, reverse("hazards:hazard_action", args=[h.pk, Action.SUPERVISE]) if supervise
                                 else reverse("hazards:hazard_detail", args=[h.pk]),
                                 _("%(days)d days overdue") % {"days": rules.hazard_days_overdue(h, today)}),
            f"{ledger}?overdue=yes")
    return {"template": "hazards/_my_work.html", "sections": sections,
            "total": sum(s["count"] for s in sections)}


def finding_defaults(results) -> dict[int, tuple]:
    """{result id: (category, severity)} a hazard from each finding starts with: the standard
    item's defaults (its category code in the risk dictionary, or None; major or general). One
    query for the categories."""
    codes = {r.item.hazard_category_code for r in results if r.item.hazard_category_code}
    by_code = {c.code: c for c in RiskCategory.objects.filter(code__in=codes, active=True)} if codes else {}
    return {r.pk: (by_code.get(r.item.hazard_category_code),
                   Hazard.Severity.MAJOR if r.item.hazard_major else Hazard.Severity.GENERAL) for r in results}


def findings_panel(*, inspection, user, problems) -> dict | None:
    """The inspection page's "register hazards from the findings" panel (audits.hooks.inspection_panels):
    offered for a submitted inspection of a site while some finding has no hazard yet; one row per
    such finding with the category and severity it starts with (the item's defaults)."""
    unfiled = [r for r in problems if not hasattr(r, "hazard")]
    if not (unfiled and inspection.site_id and inspection.status != Inspection.Status.DRAFT):
        return None
    categories = list(RiskCategory.objects.filter(active=True).order_by("code"))
    other = next((c for c in categories if c.code == "OTHER"), None)
    defaults = finding_defaults(unfiled)
    rows = [(r, defaults[r.pk][0] or other, defaults[r.pk][1]) for r in unfiled]
    return {"template": "hazards/_findings_panel.html", "unfiled": len(unfiled), "rows": rows,
            "risk_categories": categories, "severities": Hazard.Severity.choices}


SITE_PANEL_ROWS = 10


def site_panel(*, site, user, today: datetime.date | None = None) -> dict:
    """The site page's hazards (org.hooks.site_panels): open ones first, then the latest; one
    query for the rows and one for the counts."""
    hazards = hazard_list(user=user, today=today).filter(site=site)
    counts = hazards.aggregate(total=Count("id"), open=Count("id", filter=rules.open_q()))
    rows = list(hazards.annotate(closed_last=Case(When(rules.open_q(), then=0), default=1))
                .order_by("closed_last", "-discovered_on", "-id")[:SITE_PANEL_ROWS])
    return {"template": "hazards/_site_panel.html", "hazards": rows, "counts": counts}
