"""Every read of hazard files, scoped to the user's unit subtree at the source. Overdue is
computed in SQL from status + deadline + today's local date (never stored), so the ledger can
filter and sort on it with the (status, deadline) index."""

from __future__ import annotations

import datetime

from django.db.models import BooleanField, Case, Count, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from org.selectors import get_for_user_or_404, scope_queryset

from .lifecycle import DEADLINE_STATES, OPEN_STATES, local_today
from .models import Acceptance, ExtensionRequest, Hazard, HazardEvent, Notice, ServiceRecord, WorkOrderReply


def overdue_q(today: datetime.date) -> Q:
    return Q(status__in=DEADLINE_STATES, deadline__lt=today)


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
            Prefetch("services", queryset=ServiceRecord.objects.select_related("by")),
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
    aggregates["open"] = Count("id", filter=Q(status__in=OPEN_STATES))
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
    year_start = timezone.make_aware(datetime.datetime(today.year, 1, 1))
    counted = Q(status__in=OPEN_STATES) | Q(status=S.CLOSED, closed_at__gte=year_start)
    counts = scope_queryset(Hazard.objects.filter(counted), user).aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATES)),
        overdue=Count("id", filter=Q(status__in=DEADLINE_STATES, deadline__lt=today)),
        registered=Count("id", filter=Q(status=S.REGISTERED)),
        pending=Count("id", filter=Q(status=S.PENDING_ACCEPTANCE)),
        major_open=Count("id", filter=Q(status__in=OPEN_STATES, severity=Hazard.Severity.MAJOR)),
        closed_this_year=Count("id", filter=Q(status=S.CLOSED, closed_at__gte=year_start)),
    )
    return {"template": "hazards/_home_panel.html", "counts": counts}
