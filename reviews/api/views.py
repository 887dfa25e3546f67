"""The reviewing API: thin views over reviews/services.py and reviews/selectors.py."""

from collections.abc import Mapping

import django_filters
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
)
from rest_framework import generics, permissions, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.models import Startup
from incubator.api.filters import IdFilter
from incubator.api.permissions import IsCoordinator
from incubator.api.schema import error_responses
from incubator.models import Round
from incubator.permissions import REVIEWERS_GROUP, is_coordinator
from reviews import permissions as rules
from reviews.models import Assignment, Review
from reviews.scoring import ranking, reviewer_statistics_report
from reviews.selectors import CountedRanking, other_reviews, review_detail
from reviews.services import assign_reviewers, declare_conflict, save_review, submit_review

from .serializers import (
    AssignmentSerializer,
    AssignResultSerializer,
    ConflictInputSerializer,
    ConflictSerializer,
    CoordinatorAssignmentSerializer,
    RankingQuerySerializer,
    RankingRowSerializer,
    ReviewerStatisticsSerializer,
    ReviewInputSerializer,
    ReviewSerializer,
)

_ERRORS = error_responses(400, 401, 403, 404, 409)
BAD_VALUE, ANONYMOUS, FORBIDDEN, NOT_FOUND, CONFLICT = (
    _ERRORS[code] for code in (400, 401, 403, 404, 409)
)


class ReviewsRole(permissions.BasePermission):
    message = gettext_lazy("Only reviewers and coordinators work on reviews.")

    def has_permission(self, request, view) -> bool:
        return rules.works_on_reviews(request.user)


class ReviewingView:
    permission_classes = [permissions.IsAuthenticated, ReviewsRole]


class AssignmentFilter(django_filters.FilterSet):
    round = IdFilter(field_name="application__round_id", help_text="Only this round's.")
    reviewer = IdFilter(field_name="reviewer_id", help_text="Coordinators: only this reviewer.")

    class Meta:
        model = Assignment
        fields = ["round", "reviewer"]


