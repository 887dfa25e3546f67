"""/api/v1/: each app contributes its own routes."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .views import RegisterView, ReviewerViewSet, RoundViewSet, TokenView

app_name = "api"

router = SimpleRouter(trailing_slash=True)
router.register("rounds", RoundViewSet, basename="round")
router.register("reviewers", ReviewerViewSet, basename="reviewer")

urlpatterns = [
    path("auth/register/", RegisterView.as_view(), name="auth-register"),
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    *router.urls,
    path("", include("applications.api.urls")),
    path("", include("reviews.api.urls")),
    path("", include("incubator.notifications.api.urls")),
]
