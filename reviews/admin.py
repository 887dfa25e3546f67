from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from incubator.enums import Track

from .models import (
    Criterion,
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


class ReviewerProfileForm(forms.ModelForm):
    expertise = forms.MultipleChoiceField(
        label=_("expertise"),
        choices=Track.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tracks this reviewer knows best: automatic assignment prefers them."),
    )

    class Meta:
        model = ReviewerProfile
        fields = ["user", "expertise", "max_load", "language"]


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    form = ReviewerProfileForm
    list_display = ["user", "expertise", "max_load"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]


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

    # Scores change only through the review's scoring service (range and lock rules).
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ShortlistChange)
class ShortlistChangeAdmin(admin.ModelAdmin):
    list_display = ["shortlist", "application", "kind", "reason", "actor", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["shortlist", "application", "actor"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# Assignments, conflicts and reviews: the reviewers' workplace and the coordinators' pages.
from . import admin_reviewing  # noqa: E402, F401 (registers its ModelAdmins)