class AssignmentList(ReviewingView, generics.ListAPIView):
    filterset_class = AssignmentFilter

    @extend_schema(
        summary="Assignments: a reviewer's own, or all for a coordinator",
        responses={
            200: OpenApiResponse(
                AssignmentSerializer(many=True),
                description="A coordinator's rows also carry `reviewer`, the reviewer's user id.",
            ),
            400: BAD_VALUE,
            401: ANONYMOUS,
            403: FORBIDDEN,
            404: NOT_FOUND,  # a page past the end
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_serializer_class(self):
        if is_coordinator(self.request.user):
            return CoordinatorAssignmentSerializer
        return AssignmentSerializer

    def get_queryset(self):
        return (
            # Withdrawn assignments are the admin's record; the API lists the working set.
            rules.assignments_visible_to(self.request.user)
            .active()
            .select_related("review")
            .order_by("due_at", "id")
        )


def review_payload(review, user) -> dict:
    others = other_reviews(review=review) if rules.can_see_other_reviews(user, review) else []

    def scores_of(item):
        return [{"criterion": s.criterion_id, "value": s.value} for s in item.scores.all()]

    return {
        "id": review.pk,
        "application": review.assignment.application_id,
        "status": review.status,
        "scores": scores_of(review),
        "recommendation": review.recommendation,
        "confidence": review.confidence,
        "comment": review.comment,
        "total": review.total,
        "other_reviews": [
            {
                "label": label,
                "scores": scores_of(other),
                "recommendation": other.recommendation,
                "confidence": other.confidence,
                "comment": other.comment,
                "total": other.total,
            }
            for label, other in others
        ],
    }


def visible_review(request, pk: int) -> Review:
    """The review if this user may open it (one query); 404 whether missing or forbidden."""
    try:
        return review_detail(pk=pk, queryset=rules.reviews_visible_to(request.user))
    except Review.DoesNotExist:
        raise_not_found()


def own_review(request, pk: int) -> Review:
    """A review its reviewer may write: coordinators read reviews but never write them."""
    review = visible_review(request, pk)
    if review.assignment.reviewer_id != request.user.pk:
        raise PermissionDenied(
            _("Coordinators read reviews; only the assigned reviewer writes one.")
        )
    return review


class ReviewDetail(ReviewingView, APIView):
    @extend_schema(
        operation_id="reviews_retrieve",
        summary="A review: its scores, and the others' (anonymous) once it is submitted",
        responses={200: ReviewSerializer, 401: ANONYMOUS, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, pk: int):
        review = visible_review(request, pk)
        return Response(ReviewSerializer(review_payload(review, request.user)).data)

    @extend_schema(
        operation_id="reviews_update",
        summary="Save a draft review (the assigned reviewer only)",
        request=ReviewInputSerializer,
        responses={
            200: ReviewSerializer,
            400: BAD_VALUE,
            401: ANONYMOUS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def put(self, request, pk: int):
        review = own_review(request, pk)
        data = ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        scores = (
            {row["criterion"]: row["value"] for row in fields["scores"]}
            if "scores" in fields
            else None
        )
        save_review(
            review=review,
            actor=request.user,
            scores=scores,
            recommendation=fields.get("recommendation"),
            # An explicit null clears the confidence; leaving the field out keeps it.
            confidence=(
                None
                if "confidence" not in fields
                else ("" if fields["confidence"] is None else fields["confidence"])
            ),
            comment=fields.get("comment"),
        )
        # Saved; a conflict declared right after may already have withdrawn it.
        review = visible_review(request, pk)
        return Response(ReviewSerializer(review_payload(review, request.user)).data)


class ReviewSubmit(ReviewingView, APIView):
    @extend_schema(
        operation_id="reviews_submit",
        summary="Submit a review: every criterion scored; read-only afterwards",
        request=None,
        responses={
            200: ReviewSerializer,
            400: BAD_VALUE,
            401: ANONYMOUS,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, pk: int):
        review = own_review(request, pk)
        submit_review(review=review, actor=request.user)
        review = review_detail(pk=pk)
        return Response(ReviewSerializer(review_payload(review, request.user)).data)


class ConflictCreate(ReviewingView, APIView):
    @extend_schema(
        operation_id="conflicts_create",
        summary="Declare a conflict of interest (reviewers for themselves; coordinators for any)",
        request=ConflictInputSerializer,
        responses={
            201: ConflictSerializer,
            200: OpenApiResponse(
                ConflictSerializer, description="The conflict was already recorded: unchanged."
            ),
            400: BAD_VALUE,
            401: ANONYMOUS,
            403: FORBIDDEN,
        },
    )
    def post(self, request):
        # A reviewer declares for themself only: naming anyone else is refused (403) before the
        # rest of the body is validated.
        body = request.data
        names_another = (
            isinstance(body, Mapping)
            and "reviewer" in body
            and str(body["reviewer"]) != str(request.user.pk)
        )
        if names_another and not is_coordinator(request.user):
            raise PermissionDenied(_("A reviewer declares conflicts for themself only."))
        data = ConflictInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        User = get_user_model()
        if is_coordinator(request.user):
            if "reviewer" not in fields:
                raise ValidationError({"reviewer": [_("Name the reviewer who has the conflict.")]})
            reviewer = User.objects.filter(
                pk=fields["reviewer"], groups__name=REVIEWERS_GROUP
            ).first()
            if reviewer is None:
                raise ValidationError(
                    {"reviewer": [_("No reviewer has id %(id)s.") % {"id": fields["reviewer"]}]}
                )
        else:
            if fields.get("reviewer", request.user.pk) != request.user.pk:
                raise PermissionDenied(_("A reviewer declares conflicts for themself only."))
            reviewer = request.user
        startup = Startup.objects.filter(pk=fields["startup"]).first()
        if startup is None:
            raise ValidationError(
                {"startup": [_("No start-up has id %(id)s.") % {"id": fields["startup"]}]}
            )
        result = declare_conflict(
            reviewer=reviewer, startup=startup, reason=fields["reason"], actor=request.user
        )
        conflict = result.conflict
        payload = {
            "id": conflict.pk,
            "reviewer_id": conflict.reviewer_id,
            "startup_id": conflict.startup_id,
            "reason": conflict.reason,
            "created_at": conflict.created_at,
            "withdrawn_assignments": result.withdrawn,
            "kept_submitted_reviews": [a.review.pk for a in result.kept_submitted],
        }
        return Response(
            ConflictSerializer(payload).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class RoundAssign(ReviewingView, APIView):
    permission_classes = [permissions.IsAuthenticated, IsCoordinator]

    @extend_schema(
        operation_id="rounds_assign",
        summary="Assign reviewers automatically; running it again only fills gaps",
        request=None,
        responses={
            200: AssignResultSerializer,
            401: ANONYMOUS,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request, pk: int):
        round_ = get_object_or_404(Round, pk=pk)
        result = assign_reviewers(round=round_, actor=request.user)
        return Response(AssignResultSerializer(result).data)


class RoundRanking(ReviewingView, generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticated, IsCoordinator]
    serializer_class = RankingRowSerializer
    filter_backends = []

    @extend_schema(
        operation_id="rounds_ranking",
        summary="The round's ranking (raw, normalised or calibrated), with filters",
        parameters=[RankingQuerySerializer],
        responses={
            200: RankingRowSerializer(many=True),
            400: BAD_VALUE,
            401: ANONYMOUS,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        round_ = get_object_or_404(Round, pk=self.kwargs["pk"])
        query = RankingQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        # Counted without ranking (selectors.ranking_count): the ranking is computed once.
        return CountedRanking(
            ranking(round=round_, **query.validated_data), round=round_, **query.validated_data
        )


class RoundReviewerStatistics(ReviewingView, APIView):
    permission_classes = [permissions.IsAuthenticated, IsCoordinator]

    @extend_schema(
        operation_id="rounds_reviewer_statistics",
        summary="Reviewers' leniency (calibrated model) and the round's agreement",
        responses={
            200: ReviewerStatisticsSerializer,
            401: ANONYMOUS,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        round_ = get_object_or_404(Round, pk=pk)
        return Response(ReviewerStatisticsSerializer(reviewer_statistics_report(round=round_)).data)


def raise_not_found():
    raise NotFound(_("No review with this id is visible to you."))
