from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    path("", views.startup_list, name="list"),
    path("startups/<int:pk>/", views.startup_detail, name="startup"),
    path("interests/<int:pk>/reply/", views.reply, name="reply"),
]
