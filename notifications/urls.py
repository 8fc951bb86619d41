from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("badge/", views.badge, name="badge"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("mailbox/", views.mailbox_list, name="mailbox"),
    path("mailbox/<str:name>/", views.mailbox_detail, name="mailbox_detail"),
    path("mailbox/<str:name>/<int:index>/", views.mailbox_attachment, name="mailbox_attachment"),
]
