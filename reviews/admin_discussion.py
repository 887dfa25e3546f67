"""The discussion of an application and the reopening of reviews in the admin (DESIGN.md §14).

The discussion page (`admin:reviews_discussion`) is where the panel and coordinators read and
write: the reviewer workplace shows the thread with a form posting here, the coordinator's
application page lists it with a link here, and flagged rows of the ranking link here. Reopening
(`admin:reviews_review_reopen`) asks a coordinator for the reason and calls the service.
Visibility is `reviews.permissions.discussion_access`, as in the API.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from incubator.admin_readonly import CoordinatorsReadOnlyAdmin
from incubator.display import person_name
from incubator.exceptions import WorkflowError
from incubator.permissions import is_coordinator

from .discussion import REOPEN_REASON_MAX_LENGTH, post_comment, reopen_review, thread
from .enums import ReviewStatus
from .models import COMMENT_MAX_LENGTH, Comment, Review, ReviewVersion
from .permissions import DISCUSSION_HIDDEN, DISCUSSION_NOT_YET, discussion_access


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REOPEN_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=_("The reviewer reads it in the e-mail that tells them."),
    )


def _errors_to_form(form: forms.Form, error: DjangoValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def discussion_context(request: HttpRequest, application: Application) -> dict:
    """What a page needs to show the thread and its form, for a user who may read it."""
    return {
        "comments": thread(application=application, reader=request.user, translate=True),
        "comment_form": CommentForm(),
        "discussion_url": reverse("admin:reviews_discussion", args=[application.pk]),
    }


@admin.register(Comment)
class CommentAdmin(CoordinatorsReadOnlyAdmin):
    """Comments are read and written on the discussion page; the list is the coordinators'
    overview of every discussion."""

    list_display = ["created_at", "application", "author_name", "short_body"]
    list_select_related = ["application", "author"]
    list_filter = ["application__round"]
    search_fields = ["application__project_name", "body"]

    @admin.display(description=_("author"))
    def author_name(self, comment: Comment) -> str:
        return person_name(comment.author)

    @admin.display(description=_("comment"))
    def short_body(self, comment: Comment) -> str:
        return comment.body if len(comment.body) <= 120 else comment.body[:119] + "…"

    def get_urls(self):
        return [
            path(
                "discussion/<int:application_pk>/",
                self.admin_site.admin_view(self.discussion_view),
                name="reviews_discussion",
            ),
            path(
                "reopen/<int:review_pk>/",
                self.admin_site.admin_view(self.reopen_view),
                name="reviews_review_reopen",
            ),
            *super().get_urls(),
        ]

    def discussion_view(self, request: HttpRequest, application_pk: int):
        application = (
            Application.objects.select_related("startup", "round").filter(pk=application_pk).first()
        )
        access = (
            DISCUSSION_HIDDEN
            if application is None
            else discussion_access(request.user, application)
        )
        if access == DISCUSSION_HIDDEN:
            raise Http404(_("No such application."))
        if access == DISCUSSION_NOT_YET:
            raise PermissionDenied
        form = CommentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                post_comment(
                    application=application, author=request.user, body=form.cleaned_data["body"]
                )
            except DjangoValidationError as error:
                _errors_to_form(form, error)
            else:
                self.message_user(
                    request, _("Comment posted; the panel is told by e-mail within minutes.")
                )
                back = request.POST.get("next", "")
                if not url_has_allowed_host_and_scheme(
                    back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):
                    back = request.path
                return redirect(back)
        own_review = (
            Review.objects.filter(
                assignment__application=application, assignment__reviewer=request.user
            )
            .values_list("pk", flat=True)
            .first()
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Discussion of “%(project)s”") % {"project": application.project_name},
            "application": application,
            "coordinator": is_coordinator(request.user),
            "own_review": own_review,
            **discussion_context(request, application),
            "comment_form": form,
        }
        return TemplateResponse(request, "admin/reviews/comment/discussion.html", context)

    def reopen_view(self, request: HttpRequest, review_pk: int):
        if not is_coordinator(request.user):
            raise PermissionDenied
        review = get_object_or_404(
            Review.objects.select_related("assignment__application", "assignment__reviewer"),
            pk=review_pk,
        )
        form = ReopenForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reopen_review(review=review, actor=request.user, reason=form.cleaned_data["reason"])
            except DjangoValidationError as error:
                _errors_to_form(form, error)
            except WorkflowError as error:
                self.message_user(request, error.message, level=messages.ERROR)
                return redirect("admin:reviews_review_change", review.pk)
            else:
                self.message_user(
                    request,
                    _("The review is a draft again; %(reviewer)s is told by e-mail.")
                    % {"reviewer": person_name(review.assignment.reviewer)},
                )
                return redirect("admin:reviews_review_change", review.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": Review._meta,
            "title": _("Reopen the review of “%(project)s” by %(reviewer)s")
            % {
                "project": review.assignment.application.project_name,
                "reviewer": person_name(review.assignment.reviewer),
            },
            "review": review,
            "submitted": review.status == ReviewStatus.SUBMITTED,
            "form": form,
        }
        return TemplateResponse(request, "admin/reviews/review/reopen.html", context)


@admin.register(ReviewVersion)
class ReviewVersionAdmin(CoordinatorsReadOnlyAdmin):
    """Submitted reviews as they were before a coordinator reopened them: read-only."""

    list_display = ["review", "submitted_at", "reopened_at", "reopened_by", "total"]
    list_select_related = ["review__assignment__application", "reopened_by"]
    readonly_fields = [
        "review",
        "scores",
        "total",
        "recommendation",
        "confidence",
        "comment",
        "submitted_at",
        "reopened_at",
        "reopened_by",
        "reason",
    ]
    fields = readonly_fields


class ApplicationDiscussionInline(admin.TabularInline):
    """On an application's admin page (coordinators): its discussion, with a link to write."""

    model = Comment
    extra = 0
    can_delete = False
    verbose_name = _("comment")
    verbose_name_plural = _("discussion")
    template = "admin/reviews/comment/inline.html"
    fields = ["created_at", "author_name", "body"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_view_permission(self, request, obj=None) -> bool:
        return is_coordinator(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("author"))
    def author_name(self, comment: Comment) -> str:
        return person_name(comment.author)


def _install_application_discussion() -> None:
    application_admin = admin.site.get_model_admin(Application)
    if ApplicationDiscussionInline not in application_admin.inlines:
        application_admin.inlines = [*application_admin.inlines, ApplicationDiscussionInline]


_install_application_discussion()
