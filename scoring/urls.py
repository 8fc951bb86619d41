from django.urls import path

from . import views

app_name = "scoring"
urlpatterns = [
    path("", views.standard_list, name="standard_list"),
    path("import/", views.standard_import, name="standard_import"),
    path("import/template.xlsx", views.standard_template, name="standard_template"),
    path("<int:pk>/", views.standard_detail, name="standard_detail"),
    path("<int:pk>/export.xlsx", views.standard_export, name="standard_export"),
    path("<int:pk>/activate/", views.standard_activate, name="standard_activate"),
    path("<int:pk>/retire/", views.standard_retire, name="standard_retire"),
    path("<int:pk>/new-version/", views.standard_new_version, name="standard_new_version"),
]
