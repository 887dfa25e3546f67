from django.urls import path
from rest_framework.routers import SimpleRouter

from .audit import AuditEventListView, AuditVerifyView, CheckpointListView, PublicKeyView
from .views import NotificationViewSet, ProviderViewSet

router = SimpleRouter(trailing_slash=True, use_regex_path=False)
router.register("providers", ProviderViewSet, basename="provider")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    *router.urls,
    path("audit/events/", AuditEventListView.as_view(), name="audit-events"),
    path("audit/verify/", AuditVerifyView.as_view(), name="audit-verify"),
    path("audit/checkpoints/", CheckpointListView.as_view(), name="audit-checkpoints"),
    path("audit/public-key/", PublicKeyView.as_view(), name="audit-public-key"),
]
