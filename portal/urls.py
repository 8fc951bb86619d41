from django.urls import path, re_path

from . import views

app_name = "portal"
# A selector is 16 URL-safe characters, a verifier 43 (secrets.token_urlsafe(12) and (32)).
SELECTOR = r"(?P<selector>[A-Za-z0-9_-]{16})"
urlpatterns = [
    # Staff: the drawn signatures (scoped like every stored file) and revoking a link.
    path("-/signatures/<int:pk>/", views.signature_file, name="signature_file"),
    path("-/links/<int:pk>/revoke/", views.link_revoke, name="link_revoke"),
    # The party.
    re_path(rf"^{SELECTOR}/$", views.notice, name="notice"),
    re_path(rf"^{SELECTOR}/acknowledge/$", views.acknowledge, name="acknowledge"),
    re_path(rf"^{SELECTOR}/hazards/(?P<hazard_id>[0-9]{{1,18}})/extension/$", views.extension, name="extension"),
    re_path(rf"^{SELECTOR}/hazards/(?P<hazard_id>[0-9]{{1,18}})/reply/$", views.reply, name="reply"),
    re_path(rf"^{SELECTOR}/notice\.pdf$", views.document, name="document"),
    re_path(rf"^{SELECTOR}/acknowledged\.pdf$", views.document, {"which": "acknowledged"},
            name="acknowledged_copy"),
    re_path(rf"^{SELECTOR}/photos/(?P<photo_id>[0-9]{{1,18}})/$", views.photo, name="photo"),
    re_path(rf"^{SELECTOR}/photos/(?P<photo_id>[0-9]{{1,18}})/full/$", views.photo, {"size": "full"},
            name="photo_full"),
    re_path(rf"^{SELECTOR}/reply-photos/(?P<photo_id>[0-9]{{1,18}})/$", views.reply_photo, name="reply_photo"),
    re_path(rf"^{SELECTOR}/(?P<verifier>[A-Za-z0-9_-]{{1,64}})/$", views.enter, name="enter"),
    # Anything else under /p/ (a link cut short, a selector changed): the same page as a bad link.
    re_path(r"^.*$", views.not_found, name="not_found"),
]
