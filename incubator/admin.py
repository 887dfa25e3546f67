from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Criterion, PartnerAccount, Programme, Round
from .services import ROUND_FIELDS, record_round_change

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

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # The round and its rubric are saved by now, in the page's transaction: one audit event
        # says what the page changed (DESIGN.md §13: round.created, round.changed).
        super().save_related(request, form, formsets, change)
        fields = [name for name in (*ROUND_FIELDS, "programme") if name in form.changed_data]
        rubric = any(formset.has_changed() for formset in formsets)
        if change and not fields and not rubric:
            return
        record_round_change(
            actor=request.user,
            round_=form.instance,
            created=not change,
            fields=fields if change else (*ROUND_FIELDS, "programme"),
            rubric=rubric,
        )

    @admin.display(boolean=True, description=_("open now"))
    def is_open(self, obj: Round) -> bool:
        return obj.is_open


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["name", "round", "weight", "max_score", "order"]
    list_filter = ["round"]
    list_select_related = ["round"]
    search_fields = ["name", "description"]

    def save_model(self, request: HttpRequest, obj: Criterion, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record_round_change(actor=request.user, round_=obj.round, created=False, rubric=True)

    def delete_model(self, request: HttpRequest, obj: Criterion) -> None:
        round_ = obj.round
        super().delete_model(request, obj)
        record_round_change(actor=request.user, round_=round_, created=False, rubric=True)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        rounds = {criterion.round for criterion in queryset.select_related("round")}
        super().delete_queryset(request, queryset)
        for round_ in rounds:
            record_round_change(actor=request.user, round_=round_, created=False, rubric=True)


@admin.register(PartnerAccount)
class PartnerAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "joined_at"]
    list_filter = ["provider"]
    list_select_related = ["user", "provider"]
    search_fields = ["user__username", "provider__name"]
    autocomplete_fields = ["user", "provider"]


# Django's user, group and token pages for superusers; the base of the coordinators' account pages.
from . import admin_accounts  # noqa: E402, F401 (registers its ModelAdmins)
