from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Criterion, PartnerAccount, Programme, Round

admin.site.site_header = _("Blue Chip Incubator administration")
admin.site.site_title = _("Blue Chip Incubator")
admin.site.index_title = _("Programme administration")


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "organisers", "created_at"]
    search_fields = ["name", "organisers"]


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ["order", "name", "description", "weight", "max_score", "levels"]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "programme",
        "opens_at",
        "closes_at",
        "review_deadline",
        "reviews_per_application",
        "is_open",
    ]
    list_filter = ["programme"]
    list_select_related = ["programme"]
    search_fields = ["name"]
    date_hierarchy = "opens_at"
    inlines = [CriterionInline]

    @admin.display(boolean=True, description=_("open now"))
    def is_open(self, obj: Round) -> bool:
        return obj.is_open


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["name", "round", "weight", "max_score", "order"]
    list_filter = ["round"]
    list_select_related = ["round"]
    search_fields = ["name", "description"]


@admin.register(PartnerAccount)
class PartnerAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "joined_at"]
    list_filter = ["provider"]
    list_select_related = ["user", "provider"]
    search_fields = ["user__username", "provider__name"]
    autocomplete_fields = ["user", "provider"]


# Django's user, group and token pages for superusers; the base of the coordinators' account pages.
from . import admin_accounts  # noqa: E402, F401 (registers its ModelAdmins)
