"""The admin of reviewing: the reviewers' workplace and the coordinators' pages.

A reviewer (group Reviewers, not a coordinator) sees only their own assignments that are not
conflicted, opens each as a review page (the application's details and attachments, one score
field per criterion, save draft / submit) and declares conflicts. Everything else answers 403
(no model permission, see migration 0002) or 404 (an object that is not theirs).

Coordinators see every assignment and review with names, add assignments and conflicts through
the services, withdraw assignments with a reason (an action), run automatic assignment from the
Round list (an action) and read the ranking and the reviewers' progress and statistics pages.

Nobody deletes an assignment, a review or a score here, not even a superuser: a submitted review
is the record of work the ranking rests on. Django's admin also refuses to delete anything that
would take one with it (an application, a start-up, a user, a criterion), because these pages
refuse the deletion of what it would cascade to.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from applications.answers import answered_questions, round_questions
from applications.enums import ApplicationStatus, AttachmentKind
from applications.models import FINAL_STATUSES, PDF_CONTENT_TYPE, Application, Attachment
from incubator.display import person_name, score_text
from incubator.enums import Region, ServiceKind, Track
from incubator.exceptions import WorkflowError
from incubator.models import Criterion, Round
from incubator.permissions import REVIEWERS_GROUP, is_coordinator, is_reviewer

from . import permissions as rules
from .admin_discussion import discussion_context
from .calibration import is_outlier
from .dashboard import round_counts
from .enums import RankingMethod, ReviewStatus
from .exports import ranking_export_response
from .forms import ReviewForm, criterion_field_name
from .models import Assignment, ConflictOfInterest, Review
from .permissions import DISCUSSION_OPEN, discussion_access
from .scoring import ranking, reviewer_statistics_rows
from .selectors import (
    CountedRanking,
    assignments_with_reviews,
    other_reviews,
    review_detail,
    review_queue,
)
from .services import (
    WITHDRAWAL_REASON_MAX_LENGTH,
    assign_reviewer,
    assign_reviewers,
    declare_conflict,
    remind_overdue_reviewers,
    save_review,
    submit_review,
    withdraw_assignment,
)

RANKING_PAGE_SIZE = 100
# The ranking's sortable columns (`?order=spread`, `?order=-spread`): the column's name and the
# ordering it stands for, ascending; ties keep the rank's order.
RANKING_ORDERS = {
    "rank": ["rank"],
    "project": ["project_name"],
    "startup": ["startup__name"],
    "track": ["track"],
    "status": ["status"],
    "raw": ["raw_score"],
    "normalised": ["normalized_score"],
    "calibrated": ["calibrated_score"],
    "spread": ["spread"],
    "reviews": ["review_count"],
}
RANKING_COLUMNS = [
    ("rank", _("Rank"), True),
    ("project", _("Project"), False),
    ("startup", _("Start-up"), False),
    ("track", _("Track"), False),
    ("status", _("Status"), False),
    ("raw", _("Raw score"), True),
    ("normalised", _("Normalised"), True),
    ("calibrated", _("Calibrated"), True),
    ("spread", _("Spread"), True),
    ("reviews", _("Reviews"), True),
]


def ranking_order(order: str) -> list:
    """The ORDER BY of `?order=`: missing scores last either way, then the rank, then the id."""
    name = order.removeprefix("-")
    descending = order.startswith("-")
    fields = [
        F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
        for field in RANKING_ORDERS[name]
    ]
    return [*fields, F("rank").asc(), F("id").asc()]


def reviewer_only(request: HttpRequest) -> bool:
    """A reviewer who is not also a coordinator: the narrow workplace applies."""
    return is_reviewer(request.user) and not is_coordinator(request.user)


def attachment_url(attachment) -> str:
    # The one download view, which applies the same visibility rules as the admin.
    return reverse("attachment-download", kwargs={"pk": attachment.pk})


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


# ---------------------------------------------------------------------------------------------
# Assignments


def assignable(applications: QuerySet[Application]) -> QuerySet[Application]:
    """The applications a reviewer can be assigned to by hand: handed in, not yet decided."""
    return applications.filter(
        status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW]
    ).select_related("startup")


class AssignmentAddForm(forms.ModelForm):
    """Adding an assignment by hand goes through the service, which may refuse it."""

    class Meta:
        model = Assignment
        fields = ["application", "reviewer"]

    def __init__(self, *args, request: HttpRequest | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.created: Assignment | None = None
        if "reviewer" in self.fields:
            self.fields["reviewer"].queryset = self.fields["reviewer"].queryset.filter(
                groups__name=REVIEWERS_GROUP
            )
        if "application" in self.fields:
            self.fields["application"].queryset = assignable(Application.objects.all())

    def clean(self):
        cleaned = super().clean()
        application, reviewer = cleaned.get("application"), cleaned.get("reviewer")
        if application and reviewer and self.request is not None:
            try:
                self.created = assign_reviewer(
                    application=application, reviewer=reviewer, actor=self.request.user
                )
            except WorkflowError as error:
                raise forms.ValidationError(error.message) from error
            except DjangoValidationError as error:
                raise forms.ValidationError(error.messages) from error
            # The service made the row: the form now describes it (and finds no duplicate).
            self.instance = self.created
        return cleaned


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=WITHDRAWAL_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        help_text=_(
            "Recorded with the assignment. A draft review stops there; a submitted review is "
            "kept and no longer counts in the ranking."
        ),
    )


class OverdueFilter(admin.SimpleListFilter):
    """Past their due date, the review not submitted and the assignment not withdrawn."""

    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue: past due and not submitted"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return (
                queryset.filter(due_at__lt=timezone.now(), withdrawn_at__isnull=True)
                .exclude(review__status=ReviewStatus.SUBMITTED)
                .exclude(application__status__in=FINAL_STATUSES)
            )
        return queryset


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = [
        "application_name",
        "startup_name",
        "reviewer_name",
        "due_at",
        "review_status",
        "withdrawn",
        "open_review",
    ]
    list_filter = [
        OverdueFilter,
        "application__round",
        "review__status",
        ("withdrawn_at", admin.EmptyFieldListFilter),
        "reviewer",
    ]
    list_select_related = ["application__startup", "reviewer", "review"]
    search_fields = [
        "application__project_name",
        "application__startup__name",
        "reviewer__username",
        "reviewer__first_name",
        "reviewer__last_name",
    ]
    form = AssignmentAddForm
    # Searched as you type: listing every application made the form 4 MB and 9 s at 50,000.
    autocomplete_fields = ["application"]
    actions = ["remind_reviewers", "withdraw_selected"]

    def narrow_autocomplete(
        self, request: HttpRequest, field_name: str, queryset: QuerySet
    ) -> QuerySet:
        return assignable(queryset) if field_name == "application" else queryset

    # The most urgent first.
    ordering = ["due_at", "pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assignment]:
        return rules.assignments_visible_to(request.user).select_related(
            "application__startup", "reviewer", "review"
        )

    def get_list_display(self, request):
        if reviewer_only(request):
            return [
                name for name in self.list_display if name not in {"reviewer_name", "withdrawn"}
            ]
        return self.list_display

    def get_list_filter(self, request):
        if reviewer_only(request):
            # Only the rounds the reviewer has work in; the state of their review.
            return [
                ("application__round", admin.RelatedOnlyFieldListFilter),
                ("review__status", admin.ChoicesFieldListFilter),
            ]
        return self.list_filter

    @admin.display(boolean=True, description=_("withdrawn"), ordering="withdrawn_at")
    def withdrawn(self, obj: Assignment) -> bool:
        return obj.is_withdrawn

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)

        class RequestForm(form_class):
            def __init__(self, *args, **inner):
                super().__init__(*args, request=request, **inner)

        return RequestForm

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "application",
            "reviewer",
            "due_at",
            "created_by",
            "withdrawn_at",
            "withdrawn_by",
            "withdrawal_reason",
        ]

    def save_model(self, request, obj, form, change):
        # AssignmentAddForm.clean made the row (and its draft review) through the service.
        return

    def has_add_permission(self, request) -> bool:
        return is_coordinator(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Withdraw instead: the row records who, when and why, and its review stays.
        return False

    def has_withdraw_permission(self, request) -> bool:
        return is_coordinator(request.user)

    def has_remind_permission(self, request) -> bool:
        return is_coordinator(request.user)

    @admin.action(description=_("Remind the reviewers of overdue reviews"), permissions=["remind"])
    def remind_reviewers(self, request, queryset):
        result = remind_overdue_reviewers(assignments=queryset, actor=request.user)
        if result.sent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d reminder e-mailed to the reviewer.",
                    "%(count)d reminders e-mailed to the reviewers.",
                    result.sent,
                )
                % {"count": result.sent},
            )
        if result.already:
            self.message_user(
                request,
                ngettext(
                    "%(count)d reviewer was already reminded today: not e-mailed again.",
                    "%(count)d reviewers were already reminded today: not e-mailed again.",
                    result.already,
                )
                % {"count": result.already},
                messages.WARNING,
            )
        if result.not_overdue:
            self.message_user(
                request,
                ngettext(
                    "%(count)d assignment is not overdue (submitted, withdrawn, decided or not "
                    "yet due): nobody was reminded of it.",
                    "%(count)d assignments are not overdue (submitted, withdrawn, decided or not "
                    "yet due): nobody was reminded of them.",
                    result.not_overdue,
                )
                % {"count": result.not_overdue},
                messages.WARNING,
            )

    @admin.action(description=_("Withdraw selected assignments…"), permissions=["withdraw"])
    def withdraw_selected(self, request, queryset):
        form = WithdrawForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/reviews/assignment/withdraw.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.opts,
                    "title": _("Withdraw assignments"),
                    "assignments": queryset.select_related(
                        "application__startup", "reviewer", "review"
                    ),
                    "form": form,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        withdrawn = 0
        for assignment in queryset.order_by("pk"):
            try:
                withdraw_assignment(
                    assignment=assignment, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except WorkflowError as error:
                self.message_user(request, f"{assignment}: {error.message}", messages.WARNING)
            else:
                withdrawn += 1
        if withdrawn:
            self.message_user(
                request,
                _("%(count)d assignment(s) withdrawn; the reason is recorded.")
                % {"count": withdrawn},
            )
        return None

    def changelist_view(self, request, extra_context=None):
        if reviewer_only(request):
            extra_context = {**(extra_context or {}), "title": _("Your assignments")}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        assignment = self.get_queryset(request).filter(pk=_int_or_404(object_id)).first()
        if assignment is None:
            raise Http404(_("No such assignment."))
        if reviewer_only(request):
            return redirect("admin:reviews_review_change", assignment.review.pk)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("application"), ordering="application__project_name")
    def application_name(self, obj: Assignment) -> str:
        return obj.application.project_name

    @admin.display(description=_("start-up"), ordering="application__startup__name")
    def startup_name(self, obj: Assignment) -> str:
        return obj.application.startup.name

    @admin.display(description=_("reviewer"), ordering="reviewer__last_name")
    def reviewer_name(self, obj: Assignment) -> str:
        return person_name(obj.reviewer)

    @admin.display(description=_("review"), ordering="review__status")
    def review_status(self, obj: Assignment) -> str:
        return obj.review.get_status_display()

    @admin.display(description="")
    def open_review(self, obj: Assignment) -> str:
        url = reverse("admin:reviews_review_change", args=[obj.review.pk])
        label = _("Open") if obj.review.status == ReviewStatus.SUBMITTED else _("Review")
        return format_html('<a class="button" href="{}">{}</a>', url, label)


def _int_or_404(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise Http404 from error


# ---------------------------------------------------------------------------------------------
# Conflicts


class ConflictForm(forms.ModelForm):
    class Meta:
        model = ConflictOfInterest
        fields = ["reviewer", "startup", "reason"]


@admin.register(ConflictOfInterest)
class ConflictOfInterestAdmin(admin.ModelAdmin):
    list_display = ["reviewer_name", "startup", "reason", "declared_by_name", "created_at"]
    list_select_related = ["reviewer", "startup", "declared_by"]

    @admin.display(description=_("reviewer"), ordering="reviewer__last_name")
    def reviewer_name(self, obj: ConflictOfInterest) -> str:
        return person_name(obj.reviewer)

    @admin.display(description=_("declared by"), ordering="declared_by__last_name")
    def declared_by_name(self, obj: ConflictOfInterest) -> str:
        return person_name(obj.declared_by)

    search_fields = ["reviewer__username", "startup__name", "reason"]
    form = ConflictForm
    # Searched as you type: a list of every start-up took seconds to render in a large round.
    autocomplete_fields = ["startup"]

    def allows_autocomplete(self, request: HttpRequest, field_name: str) -> bool:
        """Whoever may declare a conflict may search start-ups by name for it."""
        return field_name == "startup" and self.has_add_permission(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConflictOfInterest]:
        queryset = super().get_queryset(request)
        if is_coordinator(request.user):
            return queryset
        return queryset.filter(reviewer=request.user)

    def get_fields(self, request, obj=None):
        if obj is not None:
            return ["reviewer", "startup", "reason", "declared_by", "created_at"]
        if reviewer_only(request):
            return ["startup", "reason"]
        return ["reviewer", "startup", "reason"]

    def get_readonly_fields(self, request, obj=None):
        return ["reviewer", "startup", "reason", "declared_by", "created_at"] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "reviewer":
            kwargs["queryset"] = db_field.related_model.objects.filter(groups__name=REVIEWERS_GROUP)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return
        reviewer = request.user if reviewer_only(request) else obj.reviewer
        result = declare_conflict(
            reviewer=reviewer, startup=obj.startup, reason=obj.reason, actor=request.user
        )
        obj.pk = result.conflict.pk
        obj.reviewer = result.conflict.reviewer
        if result.withdrawn:
            self.message_user(
                request,
                _("%(count)d draft assignment(s) to this start-up were withdrawn.")
                % {"count": result.withdrawn},
            )
        if result.kept_submitted:
            self.message_user(
                request,
                _(
                    "%(count)d submitted review(s) of this start-up by this reviewer were kept; "
                    "a coordinator decides whether they count."
                )
                % {"count": len(result.kept_submitted)},
                level=messages.WARNING,
            )

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Another reviewer's conflict stays invisible: 404, not the admin's redirect.
        if not self.get_queryset(request).filter(pk=_int_or_404(object_id)).exists():
            raise Http404(_("No such conflict of interest."))
        return super().change_view(request, object_id, form_url, extra_context)


# ---------------------------------------------------------------------------------------------
# Reviews: the workplace


class ReviewConflictForm(forms.Form):
    """A reviewer declares, from the review page, a conflict with the application's start-up."""

    reason = forms.CharField(
        label=_("Why can you not review this start-up impartially?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = [
        "application_name",
        "startup_name",
        "reviewer_name",
        "due_at",
        "status",
        "submitted_at",
    ]
    list_filter = ["status", "recommendation", "assignment__application__round"]
    list_select_related = ["assignment__application__startup", "assignment__reviewer"]
    search_fields = [
        "assignment__application__project_name",
        "assignment__reviewer__username",
        "assignment__reviewer__first_name",
        "assignment__reviewer__last_name",
    ]
    change_list_template = "admin/reviews/review/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Review]:
        return (
            rules.reviews_visible_to(request.user)
            .select_related("assignment__application__startup", "assignment__reviewer")
            .annotate(
                conflicted=Exists(
                    ConflictOfInterest.objects.filter(
                        reviewer=OuterRef("assignment__reviewer"),
                        startup=OuterRef("assignment__application__startup"),
                    )
                )
            )
        )

    def get_list_display(self, request):
        if reviewer_only(request):
            return [name for name in self.list_display if name != "reviewer_name"]
        # A submitted review kept after its reviewer declared a conflict: the coordinator decides.
        return [*self.list_display, "conflict_declared", "assignment_withdrawn"]

    @admin.display(boolean=True, description=_("conflict declared"), ordering="-conflicted")
    def conflict_declared(self, obj: Review) -> bool:
        return obj.conflicted

    @admin.display(
        boolean=True, description=_("assignment withdrawn"), ordering="assignment__withdrawn_at"
    )
    def assignment_withdrawn(self, obj: Review) -> bool:
        return obj.assignment.is_withdrawn

    def get_list_filter(self, request):
        return ["status"] if reviewer_only(request) else self.list_filter

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Never, for anyone: withdraw the assignment instead (module docstring).
        return False

    @admin.display(description=_("application"), ordering="assignment__application__project_name")
    def application_name(self, obj: Review) -> str:
        return obj.assignment.application.project_name

    @admin.display(description=_("start-up"), ordering="assignment__application__startup__name")
    def startup_name(self, obj: Review) -> str:
        return obj.assignment.application.startup.name

    @admin.display(description=_("reviewer"), ordering="assignment__reviewer__last_name")
    def reviewer_name(self, obj: Review) -> str:
        return person_name(obj.assignment.reviewer)

    @admin.display(description=_("due"), ordering="assignment__due_at")
    def due_at(self, obj: Review):
        return obj.assignment.due_at

    def get_urls(self):
        own = [
            path(
                "ranking/",
                self.admin_site.admin_view(self.ranking_view),
                name="reviews_ranking",
            ),
            path(
                "reviewers/",
                self.admin_site.admin_view(self.reviewers_view),
                name="reviews_reviewer_statistics",
            ),
            path(
                "<int:review_pk>/conflict/",
                self.admin_site.admin_view(self.declare_conflict_view),
                name="reviews_review_declare_conflict",
            ),
        ]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_coordinator_pages": is_coordinator(request.user),
        }
        return super().changelist_view(request, extra_context)

    # -- the workplace --------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None, conflict_form=None):
        try:
            # One read: a review withdrawn between two reads would otherwise be a 500.
            review = review_detail(pk=_int_or_404(object_id), queryset=self.get_queryset(request))
        except Review.DoesNotExist as error:
            raise Http404(_("No such review.")) from error
        application = review.assignment.application
        criteria = list(Criterion.objects.filter(round_id=application.round_id))
        is_owner = review.assignment.reviewer_id == request.user.pk
        editable = is_owner and rules.can_edit_review(request.user, review)
        initial = {criterion_field_name(s.criterion): s.value for s in review.scores.all()}
        initial.update(
            recommendation=review.recommendation,
            confidence=review.confidence,
            comment=review.comment,
        )
        if request.method == "POST" and conflict_form is None:
            if not editable:
                raise PermissionDenied
            form = ReviewForm(request.POST, criteria=criteria, initial=initial)
            if form.is_valid():
                response = self._save_from_form(request, review, form)
                if response is not None:
                    return response
        else:
            form = ReviewForm(criteria=criteria, initial=initial, disabled=not editable)

        others = (
            other_reviews(review=review)
            if rules.can_see_other_reviews(request.user, review)
            else []
        )
        coordinator = is_coordinator(request.user)
        attachments = list(application.attachments.all())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Review of “%(project)s”") % {"project": application.project_name},
            "subtitle": application.startup.name,
            "review": review,
            "application": application,
            "startup": application.startup,
            "needs": [ServiceKind(kind).label for kind in application.needs],
            # Under the fixed fields, labels in the reader's language.
            "answers": answered_questions(application),
            "attachments": [
                {
                    "kind": a.get_kind_display(),
                    "name": a.original_name,
                    "size": human_size(a.size),
                    "url": attachment_url(a),
                }
                for a in attachments
            ],
            "criteria": criteria,
            "form": form,
            "editable": editable,
            "is_owner": is_owner,
            "show_names": coordinator,
            "others": [
                {
                    "label": person_name(other.assignment.reviewer) if coordinator else label,
                    "review": other,
                    "scores": {s.criterion_id: s.value for s in other.scores.all()},
                }
                for label, other in others
            ],
            "scores_by_criterion": {s.criterion_id: s.value for s in review.scores.all()},
            "blind": not others and not coordinator and review.status != ReviewStatus.SUBMITTED,
            "deck": _framed_deck(attachments),
            "queue": review_queue(reviewer=request.user, review=review) if is_owner else None,
            "conflict_form": (
                conflict_form or ReviewConflictForm()
                if is_owner and reviewer_only(request)
                else None
            ),
        }
        context["discussion"] = (
            discussion_context(request, application)
            if discussion_access(request.user, application) == DISCUSSION_OPEN
            else None
        )
        context["can_reopen"] = coordinator and review.status == ReviewStatus.SUBMITTED
        return TemplateResponse(request, "admin/reviews/review/workplace.html", context)

    def declare_conflict_view(self, request, review_pk: int):
        """The review page's "declare a conflict" form: through the service, then to the list."""
        if request.method != "POST":
            return redirect("admin:reviews_review_change", review_pk)
        review = (
            self.get_queryset(request)
            .filter(pk=review_pk)
            .select_related("assignment__application__startup")
            .first()
        )
        if review is None:
            raise Http404(_("No such review."))
        if review.assignment.reviewer_id != request.user.pk or not reviewer_only(request):
            raise PermissionDenied
        form = ReviewConflictForm(request.POST)
        if not form.is_valid():
            return self.change_view(request, str(review_pk), conflict_form=form)
        startup = review.assignment.application.startup
        try:
            result = declare_conflict(
                reviewer=request.user,
                startup=startup,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DjangoValidationError as error:
            _errors_to_form(form, error)
            return self.change_view(request, str(review_pk), conflict_form=form)
        self.message_user(
            request,
            _(
                "Conflict of interest with %(startup)s recorded. Its applications are no longer "
                "yours to review."
            )
            % {"startup": startup.name},
        )
        if result.kept_submitted:
            self.message_user(
                request,
                _(
                    "%(count)d submitted review(s) of this start-up were kept; "
                    "a coordinator decides whether they count."
                )
                % {"count": len(result.kept_submitted)},
                level=messages.WARNING,
            )
        return redirect("admin:reviews_assignment_changelist")

    def _save_from_form(self, request, review, form) -> HttpResponse | None:
        submitting = "_submit" in request.POST
        try:
            save_review(
                review=review,
                actor=request.user,
                scores=form.scores(),
                recommendation=form.cleaned_data["recommendation"],
                confidence=form.cleaned_data["confidence"] or "",
                comment=form.cleaned_data["comment"],
            )
        except DjangoValidationError as error:
            _errors_to_form(form, error)
            return None
        except WorkflowError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return None
        if submitting:
            try:
                submit_review(review=review, actor=request.user)
            except DjangoValidationError as error:
                _errors_to_form(form, error)
                self.message_user(
                    request,
                    _("Your draft is saved, but it cannot be submitted yet."),
                    level=messages.WARNING,
                )
                return None
            except WorkflowError as error:
                self.message_user(request, error.message, level=messages.ERROR)
                return None
            self.message_user(
                request, _("Review submitted. The other reviews are shown below, without names.")
            )
        else:
            self.message_user(request, _("Draft saved."))
        return HttpResponseRedirect(request.path)

    # -- coordinators' pages --------------------------------------------------------------

    def _coordinator_round(self, request) -> tuple[list[Round], Round | None]:
        if not is_coordinator(request.user):
            raise PermissionDenied
        rounds = list(Round.objects.order_by("-opens_at"))
        chosen = request.GET.get("round")
        current = None
        if chosen:
            current = next((r for r in rounds if str(r.pk) == chosen), None)
            if current is None:
                raise Http404(_("No such round."))
        elif rounds:
            current = rounds[0]
        return rounds, current

    def ranking_view(self, request):
        rounds, current = self._coordinator_round(request)
        filters = {
            "method": request.GET.get("method") or RankingMethod.RAW,
            "track": request.GET.get("track") or None,
            "region": request.GET.get("region") or None,
            "needs": request.GET.get("needs") or None,
            "status": request.GET.get("status") or None,
            "min_reviews": request.GET.get("min_reviews") or None,
        }
        errors = []
        choices = {
            "method": RankingMethod.values,
            "track": Track.values,
            "region": Region.values,
            "needs": ServiceKind.values,
            "status": ApplicationStatus.values,
        }
        for name, allowed in choices.items():
            if filters[name] is not None and filters[name] not in allowed:
                errors.append(
                    _("Unknown %(name)s “%(value)s”.") % {"name": name, "value": filters[name]}
                )
                filters[name] = None if name != "method" else RankingMethod.RAW
        if filters["min_reviews"] is not None:
            if str(filters["min_reviews"]).isdigit():
                filters["min_reviews"] = int(filters["min_reviews"])
            else:
                errors.append(_("The minimum number of reviews is a whole number."))
                filters["min_reviews"] = None
        order = request.GET.get("order") or "rank"
        if order.removeprefix("-") not in RANKING_ORDERS:
            errors.append(_("Unknown column to sort by “%(value)s”.") % {"value": order})
            order = "rank"
        flagged_only = request.GET.get("flagged") == "1"
        page = counts = None
        if current is not None:
            rows = ranking(round=current, **filters)
            if flagged_only:
                rows = rows.filter(flagged=True)
            rows = rows.order_by(*ranking_order(order))
            export_format = request.GET.get("export")
            if export_format in {"csv", "xlsx"}:
                return ranking_export_response(
                    rows,
                    export_format,
                    round_name=current.name,
                    language=request.LANGUAGE_CODE,
                    actor=request.user,
                    round_id=current.pk,
                    via="admin",
                    questions=round_questions(current),
                )
            if export_format:
                raise Http404(_("Export as csv or xlsx."))
            # Counted without ranking where it can be (selectors.ranking_count): one ranking.
            listed = rows if flagged_only else CountedRanking(rows, round=current, **filters)
            page = Paginator(listed, RANKING_PAGE_SIZE).get_page(request.GET.get("page"))
            counts = round_counts(round=current)  # the fit made current by ranking() above
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("export", None)
        unordered = query.copy()
        unordered.pop("order", None)
        columns = [
            {
                "label": label,
                "numeric": numeric,
                "sorted": order.removeprefix("-") == name,
                "descending": order == f"-{name}",
                "url": "?" + _with(unordered, order=_next_order(name, numeric, order)),
            }
            for name, label, numeric in RANKING_COLUMNS
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Ranking"),
            "rounds": rounds,
            "current": current,
            "filters": filters,
            "errors": errors,
            "page": page,
            "counts": counts,
            "order": order,
            "columns": columns,
            "flagged_only": flagged_only,
            "query": query.urlencode(),
            "csv_url": "?" + _with(query, export="csv"),
            "xlsx_url": "?" + _with(query, export="xlsx"),
            "methods": RankingMethod.choices,
            "tracks": Track.choices,
            "regions": Region.choices,
            "needs_choices": ServiceKind.choices,
            "statuses": ApplicationStatus.choices,
        }
        return TemplateResponse(request, "admin/reviews/ranking.html", context)

    def reviewers_view(self, request):
        rounds, current = self._coordinator_round(request)
        rows = []
        agreement = None
        if current is not None:
            state, users = reviewer_statistics_rows(round=current)
            agreement = state.agreement
            for user in users:
                progress = (
                    round(100 * user.submitted_count / user.assignment_count)
                    if user.assignment_count
                    else 0
                )
                model = {
                    "leniency": user.model_leniency,
                    "leniency_se": user.model_leniency_se,
                    "outlier": is_outlier(user.model_leniency, user.model_leniency_se),
                }
                rows.append({"user": user, "progress": progress, "model": model})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Reviewers: progress and statistics"),
            "rounds": rounds,
            "current": current,
            "rows": rows,
            "agreement": agreement,
        }
        return TemplateResponse(request, "admin/reviews/reviewer_statistics.html", context)


