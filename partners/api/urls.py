from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import PartnerMeView, PartnerStartupViewSet, RoundPartnersView

router = SimpleRouter(trailing_slash=True, use_regex_path=False)
router.register("partner/startups", PartnerStartupViewSet, basename="partner-startup")

urlpatterns = [
    path("partner/me/", PartnerMeView.as_view(), name="partner-me"),
    path("rounds/<int:pk>/partners/", RoundPartnersView.as_view(), name="round-partners"),
    *router.urls,
]
