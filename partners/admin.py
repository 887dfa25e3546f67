"""The partners' records in the admin: read-only, for coordinators (partners reach no admin
page: they are not staff)."""

from django.contrib import admin
from django.http import HttpRequest

from incubator.permissions import is_coordinator

from .models import Interest, ListVisit, StartupView


class ReadOnlyForCoordinators(admin.ModelAdmin):
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


@admin.register(Interest)
class InterestAdmin(ReadOnlyForCoordinators):
    list_display = ["provider", "application", "status", "at", "replied_at"]
    list_filter = ["status", "provider"]
    list_select_related = ["provider", "application"]
    search_fields = ["provider__name", "application__project_name"]
    readonly_fields = [
        "provider",
        "application",
        "status",
        "note",
        "by",
        "at",
        "reply",
        "replied_at",
    ]
    fields = readonly_fields


@admin.register(StartupView)
class StartupViewAdmin(ReadOnlyForCoordinators):
    list_display = ["provider", "application", "user", "first_viewed_at"]
    list_filter = ["provider"]
    list_select_related = ["provider", "application", "user"]
    readonly_fields = ["provider", "application", "user", "first_viewed_at"]
    fields = readonly_fields


@admin.register(ListVisit)
class ListVisitAdmin(ReadOnlyForCoordinators):
    list_display = ["provider", "first_at", "last_at"]
    list_select_related = ["provider"]
    readonly_fields = ["provider", "first_at", "last_at"]
    fields = readonly_fields
