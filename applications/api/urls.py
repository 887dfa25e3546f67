from rest_framework.routers import SimpleRouter

from .views import ApplicationViewSet, StartupViewSet

router = SimpleRouter(trailing_slash=True)
router.register("applications", ApplicationViewSet, basename="application")
router.register("startups", StartupViewSet, basename="startup")

urlpatterns = [*router.urls]
