"""Shapes of the programme-level endpoints: tokens, and rounds with their rubric."""

from decimal import Decimal

from rest_framework import serializers

from incubator.enums import PanelRule
from incubator.models import LEVEL_TEXT_MAX_LENGTH, Criterion, Programme, Round


class TokenCredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
    )
    otp = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="For an account with two-factor authentication: the six digits its "
        "authenticator app shows now, or one of its recovery codes.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class CriterionSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Give the id to keep (and change) an existing criterion; leave it out to add "
        "one. Criteria left out of the list are removed.",
    )
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    weight = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("9999"),
        required=False,
    )
    max_score = serializers.IntegerField(min_value=1, max_value=100, required=False)
    levels = serializers.DictField(
        child=serializers.CharField(max_length=LEVEL_TEXT_MAX_LENGTH),
        required=False,
        help_text='What a score means, by level (optional): {"1": "No evidence", '
        '"10": "Proven"}; keys are scores from 1 to max_score. Leaving it out of an update '
        "keeps the criterion's levels.",
    )

    class Meta:
        model = Criterion
        fields = ["id", "name", "description", "weight", "max_score", "levels"]


class RoundSerializer(serializers.ModelSerializer):
    is_open = serializers.BooleanField(read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)

    class Meta:
        model = Round
        fields = [
            "id",
            "programme",
            "name",
            "opens_at",
            "closes_at",
            "review_deadline",
            "reviews_per_application",
            "panel_rule",
            "is_open",
            "criteria",
        ]
        read_only_fields = fields


class RoundWriteSerializer(serializers.Serializer):
    programme = serializers.PrimaryKeyRelatedField(
        queryset=Programme.objects.all(),
        required=False,
        help_text="Defaults to the incubator plan's own programme.",
    )
    name = serializers.CharField(max_length=200)
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    review_deadline = serializers.DateTimeField()
    reviews_per_application = serializers.IntegerField(min_value=1, max_value=20, required=False)
    panel_rule = serializers.ChoiceField(
        choices=PanelRule.choices,
        required=False,
        help_text="Which jurisdictions an application's reviewers come from: none (no rule), "
        "mixed (at least two), outside (none from the application's own).",
    )
    criteria = CriterionSerializer(many=True, required=False, max_length=50)
