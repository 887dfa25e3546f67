"""Shapes of the reviewing API (DESIGN.md section 8). Writes go through reviews/services.py."""

from django.utils.translation import gettext as _
from rest_framework import serializers

from applications.enums import ApplicationStatus
from incubator.api.fields import OptionalChoiceField
from incubator.enums import Region, ServiceKind, Track
from reviews.enums import RankingMethod, Recommendation, ReviewStatus


class AssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    due_at = serializers.DateTimeField()
    review = serializers.IntegerField(source="review.id")
    review_status = serializers.ChoiceField(choices=ReviewStatus.choices, source="review.status")


class CoordinatorAssignmentSerializer(AssignmentSerializer):
    reviewer = serializers.IntegerField(source="reviewer_id")


class ScoreSerializer(serializers.Serializer):
    criterion = serializers.IntegerField()
    value = serializers.IntegerField()


class OtherReviewSerializer(serializers.Serializer):
    label = serializers.CharField(help_text='"Reviewer 2": never a name.')
    scores = ScoreSerializer(many=True)
    recommendation = OptionalChoiceField(choices=Recommendation.choices)
    confidence = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField(allow_blank=True)
    total = serializers.FloatField(allow_null=True)


class ReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReviewStatus.choices)
    scores = ScoreSerializer(many=True)
    recommendation = OptionalChoiceField(choices=Recommendation.choices)
    confidence = serializers.IntegerField(allow_null=True)
    comment = serializers.CharField(allow_blank=True)
    total = serializers.FloatField(
        allow_null=True, help_text="0-100; null until every criterion is scored."
    )
    other_reviews = OtherReviewSerializer(
        many=True, help_text="Empty until this review is submitted."
    )


class ScoreInputSerializer(serializers.Serializer):
    criterion = serializers.IntegerField()
    value = serializers.IntegerField(
        allow_null=True, help_text="1..the criterion's max_score; null clears the score."
    )


class ReviewInputSerializer(serializers.Serializer):
    scores = ScoreInputSerializer(many=True, required=False)
    recommendation = OptionalChoiceField(choices=Recommendation.choices, required=False)
    confidence = serializers.IntegerField(min_value=1, max_value=5, allow_null=True, required=False)
    comment = serializers.CharField(
        allow_blank=True, max_length=20000, required=False, trim_whitespace=False
    )

    def validate_scores(self, value):
        criteria = [row["criterion"] for row in value]
        if len(criteria) != len(set(criteria)):
            raise serializers.ValidationError(_("Each criterion may appear once."))
        return value


class ConflictInputSerializer(serializers.Serializer):
    startup = serializers.IntegerField()
    reason = serializers.CharField(max_length=500)
    reviewer = serializers.IntegerField(
        required=False, help_text="Coordinators only (required for them); reviewers omit it."
    )


class ConflictSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reviewer = serializers.IntegerField(source="reviewer_id")
    startup = serializers.IntegerField(source="startup_id")
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    withdrawn_assignments = serializers.IntegerField(
        help_text="Draft assignments to the start-up withdrawn by this declaration."
    )
    kept_submitted_reviews = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Ids of submitted reviews of the pair, kept for the coordinator to decide.",
    )


class ShortSerializer(serializers.Serializer):
    application = serializers.IntegerField()
    missing = serializers.IntegerField()
    reason = serializers.CharField()


class AssignResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Assignments made by this run.")
    total = serializers.IntegerField(help_text="All assignments of the round now.")
    short = ShortSerializer(many=True)


class RankingQuerySerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=RankingMethod.choices, default=RankingMethod.RAW)
    track = serializers.ChoiceField(choices=Track.choices, required=False)
    region = serializers.ChoiceField(choices=Region.choices, required=False)
    needs = serializers.ChoiceField(choices=ServiceKind.choices, required=False)
    min_reviews = serializers.IntegerField(min_value=0, required=False)
    status = serializers.ChoiceField(choices=ApplicationStatus.choices, required=False)


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    application = serializers.IntegerField(source="pk")
    startup = serializers.IntegerField(source="startup_id")
    startup_name = serializers.CharField(source="startup.name")
    project_name = serializers.CharField()
    raw_score = serializers.FloatField(allow_null=True)
    normalized_score = serializers.FloatField(allow_null=True)
    calibrated_score = serializers.FloatField(allow_null=True)
    spread = serializers.FloatField(allow_null=True)
    review_count = serializers.IntegerField()
    flagged = serializers.BooleanField()


class ReviewerStatisticsRowSerializer(serializers.Serializer):
    reviewer = serializers.IntegerField(help_text="The reviewer's user id.")
    name = serializers.CharField()
    review_count = serializers.IntegerField(help_text="Submitted reviews that count.")
    mean_total = serializers.FloatField(allow_null=True)
    leniency = serializers.FloatField(
        allow_null=True, help_text="Estimated leniency, points of 0-100 (positive: kinder)."
    )
    leniency_se = serializers.FloatField(allow_null=True, help_text="Its standard error.")
    outlier = serializers.BooleanField(
        help_text="|leniency| above 2 standard errors and above 5 points."
    )


class ReviewerStatisticsSerializer(serializers.Serializer):
    agreement = serializers.FloatField(
        allow_null=True,
        help_text="Krippendorff's alpha (interval) of the review totals; null without an "
        "application with two reviews.",
    )
    reviewers = ReviewerStatisticsRowSerializer(many=True)
