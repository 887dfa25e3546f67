"""The partners' records in the admin: read-only, for coordinators (partners reach no admin
page: they are not staff)."""

from django.contrib import admin

from incubator.admin_readonly import CoordinatorsReadOnlyAdmin

from .models import Interest, ListVisit, StartupView


@admin.register(Interest)
class InterestAdmin(CoordinatorsReadOnlyAdmin):
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
class StartupViewAdmin(CoordinatorsReadOnlyAdmin):
    list_display = ["provider", "application", "user", "first_viewed_at"]
    list_filter = ["provider"]
    list_select_related = ["provider", "application", "user"]
    readonly_fields = ["provider", "application", "user", "first_viewed_at"]
    fields = readonly_fields


@admin.register(ListVisit)
class ListVisitAdmin(CoordinatorsReadOnlyAdmin):
    list_display = ["provider", "first_at", "last_at"]
    list_select_related = ["provider"]
    readonly_fields = ["provider", "first_at", "last_at"]
    fields = readonly_fields
