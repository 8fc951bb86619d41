from django.urls import path

from . import file_views, views

app_name = "hazards"
urlpatterns = [
    path("", views.hazard_list, name="hazard_list"),
    path("export.xlsx", views.hazard_export, name="hazard_export"),
    path("files.zip", file_views.hazard_files_zip, name="hazard_files_zip"),
    path("new/", views.hazard_create, name="hazard_create"),
    path("notify/", views.notify, name="notify"),
    path("site-contact/<int:pk>/", views.site_contact, name="site_contact"),
    path("from-inspection/<int:pk>/", views.create_from_inspection, name="create_from_inspection"),
    path("<int:pk>/", views.hazard_detail, name="hazard_detail"),
    path("<int:pk>/edit/", views.hazard_edit, name="hazard_edit"),
    path("<int:pk>/file.pdf", file_views.hazard_file_pdf, name="hazard_file"),
    path("<int:pk>/act/<slug:action>/", views.hazard_action, name="hazard_action"),
    path("notices/<int:pk>/document/", views.notice_file, name="notice_file"),
    path("notices/<int:pk>/email/", views.notice_email, name="notice_email"),
    path("notices/<int:pk>/signed/", views.notice_file, {"which": "signed"}, name="notice_signed_scan"),
    path("reports/<int:pk>/document/", views.report_file, name="report_file"),
    path("photos/<int:pk>/", views.photo_file, name="photo_file"),
    path("photos/<int:pk>/thumb/", views.photo_file, {"size": "thumb"}, name="photo_thumb"),
    path("reply-photos/<int:pk>/", views.reply_photo_file, name="reply_photo_file"),
    path("reply-photos/<int:pk>/thumb/", views.reply_photo_file, {"size": "thumb"}, name="reply_photo_thumb"),
]
