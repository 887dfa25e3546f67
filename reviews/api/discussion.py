"""An application's discussion and the reopening of reviews (DESIGN.md §14): thin views over
reviews/discussion.py."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.models import Application
from incubator.api.permissions import IsCoordinator
from incubator.api.schema import error_responses
from reviews.discussion import post_comment, reopen_review, thread
from reviews.models import COMMENT_MAX_LENGTH, Review
from reviews.permissions import DISCUSSION_HIDDEN, DISCUSSION_NOT_YET, discussion_access
from reviews.selectors import review_detail

from .serializers import ReviewSerializer
from .views import review_payload


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    author_label = serializers.CharField(
        read_only=True,
        help_text='Coordinators read names; reviewers read reviewers as "Reviewer N" (the '
        "number their review has for the others) and coordinators by name.",
    )
    body = serializers.CharField(max_length=COMMENT_MAX_LENGTH)
    created_at = serializers.DateTimeField(read_only=True)


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why the review goes back: the reviewer reads it."
    )


def discussed_application(request, pk: int) -> Application:
    """The application if the user may join its discussion: 404 for anyone outside the panel
    (the application stays invisible), 403 for an assigned reviewer not yet submitted."""
    application = Application.objects.filter(pk=pk).first()
    access = (
        DISCUSSION_HIDDEN if application is None else discussion_access(request.user, application)
    )
    if access == DISCUSSION_HIDDEN:
        raise NotFound(_("No application with this id is visible to you."))
    if access == DISCUSSION_NOT_YET:
        raise PermissionDenied(
            _("Submit your own review first: the discussion opens to you after that.")
        )
    return application


@extend_schema(tags=["applications"])
class ApplicationComments(generics.GenericAPIView):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = CommentSerializer
    # For the schema's path parameter only: the view reads through discussed_application().
    queryset = Application.objects.none()

    @extend_schema(
        operation_id="applications_comments_list",
        summary="An application's discussion, oldest first (coordinators and the panel)",
        responses={200: CommentSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, pk: int):
        application = discussed_application(request, pk)
        page = self.paginate_queryset(thread(application=application, reader=request.user))
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(
        operation_id="applications_comments_create",
        summary="Write in an application's discussion (coordinators and the panel)",
        request=CommentSerializer,
        responses={201: CommentSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    def post(self, request, pk: int):
        application = discussed_application(request, pk)
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = post_comment(
            application=application, author=request.user, body=data.validated_data["body"]
        )
        row = next(
            item
            for item in thread(application=application, reader=request.user)
            if item["id"] == comment.pk
        )
        return Response(CommentSerializer(row).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["reviews"])
class ReviewReopen(APIView):
    permission_classes = [permissions.IsAuthenticated, IsCoordinator]

    @extend_schema(
        operation_id="reviews_reopen",
        summary="Reopen a submitted review for revision, with a reason (coordinators)",
        description="The review is a draft again and its reviewer is e-mailed the reason; the "
        "submitted version is kept (and in the audit trail). 409 for a draft.",
        request=ReopenSerializer,
        responses={200: ReviewSerializer, **error_responses(400, 401, 403, 404, 409, 415)},
    )
    def post(self, request, pk: int):
        review = get_object_or_404(Review, pk=pk)
        data = ReopenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reopen_review(review=review, actor=request.user, reason=data.validated_data["reason"])
        return Response(ReviewSerializer(review_payload(review_detail(pk=pk), request.user)).data)
