from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import F
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.views.decorators.http import require_POST

from . import hooks, selectors, services
from .filters import SiteFilter


class CappedPaginator(Paginator):
    """A paginator for the lists over large tables.

    - It counts at most `cap` rows. Counting every hazard of a company is a scan of the whole table
      (some 80 ms at 200,000 rows) on every visit of the list; past the cap the list says "more
      than 10,000" and pages through the first 10,000, as far as anyone pages before filtering.
    - When few rows match (at most `sort_after_filter` of them), the page is sorted after the
      filter instead of read in index order. PostgreSQL otherwise walks the sort's index hoping to
      meet 25 matches soon, which goes through most of the table when the matches are rare or lie
      far along that index (a hazard number searched, a deadline range long past): 80 ms instead
      of 2 at 200,000 hazards. Each sort key is wrapped in COALESCE(key, key), which no index
      matches and which orders exactly as the key itself (nulls included).
    """

    def __init__(self, object_list, per_page, cap: int | None, sort_after_filter: int = 1000, **kwargs):
        self.cap, self.sort_after_filter = cap, sort_after_filter
        super().__init__(object_list, per_page, **kwargs)

    def _is_queryset(self) -> bool:
        return hasattr(self.object_list, "query") and hasattr(self.object_list, "count")

    @cached_property
    def capped_count(self) -> int:
        if not self._is_queryset():
            return len(self.object_list)
        if self.cap is None:
            return self.object_list.count()
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @cached_property
    def capped(self) -> bool:
        return self.cap is not None and self.capped_count > self.cap

    @cached_property
    def count(self) -> int:
        return self.capped_count if self.cap is None else min(self.capped_count, self.cap)

    def page(self, number):
        if self._is_queryset() and not self.capped and self.count <= self.sort_after_filter:
            self.object_list = sort_after_filter(self.object_list)
        return super().page(number)


def _is_plain_column(meta, name: str) -> bool:
    field = None
    for part in name.split("__"):
        if field is not None:
            if not field.is_relation:
                return False
            meta = field.related_model._meta
        try:
            field = meta.pk if part == "pk" else meta.get_field(part)
        except FieldDoesNotExist:
            return False  # an annotation
    return field is not None and not field.is_relation


class AdminPaginator(CappedPaginator):
    """The admin's changelists: exact counts (the admin prints them), and few matches sorted after
    the filter as on the lists."""

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True):
        super().__init__(object_list, per_page, cap=None, orphans=orphans,
                         allow_empty_first_page=allow_empty_first_page)


def sort_after_filter(queryset):
    """The queryset with its ordering keys wrapped so that no index can supply the order."""
    query = queryset.query
    if query.distinct or query.combinator:
        return queryset  # SELECT DISTINCT and UNION order by their selected columns only
    ordering = query.order_by or (query.get_meta().ordering if query.default_ordering else [])
    keys = []
    for key in ordering:
        if not isinstance(key, str) or key == "?":
            return queryset  # an expression or a random order: left to the planner
        name = key.lstrip("-")
        if not _is_plain_column(query.get_meta(), name):
            return queryset  # a relation sorts by its model's ordering: left to the planner
        wrapped = Coalesce(F(name), F(name))
        keys.append(wrapped.desc() if key.startswith("-") else wrapped.asc())
    return queryset.order_by(*keys) if keys else queryset


def paginate(request, queryset, per_page=None):
    paginator = CappedPaginator(queryset, per_page or settings.PAGE_SIZE, cap=settings.LIST_COUNT_CAP)
    return paginator.get_page(request.GET.get("page"))


def filtered_page(request, filterset, default_ordering: str | list[str], values: list[str] | None = None):
    """The page of rows a django-filter FilterSet selects. An invalid filter (e.g. a unit outside
    the user's scope) shows its error and no rows, never an unfiltered list. With `values`, the rows
    are dicts of just those fields (for pages that show a few columns of wide rows)."""
    if filterset.is_bound and not filterset.is_valid():
        queryset = filterset.queryset.none()
    else:
        queryset = filterset.qs
        if not (request.GET.get("ordering") or "").strip():
            orders = [default_ordering] if isinstance(default_ordering, str) else default_ordering
            queryset = queryset.order_by(*orders)
    if values:
        queryset = queryset.select_related(None).values(*values)
    return paginate(request, queryset)


def chosen_site(request, filterset) -> dict:
    """The lists' site filter is a hidden field set by clicking a site's name: the chosen site (shown
    as a removable chip by includes/filter_form.html) and the query string without it."""
    site = filterset.form.cleaned_data.get("site") if filterset.is_bound and filterset.is_valid() else None
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("site", None)
    return {"filtered_site": site, "without_site": query.urlencode()}


@login_required
def home(request):
    # Other apps add their panels through settings.HOME_PANELS; org does not import them.
    panels = [import_string(path)(user=request.user) for path in settings.HOME_PANELS]
    return render(request, "org/home.html", {**selectors.home_summary(user=request.user), "panels": panels})


@login_required
def unit_tree(request):
    return render(request, "org/unit_tree.html", {"units": selectors.unit_tree(user=request.user)})


@login_required
def site_list(request):
    units = selectors.unit_list(user=request.user)
    site_filter = SiteFilter(request.GET or None, queryset=selectors.site_list(user=request.user), units=units)
    page = filtered_page(request, site_filter, "code")
    return render(request, "org/site_list.html", {"filter": site_filter, "page": page})


@login_required
def site_detail(request, pk: int):
    site = selectors.site_get(user=request.user, pk=pk)
    # The site's inspections and hazards, from the apps built on org (org.hooks.site_panels).
    panels = [panel for panel in hooks.site_panels.call(site=site, user=request.user) if panel]
    return render(request, "org/site_detail.html", {"site": site, "panels": panels})


@require_POST
def set_language(request):
    """Switch the interface language; remembered on the user's membership and in a cookie."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        if request.user.is_authenticated:
            services.membership_set_language(user=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


@login_required
def working_days(request):
    """The preview of "N working days" typed beside a deadline (org.widgets.DeadlineInput): the
    date it gives from today, with a note, or the reason it cannot be counted."""
    from django.http import JsonResponse
    from django.utils.translation import gettext as _

    from core.dates import WorkingDaysUnknown, parse_working_days, today_local, working_days_after

    text = request.GET.get("q", "")[:40]
    try:
        n = parse_working_days(text)
        if n is None:
            return JsonResponse({"error": _("Write the working days as “5 working days” or “5 个工作日”.")})
        today = today_local()
        day = working_days_after(today, n)
    except (ValueError, WorkingDaysUnknown) as exc:
        return JsonResponse({"error": str(exc)})
    return JsonResponse({"date": day.isoformat(), "note": _(
        "%(n)d working days from today (%(today)s): %(date)s, public holidays skipped.")
        % {"n": n, "today": today.isoformat(), "date": day.isoformat()}})