def _next_order(name: str, numeric: bool, order: str) -> str:
    """A click on the sorted column turns it round; an unsorted one sorts scores best first
    (and the rank from 1), text from A."""
    if order == name:
        return f"-{name}"
    if order == f"-{name}":
        return name
    return f"-{name}" if numeric and name != "rank" else name


def _with(query, **values) -> str:
    changed = query.copy()
    for name, value in values.items():
        changed[name] = value
    return changed.urlencode()


def _framed_deck(attachments: list[Attachment]) -> dict | None:
    """The pitch deck to show inside the review page: a PDF, in the browser's own viewer."""
    for attachment in attachments:
        is_pdf = attachment.content_type == PDF_CONTENT_TYPE
        if attachment.kind == AttachmentKind.PITCH_DECK and is_pdf:
            return {
                "name": attachment.original_name,
                "url": f"{attachment_url(attachment)}?disposition=inline",
            }
    return None


def _errors_to_form(form: forms.Form, error: DjangoValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages_ in error.message_dict.items():
        target = field if field in form.fields else None
        for message in messages_:
            form.add_error(target, message)


# ---------------------------------------------------------------------------------------------
# Round actions (RoundAdmin itself belongs to incubator/admin.py)


@admin.action(description=_("Assign reviewers automatically"), permissions=["change"])
def assign_reviewers_action(modeladmin, request: HttpRequest, queryset: QuerySet[Round]):
    if not is_coordinator(request.user):
        raise PermissionDenied
    for round_ in queryset:
        result = assign_reviewers(round=round_, actor=request.user)
        modeladmin.message_user(
            request,
            _("%(round)s: %(created)d assignment(s) made, %(total)d in all.")
            % {"round": round_, "created": result.created, "total": result.total},
        )
        if result.short:
            names = dict(
                Application.objects.filter(
                    pk__in=[row["application"] for row in result.short[:10]]
                ).values_list("pk", "project_name")
            )
            details = "; ".join(
                f"{names.get(row['application'], row['application'])}: {row['reason']}"
                for row in result.short[:10]
            )
            more = len(result.short) - 10
            modeladmin.message_user(
                request,
                _("%(count)d application(s) are short of reviewers. %(details)s%(more)s")
                % {
                    "count": len(result.short),
                    "details": details,
                    "more": _(" … and %(n)d more.") % {"n": more} if more > 0 else "",
                },
                level=messages.WARNING,
            )


@admin.action(description=_("Show the ranking"), permissions=["view"])
def show_ranking_action(modeladmin, request: HttpRequest, queryset: QuerySet[Round]):
    round_ = queryset.first()
    return redirect(f"{reverse('admin:reviews_ranking')}?round={round_.pk}")


class ApplicationReviewsInline(admin.TabularInline):
    """On an application's admin page: its reviews and scores, for coordinators only (a
    reviewer never reads other reviews here; their own page decides what they see)."""

    model = Assignment
    fk_name = "application"
    extra = 0
    can_delete = False
    verbose_name = _("review")
    verbose_name_plural = _("reviews and scores")
    fields = [
        "reviewer_name",
        "status",
        "total",
        "scores",
        "recommendation",
        "confidence",
        "comment",
        "submitted_at",
        "withdrawn",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return assignments_with_reviews()

    def has_view_permission(self, request, obj=None) -> bool:
        return is_coordinator(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("reviewer"))
    def reviewer_name(self, obj: Assignment) -> str:
        return person_name(obj.reviewer)

    @admin.display(description=_("status"))
    def status(self, obj: Assignment) -> str:
        return obj.review.get_status_display()

    @admin.display(description=_("total (0–100)"))
    def total(self, obj: Assignment) -> str:
        return score_text(obj.review_total)

    @admin.display(description=_("scores"))
    def scores(self, obj: Assignment) -> str:
        return "; ".join(
            f"{score.criterion.name}: {score.value}/{score.criterion.max_score}"
            for score in obj.review.scores.all()
        )

    @admin.display(description=_("recommendation"))
    def recommendation(self, obj: Assignment) -> str:
        return obj.review.get_recommendation_display() or "–"

    @admin.display(description=_("confidence"))
    def confidence(self, obj: Assignment) -> str:
        return str(obj.review.confidence or "–")

    @admin.display(description=_("comments"))
    def comment(self, obj: Assignment) -> str:
        return obj.review.comment

    @admin.display(description=_("submitted at"))
    def submitted_at(self, obj: Assignment):
        return obj.review.submitted_at

    @admin.display(boolean=True, description=_("withdrawn"))
    def withdrawn(self, obj: Assignment) -> bool:
        return obj.is_withdrawn


def _install_application_reviews() -> None:
    application_admin = admin.site.get_model_admin(Application)
    if ApplicationReviewsInline not in application_admin.inlines:
        application_admin.inlines = [*application_admin.inlines, ApplicationReviewsInline]


def _install_round_actions() -> None:
    round_admin = admin.site.get_model_admin(Round)
    actions = list(round_admin.actions or [])
    for action in (assign_reviewers_action, show_ranking_action):
        if action not in actions:
            actions.append(action)
    round_admin.actions = actions


# incubator (and its RoundAdmin) and applications come before reviews in INSTALLED_APPS.
_install_round_actions()
_install_application_reviews()
