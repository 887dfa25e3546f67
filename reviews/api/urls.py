from django.urls import include, path
from rest_framework.routers import SimpleRouter

router = SimpleRouter(trailing_slash=True)

urlpatterns = [*router.urls, path("", include("reviews.api.shortlists"))]
