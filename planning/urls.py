from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("", views.task_list, name="task_list"),
    path("mine/", views.my_tasks, name="my_tasks"),
    path("calendar/", views.task_calendar, name="task_calendar"),
    path("workload/", views.workload, name="workload"),
    path("new/", views.task_create, name="task_create"),
    path("assign/", views.task_assign_bulk, name="task_assign_bulk"),
    path("spot-checks/", views.plan_list, name="plan_list"),
    path("spot-checks/draw/", views.plan_draw, name="plan_draw"),
    path("spot-checks/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("risks/", views.risk_list, name="risk_list"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("<int:pk>/", views.task_detail, name="task_detail"),
    path("<int:pk>/assign/", views.task_assign, name="task_assign"),
    path("<int:pk>/start/", views.task_start, name="task_start"),
    path("<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
]
