from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.views.decorators.http import require_POST

from . import selectors, services
from .filters import SiteFilter


def paginate(request, queryset, per_page=None):
    paginator = Paginator(queryset, per_page or settings.PAGE_SIZE)
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
    return render(request, "org/site_detail.html", {"site": site})


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
