"""/api/v1/: each app contributes its own routes."""

from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("applications.api.urls")),
    path("", include("reviews.api.urls")),
    path("", include("incubator.notifications.api.urls")),
]
