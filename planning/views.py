"""Thin views: parse, look the task up in the user's scope (404 outside it), call one service,
render. Refusals from the services are shown as they are."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.dates import today_local
from core.lifecycle import ActionRefused
from org.forms import parse_id
from org.models import Site
from org.once import once_per_token
from org.selectors import site_list, subtree_queryset
from org.validators import EARLIEST_DATE, latest_date
from org.views import chosen_site, filtered_page, paginate

from . import lifecycle, selectors, services
from .filters import CalendarFilter, TaskFilter
from .forms import AssignForm, CancelForm, DrawForm, ReviewForm, TaskCreateForm
from .lifecycle import Action
from .models import Task


def _add_errors(form, exc: ValidationError | ActionRefused) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _can_manage(user) -> bool:
    return lifecycle.role_allows(user, lifecycle.CREATE_ROLES)


@login_required
def task_list(request):
    user = request.user
    task_filter = TaskFilter(request.GET or None, queryset=selectors.task_list(user=user),
                             units=selectors.unit_choices(user=user), groups=selectors.group_choices(user=user),
                             sites=site_list(user=user))
    page = filtered_page(request, task_filter, ["due_date", "id"])
    today = today_local()
    for task in page.object_list:
        task.overdue = selectors.is_overdue(task, today)
        # The row's checkbox for assigning in bulk (the lifecycle decides, not the status).
        task.may_assign = Action.ASSIGN in lifecycle.allowed_actions(task, user)
    can_manage = _can_manage(user)
    return render(request, "planning/task_list.html", {
        **chosen_site(request, task_filter), "filter": task_filter, "page": page, "can_manage": can_manage,
        "assign_form": AssignForm(user=user, auto_id="assign_%s") if can_manage else None,
    })


@login_required
@require_POST
def task_assign_bulk(request):
    """Assign or reassign the ticked tasks of the list (all or none)."""
    if not _can_manage(request.user):
        raise PermissionDenied(_("Your role may not assign tasks."))
    form = AssignForm(request.POST, user=request.user)
    ids = [i for i in map(parse_id, request.POST.getlist("task")) if i]
    tasks = list(selectors.task_list(user=request.user).filter(pk__in=ids))
    back = request.POST.get("next") or ""
    if not back.startswith("/planning/"):
        back = "/planning/"
    if not tasks:
        messages.error(request, _("Tick the tasks to assign."))
        return redirect(back)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        count = services.tasks_assign(tasks=tasks, group=form.cleaned_data["group"],
                                      inspectors=form.cleaned_data["inspectors"], by=request.user)
    except (ActionRefused, ValidationError) as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(count)s task(s) assigned.") % {"count": count})
    return redirect(back)


@login_required
def task_detail(request, pk: int):
    task = selectors.task_get(user=request.user, pk=pk)
    actions = lifecycle.allowed_actions(task, request.user)
    return render(request, "planning/task_detail.html", {
        "task": task, "events": selectors.task_events(task), "actions": actions,
        "inspectors": list(task.inspectors.select_related("membership__unit")),
        "overdue": selectors.is_overdue(task, today_local()),
        "assign_form": AssignForm(user=request.user, initial={"group": task.group_id}) if Action.ASSIGN in actions
        else None,
        "cancel_form": CancelForm() if Action.CANCEL in actions else None,
    })


@login_required
@require_POST
def task_assign(request, pk: int):
    task = selectors.task_get(user=request.user, pk=pk)
    form = AssignForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.tasks_assign(tasks=[task], group=form.cleaned_data["group"],
                                  inspectors=form.cleaned_data["inspectors"], by=request.user)
        except (ActionRefused, ValidationError) as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Task assigned."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("planning:task_detail", pk=task.pk)


@login_required
@require_POST
def task_start(request, pk: int):
    """Start: the inspection is created from the task (pre-filled) and opened for recording."""
    task = selectors.task_get(user=request.user, pk=pk)
    try:
        inspection = services.task_start(task=task, by=request.user)
    except (ActionRefused, ValidationError) as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("planning:task_detail", pk=task.pk)
    messages.success(request, _("Inspection %(number)s created from the task.") % {"number": inspection.number})
    return redirect("audits:inspection_record", pk=inspection.pk)


@login_required
@require_POST
def task_cancel(request, pk: int):
    task = selectors.task_get(user=request.user, pk=pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for cancelling the task."))
        return redirect("planning:task_detail", pk=task.pk)
    try:
        services.task_cancel(task=task, reason=form.cleaned_data["reason"], by=request.user)
    except (ActionRefused, ValidationError) as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Task cancelled."))
    return redirect("planning:task_detail", pk=task.pk)


@login_required
@once_per_token
@require_http_methods(["GET", "POST"])
def task_create(request):
    if not _can_manage(request.user):
        raise PermissionDenied(_("Your role may not create tasks."))
    form = TaskCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["site"]:
            sites = [data["site"]]
        else:
            query = subtree_queryset(site_list(user=request.user).filter(active=True), data["unit"])
            for name in ("site_class", "category", "voltage_level"):
                if data[name]:
                    query = query.filter(**{name: data[name]})
            sites = list(query.order_by("code")[:services.MAX_SITES_PER_CREATE + 1])
            if len(sites) > services.MAX_SITES_PER_CREATE:
                form.add_error(None, _("More than %(n)s sites match: narrow the choice.")
                               % {"n": services.MAX_SITES_PER_CREATE})
                sites = None
        if sites is not None:
            try:
                created = services.tasks_create(
                    sites=sites, kind=data["kind"], standard=data["standard"], due_date=data["due_date"],
                    window_days=data["window_days"], group=data["group"], title=data["title"], by=request.user)
            except (ActionRefused, ValidationError) as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("%(count)s task(s) created.") % {"count": len(created)})
                if len(created) == 1:
                    return redirect("planning:task_detail", pk=created[0].pk)
                return redirect(f"/planning/?due_from={data['due_date']:%Y-%m-%d}&due_to={data['due_date']:%Y-%m-%d}")
    return render(request, "planning/task_form.html", {"form": form})


# ---------------------------------------------------------------- calendar and workload

def _parse_day(value: str | None, default: datetime.date) -> datetime.date:
    """A date from the query string; the default when it is not one or lies outside the plausible
    range (a calendar of year 1 or 9999 would step off the date range)."""
    try:
        day = datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default
    return day if EARLIEST_DATE <= day <= latest_date() else default


@login_required
def task_calendar(request):
    """Month (default) or week view of the tasks by due date, coloured by status."""
    user = request.user
    today = today_local()
    view = "week" if request.GET.get("view") == "week" else "month"
    day = _parse_day(request.GET.get("day"), today)
    calendar_filter = CalendarFilter(request.GET or None, queryset=selectors.task_list(user=user),
                                     units=selectors.unit_choices(user=user), groups=selectors.group_choices(user=user))
    queryset = calendar_filter.qs if not calendar_filter.is_bound or calendar_filter.is_valid() else \
        calendar_filter.queryset.none()
    if view == "week":
        start = day - datetime.timedelta(days=day.weekday())
        days = [start + datetime.timedelta(days=i) for i in range(7)]
        previous, following = start - datetime.timedelta(days=7), start + datetime.timedelta(days=7)
        cells, more = selectors.calendar_days(queryset, days, per_day=30)
        weeks = [cells]
    else:
        first = day.replace(day=1)
        grid = selectors.month_grid(first.year, first.month)
        cells, more = selectors.calendar_days(queryset, [d for week in grid for d in week], month=first.month)
        weeks = [cells[i:i + 7] for i in range(0, len(cells), 7)]
        previous = (first - datetime.timedelta(days=1)).replace(day=1)
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        start = first
    # The other view opens on the same day: today within the month shown, else its first day.
    anchor = day if view == "month" and (day.year, day.month) == (start.year, start.month) else start
    query = request.GET.copy()
    for key in ("day", "view"):
        query.pop(key, None)
    return render(request, "planning/task_calendar.html", {
        "filter": calendar_filter, "weeks": weeks, "more": more, "view": view, "start": start, "today": today,
        "previous": previous, "following": following, "filter_query": query.urlencode(), "anchor": anchor,
        "statuses": Task.Status.choices,
    })


@login_required
def workload(request):
    today = today_local()
    start = _parse_day(request.GET.get("from"), today.replace(day=1))
    end = _parse_day(request.GET.get("to"), (start.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
                     - datetime.timedelta(days=1))
    if end < start:
        start, end = end, start
    return render(request, "planning/workload.html", {
        "rows": selectors.workload(user=request.user, start=start, end=end), "start": start, "end": end,
        "statuses": Task.Status.choices,
    })


@login_required
def my_tasks(request):
    today = today_local()
    tasks = selectors.my_tasks(user=request.user, limit=200)
    for task in tasks:
        task.overdue = selectors.is_overdue(task, today)
    return render(request, "planning/my_tasks.html", {"tasks": tasks, "today": today})


# ---------------------------------------------------------------- spot checks

@login_required
def plan_list(request):
    plans = paginate(request, selectors.plan_list(user=request.user).order_by("-month", "unit__path", "id"))
    return render(request, "planning/plan_list.html", {"page": plans, "can_manage": _can_manage(request.user)})


@login_required
@once_per_token
@require_http_methods(["GET", "POST"])
def plan_draw(request):
    if not _can_manage(request.user):
        raise PermissionDenied(_("Your role may not draw spot checks."))
    form = DrawForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            proportions = services.parse_proportions(data["proportions"])
            plan, sample = services.spot_check_draw(
                unit=data["unit"], month=data["month"], seed=data["seed"], percentage=data["percentage"],
                minimum=data["minimum"], proportions=proportions, standard=data["standard"], group=data["group"],
                by=request.user)
        except (ActionRefused, ValidationError) as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("%(count)s site(s) drawn with seed %(seed)s.")
                             % {"count": sample.size, "seed": plan.seed})
            return redirect("planning:plan_detail", pk=plan.pk)
    return render(request, "planning/plan_form.html", {"form": form})


@login_required
def plan_detail(request, pk: int):
    plan = selectors.plan_get(user=request.user, pk=pk)
    picks = list(plan.picks.select_related("site").order_by("rank"))
    tasks = {t.site_id: t for t in plan.tasks.select_related("group")}
    labels = {**dict(Site.Category.choices), "*": _("Other categories")}
    for pick in picks:
        pick.task = tasks.get(pick.site_id)
        pick.stratum_label = labels.get(pick.stratum, pick.stratum)
    proportions = [(labels.get(name, name), weight) for name, weight in plan.proportions]
    return render(request, "planning/plan_detail.html", {"plan": plan, "picks": picks, "proportions": proportions})


# ---------------------------------------------------------------- major risks and reviews

@login_required
def risk_list(request):
    """The major-risk register of the user's units and their reviews (pending first, overdue marked)."""
    today = today_local()
    risks = list(selectors.risk_list(user=request.user).filter(active=True).order_by("unit__path", "code"))
    reviews = paginate(request, selectors.review_list(user=request.user).order_by("status", "-due_date", "id"))
    for review in reviews.object_list:
        review.overdue = services.review_is_overdue(review, today)
    return render(request, "planning/risk_list.html", {"risks": risks, "page": reviews})


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request, pk: int):
    review = selectors.review_get(user=request.user, pk=pk)
    may_record = review.status == review.Status.PENDING and services.review_may_record(review, request.user)
    form = ReviewForm(request.POST or None) if may_record else None
    if request.method == "POST":
        if form is None:
            messages.error(request, _("Only the reviewer, or a manager of the unit, records this review."))
            return redirect("planning:review_detail", pk=review.pk)
        if form.is_valid():
            try:
                services.review_complete(review=review, by=request.user, **form.cleaned_data)
            except (ActionRefused, ValidationError) as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Review recorded."))
                return redirect("planning:review_detail", pk=review.pk)
    risks = list(review.cycle.risks.select_related("responsible").order_by("code"))
    return render(request, "planning/review_detail.html", {
        "review": review, "form": form, "risks": risks, "events": list(review.events.select_related("actor")),
        "overdue": services.review_is_overdue(review, today_local()),
    })
