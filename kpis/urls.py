from django.urls import path

from . import views

app_name = "kpis"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("risk/", views.site_risk, name="site_risk"),
    path("groups/", views.group_assessment, name="groups"),
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/report.xlsx", views.report_file, {"fmt": "xlsx"}, name="report_xlsx"),
    path("reports/<int:pk>/report.pdf", views.report_file, {"fmt": "pdf"}, name="report_pdf"),
    path("reports/<int:pk>/sign/", views.report_sign, name="report_sign"),
]
