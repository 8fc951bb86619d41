from django.urls import path

from . import views

app_name = "audits"
urlpatterns = [
    path("", views.inspection_list, name="inspection_list"),
    path("new/", views.inspection_create, name="inspection_create"),
    path("import/", views.inspection_import, name="inspection_import"),
    path("import/template.xlsx", views.inspection_import_template, name="inspection_import_template"),
    path("<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("<int:pk>/record/", views.inspection_record, name="inspection_record"),
    path("<int:pk>/record/<int:section>/", views.inspection_record, name="inspection_record_section"),
    path("<int:pk>/results/<int:result_pk>/", views.result_save, name="result_save"),
    path("<int:pk>/results/<int:result_pk>/photos/", views.photo_add, name="photo_add"),
    path("<int:pk>/submit/", views.inspection_submit, name="inspection_submit"),
    path("<int:pk>/reopen/", views.inspection_reopen, name="inspection_reopen"),
    path("<int:pk>/lock/", views.inspection_lock, name="inspection_lock"),
    path("<int:pk>/report.<str:fmt>", views.inspection_report, name="inspection_report"),
    path("photos/<int:pk>/", views.photo_file, name="photo_file"),
    path("photos/<int:pk>/thumb/", views.photo_file, {"size": "thumb"}, name="photo_thumb"),
]
