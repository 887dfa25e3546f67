from django.contrib import admin

from .models import (
    Assignment,
    ConflictOfInterest,
    Criterion,
    Review,
    ReviewerProfile,
    Score,
    Shortlist,
    ShortlistChange,
    ShortlistEntry,
)


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["name", "round", "weight", "max_score", "order"]
    list_filter = ["round"]
    list_select_related = ["round"]
    search_fields = ["name", "description"]


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "expertise", "max_load"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]


@admin.register(ConflictOfInterest)
class ConflictOfInterestAdmin(admin.ModelAdmin):
    list_display = ["reviewer", "startup", "reason", "created_at"]
    list_select_related = ["reviewer", "startup"]
    search_fields = ["reviewer__username", "startup__name", "reason"]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["application", "reviewer", "due_at", "created_at"]
    list_filter = ["application__round", "reviewer"]
    list_select_related = ["application", "reviewer"]
    search_fields = ["application__project_name", "reviewer__username"]


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["assignment", "status", "recommendation", "confidence", "submitted_at"]
    list_filter = ["status", "recommendation", "assignment__application__round"]
    list_select_related = ["assignment__application", "assignment__reviewer"]
    search_fields = ["assignment__application__project_name", "assignment__reviewer__username"]
    readonly_fields = ["status", "submitted_at", "updated_at"]
    inlines = [ScoreInline]


class ShortlistEntryInline(admin.TabularInline):
    model = ShortlistEntry
    extra = 0
    fields = ["rank", "application", "raw_score", "normalized_score", "spread", "review_count"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Shortlist)
class ShortlistAdmin(admin.ModelAdmin):
    list_display = ["name", "round", "method", "created_by", "created_at", "published_at"]
    list_filter = ["round", "method"]
    list_select_related = ["round", "created_by"]
    search_fields = ["name"]
    readonly_fields = ["published_at", "published_by", "created_by", "created_at"]
    inlines = [ShortlistEntryInline]


@admin.register(ShortlistEntry)
class ShortlistEntryAdmin(admin.ModelAdmin):
    """Entries are a frozen snapshot: read them here, change them through the shortlist."""

    list_display = ["shortlist", "rank", "application", "raw_score", "normalized_score"]
    list_filter = ["shortlist__round", "shortlist"]
    list_select_related = ["shortlist", "application"]
    search_fields = ["application__project_name", "shortlist__name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ["review", "criterion", "value"]
    list_filter = ["criterion__round", "criterion"]
    list_select_related = ["review__assignment__application", "criterion"]


@admin.register(ShortlistChange)
class ShortlistChangeAdmin(admin.ModelAdmin):
    list_display = ["shortlist", "application", "kind", "reason", "actor", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["shortlist", "application", "actor"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
