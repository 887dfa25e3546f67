from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from incubator.permissions import is_coordinator


class IsCoordinator(BasePermission):
    """Logged in (else 401) and a coordinator (else 403)."""

    message = _("Only coordinators may do this.")

    def has_permission(self, request, view) -> bool:
        return is_coordinator(request.user)


class ReadAnyoneWriteCoordinator(BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or is_coordinator(request.user)
