"""/api/v1/: part of the composition root; each app contributes its own routes."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .views import RoundViewSet, TokenView

app_name = "api"

router = SimpleRouter(trailing_slash=True, use_regex_path=False)
router.register("rounds", RoundViewSet, basename="round")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    *router.urls,
    path("", include("applications.api.urls")),
    path("", include("reviews.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("partners.api.urls")),
]
