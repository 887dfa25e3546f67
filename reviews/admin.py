from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from applications.enums import ApplicationStatus
from applications.models import Application
from incubator.display import score_text
from incubator.enums import Region, ServiceKind, Track
from incubator.exceptions import WorkflowError
from incubator.permissions import is_coordinator

from .exports import export_response
from .models import (
    ReviewerProfile,
    Score,
    Shortlist,
    ShortlistChange,
    ShortlistEntry,
)
from .shortlist_forms import EntryChangeForm, ShortlistCreateForm
from .shortlists import (
    ALREADY_SHORTLISTED,
    SHORTLISTABLE,
    add_to_shortlist,
    create_shortlist,
    publish_shortlist,
    quotas_in_words,
    remove_from_shortlist,
)

# The admin index links coordinators to their dashboard (reviews/views.py).
admin.site.index_template = "admin/reviews/index.html"


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
    """Read here; changed with the account, on the Reviewer accounts page (admin_accounts.py),
    which checks whose account it is."""

    form = ReviewerProfileForm
    list_display = ["user", "expertise", "max_load"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ShortlistEntryInline(admin.TabularInline):
    model = ShortlistEntry
    extra = 0
    fields = [
        "rank",
        "project",
        "startup",
        "raw",
        "normalized",
        "calibrated",
        "spread_",
        "review_count",
        "status",
    ]
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("application__startup")

    @admin.display(description=_("project"))
    def project(self, entry: ShortlistEntry) -> str:
        url = reverse("admin:applications_application_change", args=[entry.application_id])
        return format_html('<a href="{}">{}</a>', url, entry.application.project_name)

    @admin.display(description=_("start-up"))
    def startup(self, entry: ShortlistEntry) -> str:
        return entry.application.startup.name

    @admin.display(description=_("raw score"))
    def raw(self, entry: ShortlistEntry) -> str:
        return _number(entry.raw_score)

    @admin.display(description=_("normalised score"))
    def normalized(self, entry: ShortlistEntry) -> str:
        return _number(entry.normalized_score)

    @admin.display(description=_("calibrated score"))
    def calibrated(self, entry: ShortlistEntry) -> str:
        return _number(entry.calibrated_score)

    @admin.display(description=_("spread"))
    def spread_(self, entry: ShortlistEntry) -> str:
        return _number(entry.spread)

    @admin.display(description=_("status now"))
    def status(self, entry: ShortlistEntry) -> str:
        return entry.application.get_status_display()

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ShortlistChangeInline(admin.TabularInline):
    model = ShortlistChange
    extra = 0
    fields = ["created_at", "kind", "application", "reason", "actor"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("changes by hand")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Shortlist)
class ShortlistAdmin(admin.ModelAdmin):
    """Made from the ranking by the add form; changed only by the shortlist services."""

    list_display = [
        "name",
        "round",
        "method",
        "entry_count",
        "created_by",
        "created_at",
        "published_at",
    ]
    list_filter = ["round", "method", ("published_at", admin.EmptyFieldListFilter)]
    list_select_related = ["round", "created_by"]
    search_fields = ["name", "round__name"]
    fields = [
        "round",
        "name",
        "method",
        "size",
        "min_score",
        "ranking_filters",
        "quotas_in_words",
        "unmet_quotas_in_words",
        "created_by",
        "created_at",
        "published_at",
        "published_by",
    ]
    readonly_fields = fields
    inlines = [ShortlistEntryInline, ShortlistChangeInline]
    actions = ["publish_selected", "export_csv", "export_xlsx"]
    change_form_template = "admin/reviews/shortlist/change_form.html"

    # Only coordinators see shortlists, whatever model permissions a user was given.
    def has_module_permission(self, request) -> bool:
        return is_coordinator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_coordinator(request.user)

    def has_add_permission(self, request) -> bool:
        return is_coordinator(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_coordinator(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        # What was sent to partners stays on record.
        return is_coordinator(request.user) and not (obj is not None and obj.is_published)

    def has_publish_permission(self, request) -> bool:
        return is_coordinator(request.user)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entry_count=Count("entries"))

    @admin.display(description=_("filters"))
    def ranking_filters(self, shortlist: Shortlist) -> str:
        return filters_in_words(shortlist)

    @admin.display(description=_("quotas"))
    def quotas_in_words(self, shortlist: Shortlist) -> str:
        return quotas_in_words(shortlist.quotas) or "–"

    @admin.display(description=_("unmet quotas"))
    def unmet_quotas_in_words(self, shortlist: Shortlist) -> str:
        if not shortlist.quotas:
            return "–"
        return quotas_in_words(shortlist.unmet_quotas) or _("All met")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing on the page is edited by hand: the tools above the form change a shortlist.
        shortlist = Shortlist.objects.filter(pk=object_id if str(object_id).isdigit() else None)
        shortlist = shortlist.first()
        extra_context = {
            **(extra_context or {}),
            "filters_in_words": filters_in_words(shortlist) if shortlist else "",
            "missing_ranks": missing_ranks(shortlist) if shortlist else [],
            "status_chosen": bool(shortlist and shortlist.filters.get("status")),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("entries"), ordering="entry_count")
    def entry_count(self, shortlist: Shortlist) -> int:
        return shortlist.entry_count

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path(
                "<int:pk>/export/<str:export_format>/",
                view(self.export_view),
                name="reviews_shortlist_export",
            ),
            path("<int:pk>/publish/", view(self.publish_view), name="reviews_shortlist_publish"),
            path(
                "<int:pk>/entries/<str:change>/",
                view(self.entry_change_view),
                name="reviews_shortlist_entries",
            ),
            *super().get_urls(),
        ]

    def _shortlist_or_404(self, request, pk: int) -> Shortlist:
        if not is_coordinator(request.user):
            raise PermissionDenied
        return get_object_or_404(Shortlist.objects.select_related("round"), pk=pk)

    def _page(self, request, shortlist: Shortlist, template: str, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": shortlist,
                "shortlist": shortlist,
                **context,
            },
        )

    # --- creating from the ranking -----------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ShortlistCreateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                shortlist = create_shortlist(actor=request.user, **form.service_arguments())
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                self.log_addition(request, shortlist, [{"added": {}}])
                self.message_user(
                    request,
                    _("Shortlist “%(name)s” made with %(count)d entries.")
                    % {"name": shortlist.name, "count": shortlist.entries.count()},
                )
                return redirect("admin:reviews_shortlist_change", shortlist.pk)
        return TemplateResponse(
            request,
            "admin/reviews/shortlist/create.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "form": form,
                "title": _("New shortlist from the ranking"),
                "add": True,
            },
        )

    # --- adding and removing entries with a reason -------------------------------------------

    def entry_change_view(self, request, pk: int, change: str):
        shortlist = self._shortlist_or_404(request, pk)
        if change not in {"add", "remove"}:
            raise Http404
        if shortlist.is_published:
            self.message_user(
                request, _("A published shortlist no longer changes."), messages.WARNING
            )
            return redirect("admin:reviews_shortlist_change", shortlist.pk)
        on_list = Application.objects.filter(shortlist_entries__shortlist=shortlist)
        if change == "add":
            candidates = (
                Application.objects.filter(round=shortlist.round)
                .filter(status__in=SHORTLISTABLE | ALREADY_SHORTLISTED)
                .exclude(pk__in=on_list.values("pk"))
            )
            service, title = add_to_shortlist, _("Add an application to “%(name)s”")
        else:
            candidates = on_list
            service, title = remove_from_shortlist, _("Remove an application from “%(name)s”")
        form = EntryChangeForm(request.POST or None, applications=candidates)
        if request.method == "POST" and form.is_valid():
            try:
                service(
                    shortlist=shortlist,
                    application=form.cleaned_data["application"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ValidationError as error:
                _add_service_errors(form, error)
            except WorkflowError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(request, _("The shortlist was changed; the reason is recorded."))
                return redirect("admin:reviews_shortlist_change", shortlist.pk)
        return self._page(
            request,
            shortlist,
            "admin/reviews/shortlist/entry_change.html",
            form=form,
            change=change,
            title=title % {"name": shortlist.name},
        )

    # --- publishing ----------------------------------------------------------------------------

    def publish_view(self, request, pk: int):
        shortlist = self._shortlist_or_404(request, pk)
        if request.method == "POST":
            self._publish(request, [shortlist])
            return redirect("admin:reviews_shortlist_change", shortlist.pk)
        entries = shortlist.entries.select_related("application__startup").order_by("rank", "id")
        return self._page(
            request,
            shortlist,
            "admin/reviews/shortlist/publish.html",
            entries=entries,
            title=_("Publish “%(name)s”?") % {"name": shortlist.name},
        )

    def _publish(self, request, shortlists) -> None:
        for shortlist in shortlists:
            if shortlist.is_published:
                self.message_user(
                    request,
                    _("“%(name)s” was already published: nothing changed.")
                    % {"name": shortlist.name},
                    messages.INFO,
                )
                continue
            try:
                publish_shortlist(shortlist=shortlist, actor=request.user)
            except WorkflowError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("“%(name)s” published: its applications are shortlisted.")
                    % {"name": shortlist.name},
                )

    @admin.action(description=_("Publish selected shortlists"), permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._publish(request, queryset.select_related("round"))

    # --- exports -------------------------------------------------------------------------------

    def export_view(self, request, pk: int, export_format: str):
        shortlist = self._shortlist_or_404(request, pk)
        if export_format not in {"csv", "xlsx"}:
            raise Http404
        return self._export(request, shortlist, export_format)

    def _export_action(self, request, queryset, export_format: str):
        if queryset.count() != 1:
            self.message_user(
                request, _("Select exactly one shortlist to export."), messages.WARNING
            )
            return None
        return self._export(request, queryset.select_related("round").get(), export_format)

    def _export(self, request, shortlist, export_format: str):
        """The file, in the coordinator's language, recorded as an export made in the admin."""
        return export_response(
            shortlist,
            export_format,
            language=request.LANGUAGE_CODE,
            actor=request.user,
            via="admin",
        )

    @admin.action(description=_("Export as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export_action(request, queryset, "csv")

    @admin.action(description=_("Export as Excel (XLSX)"), permissions=["view"])
    def export_xlsx(self, request, queryset):
        return self._export_action(request, queryset, "xlsx")


def filters_in_words(shortlist: Shortlist) -> str:
    """The filters the shortlist was made with, as a sentence in the reader's language."""
    filters = shortlist.filters or {}
    labels = {
        "track": (gettext("track"), Track),
        "region": (gettext("region"), Region),
        "needs": (gettext("needs"), ServiceKind),
        "status": (gettext("status"), ApplicationStatus),
    }
    parts = []
    for name, (word, choices) in labels.items():
        value = filters.get(name)
        if value:
            label = dict(choices.choices).get(value, value)
            parts.append(gettext("%(filter)s is “%(value)s”") % {"filter": word, "value": label})
    if filters.get("min_reviews"):
        parts.append(
            ngettext(
                "at least %(count)d submitted review",
                "at least %(count)d submitted reviews",
                filters["min_reviews"],
            )
            % {"count": filters["min_reviews"]}
        )
    if not filters.get("status"):
        parts.append(gettext("only applications under review, shortlisted or accepted"))
    if shortlist.size:
        parts.append(gettext("the first %(size)d of them") % {"size": shortlist.size})
    if shortlist.min_score is not None:
        parts.append(
            gettext("scoring at least %(score)s") % {"score": score_text(shortlist.min_score)}
        )
    return "; ".join(parts) + "."


def missing_ranks(shortlist: Shortlist) -> list[int]:
    """The ranks below the last entry's that no entry holds (one query)."""
    ranks = set(shortlist.entries.values_list("rank", flat=True))
    return [rank for rank in range(1, max(ranks, default=0) + 1) if rank not in ranks]


def _number(value: float | None) -> str:
    return score_text(value)


def _add_service_errors(form, error: ValidationError) -> None:
    """Show a service's field errors next to the field, or above the form."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@admin.register(ShortlistEntry)
class ShortlistEntryAdmin(admin.ModelAdmin):
    """Entries are a frozen snapshot: read them here, change them through the shortlist."""

    list_display = [
        "shortlist",
        "rank",
        "application",
        "raw_score",
        "normalized_score",
        "calibrated_score",
    ]
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
    # Everything the review's name shows, in the page's one query.
    list_select_related = [
        "review__assignment__application__startup",
        "review__assignment__reviewer",
        "criterion",
    ]
    # Newest first, along the primary key: the model's order by criterion sorted every score
    # of every round before showing 100 (1.1 s at 900,000 scores).
    ordering = ["-pk"]

    # Scores change only through the review's scoring service (range and lock rules), and are
    # never deleted here: a review's scores are what the ranking rests on.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
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
from . import admin_accounts, admin_discussion, admin_reviewing  # noqa: E402, F401 (register their ModelAdmins)
