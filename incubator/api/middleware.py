"""The API answers a method it does not serve with 405, before asking who is calling.

DRF checks authentication and permissions before it looks for the method's handler, so a
`TRACE /api/v1/rounds/1/` from an anonymous client answered 401. The method is a property of the
URL, not of the caller: the matched view's methods decide first.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from rest_framework.exceptions import MethodNotAllowed

API_PREFIX = "/api/"


def allowed_methods(path: str) -> set[str] | None:
    """The methods the DRF view at `path` answers, or None when no DRF view matches."""
    try:
        view = resolve(path).func
    except Resolver404:
        return None
    view_class = getattr(view, "cls", None)
    if view_class is None:
        return None
    served = set(view_class.http_method_names)
    actions = getattr(view, "actions", None)
    if actions:  # a viewset route: its method → action map
        methods = {method for method in actions if method in served}
    else:
        methods = {method for method in served if hasattr(view_class, method)}
    if "get" in methods and "head" in served:
        methods.add("head")
    if "options" in served:
        methods.add("options")
    return {method.upper() for method in methods}


class MethodNotAllowedFirst:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            allowed = allowed_methods(request.path_info)
            if allowed is not None and request.method not in allowed:
                error = MethodNotAllowed(request.method)
                response = JsonResponse({"detail": str(error.detail)}, status=error.status_code)
                response["Allow"] = ", ".join(sorted(allowed))
                return response
        return self.get_response(request)
