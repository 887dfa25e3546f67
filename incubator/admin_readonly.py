"""One base for the admin pages of records that services write (and audit): coordinators read
them; nobody adds, changes or deletes them in the admin."""

from django.contrib import admin
from django.http import HttpRequest

from .permissions import is_coordinator


class CoordinatorsReadOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_coordinator(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_coordinator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
