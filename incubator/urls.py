from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/dashboard/", include("reviews.urls")),  # before the admin's catch-all
    path("admin/", admin.site.urls),
    path("api/v1/", include("incubator.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The applicant portal at the site root (applications/urls.py).
    path("", include("applications.urls")),
]

handler404 = "incubator.api.views.not_found"
