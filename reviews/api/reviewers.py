"""Reviewer accounts (coordinators): list and create users of the Reviewers group."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from incubator.api.permissions import IsCoordinator
from incubator.api.schema import error_responses
from incubator.enums import Jurisdiction, Track
from incubator.permissions import REVIEWERS_GROUP

from .. import services


class ReviewerSerializer(serializers.ModelSerializer):
    expertise = serializers.SerializerMethodField()
    max_load = serializers.SerializerMethodField()
    jurisdiction = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "expertise", "max_load", "jurisdiction"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Track.choices)))
    def get_expertise(self, user) -> list[str]:
        profile = getattr(user, "reviewer_profile", None)
        return list(profile.expertise) if profile else []

    @extend_schema_field(serializers.ChoiceField(Jurisdiction.choices, allow_null=True))
    def get_jurisdiction(self, user) -> str | None:
        profile = getattr(user, "reviewer_profile", None)
        return (profile.jurisdiction or None) if profile else None

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
    jurisdiction = serializers.ChoiceField(choices=Jurisdiction.choices)


@extend_schema_view(
    list=extend_schema(
        summary="Reviewers (coordinators)",
        responses={200: ReviewerSerializer(many=True), **error_responses(401, 403, 404)},
    ),
    create=extend_schema(
        summary="Create a reviewer (coordinators)",
        request=ReviewerCreateSerializer,
        responses={201: ReviewerSerializer, **error_responses(400, 401, 403, 415)},
    ),
)
class ReviewerViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ReviewerSerializer
    permission_classes = [IsCoordinator]

    def get_queryset(self):
        return (
            get_user_model()
            .objects.filter(groups__name=REVIEWERS_GROUP)
            .select_related("reviewer_profile")
            .order_by("username", "pk")
        )

    def create(self, request: Request) -> Response:
        serializer = ReviewerCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.create_reviewer(actor=request.user, **serializer.validated_data)
        user = self.get_queryset().get(pk=user.pk)
        return Response(ReviewerSerializer(user).data, status=status.HTTP_201_CREATED)
