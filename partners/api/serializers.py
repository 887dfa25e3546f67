"""Shapes of the partner API (DESIGN.md §12)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from applications.enums import ApplicationStatus
from applications.notifications import startup_payload
from incubator.enums import ServiceKind, Track

from ..enums import InterestStatus
from ..services import NOTE_MAX_LENGTH


class PartnerUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()


class PartnerProviderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ServiceKind.choices)
    tracks = serializers.ListField(child=serializers.ChoiceField(choices=Track.choices))


class PartnerMeSerializer(serializers.Serializer):
    user = PartnerUserSerializer()
    provider = PartnerProviderSerializer()


class InterestSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=InterestStatus.choices)
    note = serializers.CharField(allow_blank=True)
    at = serializers.DateTimeField()


class InterestInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=InterestStatus.choices)
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, allow_blank=True, required=False, default=""
    )


class PartnerStartupSerializer(serializers.Serializer):
    """The webhook's start-up object (DESIGN.md §8), plus the application's `status` and the
    provider's own `interest`."""

    application = serializers.IntegerField()
    startup = serializers.IntegerField()
    startup_name = serializers.CharField()
    project_name = serializers.CharField()
    region = serializers.CharField()
    track = serializers.CharField()
    stage = serializers.CharField()
    needs = serializers.ListField(child=serializers.ChoiceField(choices=ServiceKind.choices))
    funding_amount = serializers.CharField(allow_null=True)
    funding_currency = serializers.CharField()
    raw_score = serializers.FloatField(allow_null=True)
    normalized_score = serializers.FloatField(allow_null=True)
    contact_email = serializers.EmailField()
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    interest = serializers.SerializerMethodField()

    def to_representation(self, application) -> dict:
        data = startup_payload(
            application,
            raw_score=application.partner_raw_score,
            normalized_score=application.partner_normalized_score,
            calibrated_score=application.partner_calibrated_score,
        )
        data["status"] = application.status
        data["interest"] = self.get_interest(application)
        return data

    @extend_schema_field(InterestSerializer(allow_null=True))
    def get_interest(self, application) -> dict | None:
        interests = application.provider_interest
        if not interests:
            return None
        return InterestSerializer(interests[0]).data


class EngagementSerializer(serializers.Serializer):
    provider = serializers.SerializerMethodField()
    matched = serializers.IntegerField()
    viewed = serializers.IntegerField()
    interested = serializers.IntegerField()
    engaged = serializers.IntegerField()
    declined = serializers.IntegerField()

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "kind": {"type": "string", "enum": ServiceKind.values},
            },
        }
    )
    def get_provider(self, row) -> dict:
        provider = row["provider"]
        return {"id": provider.pk, "name": provider.name, "kind": provider.kind}
