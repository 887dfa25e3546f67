"""The site's URLs: the composition root, which may import every app (DESIGN.md §3)."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from incubator.api.docs import RedocView, SwaggerView

# Admin pages of models that moved to another app answer at their new address; old bookmarks
# and links in e-mails follow.
MOVED_ADMIN_PAGES = {
    "incubator/notification": "notifications/notification",
    "incubator/notificationattempt": "notifications/notificationattempt",
    "reviews/criterion": "incubator/criterion",
}


def moved_admin_page(request: HttpRequest, old: str, rest: str) -> HttpResponsePermanentRedirect:
    query = request.META.get("QUERY_STRING", "")
    target = f"/admin/{MOVED_ADMIN_PAGES[old]}/{rest}"
    return HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)


urlpatterns = [
    re_path(
        r"^admin/(?P<old>{})/(?P<rest>.*)$".format("|".join(MOVED_ADMIN_PAGES)),
        moved_admin_page,
    ),
    path("admin/dashboard/", include("reviews.urls")),  # before the admin's catch-all
    path("admin/", admin.site.urls),
    path("api/v1/", include("incubator.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="api-redoc"),
    # The health endpoint (notifications/views.py), also at its old address without the slash,
    # where monitors set up earlier poll it (reversing the name gives the last: the slash).
    path("healthz", include("notifications.urls")),
    path("healthz/", include("notifications.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The providers' portal (partners/urls.py, DESIGN.md §12).
    path("partners/", include("partners.urls")),
    # The applicant portal at the site root (applications/urls.py).
    path("", include("applications.urls")),
]

handler403 = "incubator.views.permission_denied"
handler404 = "incubator.api.views.not_found"
