from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from notifications import views as notification_views
from org import views as org_views

urlpatterns = [
    path("", org_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/setlang/", org_views.set_language, name="set_language"),
    path("org/", include("org.urls")),
    path("standards/", include("scoring.urls")),
    path("inspections/", include("audits.urls")),
    path("hazards/", include("hazards.urls")),
    path("notifications/", include("notifications.urls")),
    # The responsible party's portal: no account, reached by the link in the notice e-mail.
    path("p/", include("portal.urls")),
    path("planning/", include("planning.urls")),
    path("kpis/", include("kpis.urls")),
    path("status/", notification_views.status, name="status"),
    path("admin/", admin.site.urls),
]

# MEDIA_ROOT is never served, in any settings module, DEBUG or not: uploads and issued documents
# leave the server only through the scoped views (org.uploads.file_response), which check the
# user's units like the rows themselves. tests/test_uploads_media.py holds every settings module to it.
