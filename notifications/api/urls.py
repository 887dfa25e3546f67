from rest_framework.routers import SimpleRouter

from .views import NotificationViewSet, ProviderViewSet

router = SimpleRouter(trailing_slash=True, use_regex_path=False)
router.register("providers", ProviderViewSet, basename="provider")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [*router.urls]
