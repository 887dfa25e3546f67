"""Shapes of the programme-level endpoints: registration, tokens, rounds, reviewers."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incubator.enums import Region, Track
from incubator.models import Programme, Round
from reviews.models import Criterion


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=128, write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    startup_name = serializers.CharField(max_length=200)
    region = serializers.ChoiceField(choices=Region.choices)


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()


class StartupSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    region = serializers.ChoiceField(choices=Region.choices)


class RegisteredSerializer(serializers.Serializer):
    user = UserSummarySerializer()
    startup = StartupSummarySerializer()
    token = serializers.CharField()


class TokenCredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}
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

    class Meta:
        model = Criterion
        fields = ["id", "name", "description", "weight", "max_score"]


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
    criteria = CriterionSerializer(many=True, required=False, max_length=50)


class ReviewerSerializer(serializers.ModelSerializer):
    expertise = serializers.SerializerMethodField()
    max_load = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "expertise", "max_load"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Track.choices)))
    def get_expertise(self, user) -> list[str]:
        profile = getattr(user, "reviewer_profile", None)
        return list(profile.expertise) if profile else []

    @extend_schema_field(serializers.IntegerField())
    def get_max_load(self, user) -> int | None:
        profile = getattr(user, "reviewer_profile", None)
        return profile.max_load if profile else None


class ReviewerCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=128, write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )
    expertise = serializers.ListField(
        child=serializers.ChoiceField(choices=Track.choices), required=False, max_length=8
    )
    max_load = serializers.IntegerField(min_value=1, max_value=1000, required=False)
