import functools

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from .selectors import user_membership

# The pages every page's navigation links to (templates/base.html, includes/nav_items.html).
NAV_ROUTES = dict([
    ("home", "home"), ("inbox", "notifications:inbox"), ("badge", "notifications:badge"),
    ("set_language", "set_language"), ("password_change", "password_change"), ("admin", "admin:index"),
    ("status", "status"), ("mailbox", "notifications:mailbox"), ("logout", "logout"), ("sites", "org:site_list"),
    ("units", "org:unit_tree"), ("standards", "scoring:standard_list"), ("inspections", "audits:inspection_list"),
    ("hazards", "hazards:hazard_list"), ("planning", "planning:task_list"), ("kpis", "kpis:dashboard"),
])


def membership(request):
    return {"membership": user_membership(request.user) if hasattr(request, "user") else None}


def nav(request):
    """`nav_urls`: the URLs of the navigation by NAV_ROUTES key ("" for a route the URLconf
    lacks), reversed once per URLconf and script prefix rather than by a dozen {% url %} tags per
    page."""
    return {"nav_urls": _nav_urls(get_urlconf(), get_script_prefix())}


@functools.lru_cache(maxsize=16)
def _nav_urls(urlconf, script_prefix: str) -> dict[str, str]:
    urls = {}
    for key, route in NAV_ROUTES.items():
        try:
            urls[key] = reverse(route, urlconf=urlconf)
        except NoReverseMatch:
            urls[key] = ""
    return urls
