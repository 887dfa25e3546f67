from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import ApplicationViewSet, RegisterView, StartupViewSet

router = SimpleRouter(trailing_slash=True, use_regex_path=False)
router.register("applications", ApplicationViewSet, basename="application")
router.register("startups", StartupViewSet, basename="startup")

urlpatterns = [
    path("auth/register/", RegisterView.as_view(), name="auth-register"),
    *router.urls,
]
