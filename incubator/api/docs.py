"""The API's documentation pages, from our own static files and within the site's CSP.

Swagger UI and Redoc come from drf-spectacular-sidecar (no CDN: the pages work offline), and
neither page has an inline script or style: Swagger UI's start-up script is fetched from the same
URL (`?script`), and Redoc is started by a static script that hands it the request's CSP nonce
for the styles it writes at run time (incubator/static/incubator/redoc-*.js).
"""

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response

# While it loads, before it can be given the nonce, Redoc's bundle writes one <style> of its own
# (perfect-scrollbar's CSS): empty, then filled. These CSP hash sources allow exactly those two
# contents on the Redoc page. The browser test (tests/browser/test_content_security_policy.py)
# fails if a new drf-spectacular-sidecar changes them; Chromium's console then names the hash.
REDOC_STYLE_HASHES = [
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # the empty element
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",  # perfect-scrollbar 1.5's CSS
]


class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"


class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"

    @extend_schema(exclude=True)
    def get(self, request: Request, *args, **kwargs) -> Response:
        response = super().get(request, *args, **kwargs)
        response.data["favicon_href"] = SwaggerView._swagger_ui_favicon()
        # Read by django-csp's middleware, as its csp_update decorator does.
        response._csp_update = {"style-src": REDOC_STYLE_HASHES}
        return response
