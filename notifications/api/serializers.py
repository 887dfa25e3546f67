"""Shapes of the providers and notifications endpoints (DESIGN.md §8)."""

from django.conf import settings
from rest_framework import serializers

from incubator.enums import ServiceKind, Track
from incubator.models import ServiceProvider
from notifications.enums import NotificationChannel, NotificationStatus
from notifications.models import Notification

from ..enums import EVENTS

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


class ProviderInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ServiceKind.choices)
    email = serializers.EmailField(max_length=254)
    webhook_url = serializers.CharField(
        max_length=500,
        allow_blank=True,
        allow_null=True,
        required=False,
        help_text="http(s) URL on a public address; empty for e-mail only.",
    )
    tracks = serializers.ListField(
        child=serializers.ChoiceField(choices=Track.choices),
        required=False,
        help_text="Tracks of interest; empty means every track.",
    )
    language = serializers.ChoiceField(choices=LANGUAGE_CODES, required=False)
    active = serializers.BooleanField(required=False)
    witness = serializers.BooleanField(
        required=False, help_text="Receives the audit trail's signed checkpoints (webhook)."
    )


class ProviderSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ServiceKind.choices)
    webhook_url = serializers.CharField(help_text="The webhook URL; empty for e-mail only.")
    tracks = serializers.ListField(child=serializers.ChoiceField(choices=Track.choices))
    language = serializers.ChoiceField(choices=LANGUAGE_CODES)

    class Meta:
        model = ServiceProvider
        fields = [
            "id",
            "name",
            "kind",
            "email",
            "webhook_url",
            "tracks",
            "language",
            "active",
            "witness",
        ]
        read_only_fields = fields


class ProviderWithSecretSerializer(ProviderSerializer):
    secret = serializers.CharField(
        source="webhook_secret",
        read_only=True,
        help_text="The Standard Webhooks signing secret (whsec_…); shown only in this answer.",
    )

    class Meta(ProviderSerializer.Meta):
        fields = [*ProviderSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class ProviderChangedSerializer(ProviderSerializer):
    """The answer to a change: the provider, and its new signing secret when the change issued
    one (the provider's first webhook URL)."""

    secret = serializers.CharField(
        source="webhook_secret",
        required=False,
        help_text="Present only when this change gave the provider its first webhook URL, which "
        "comes with a new signing secret (whsec_…): shown only in this answer.",
    )

    class Meta(ProviderSerializer.Meta):
        fields = [*ProviderSerializer.Meta.fields, "secret"]
        read_only_fields = ProviderSerializer.Meta.fields

    def to_representation(self, provider) -> dict:
        data = super().to_representation(provider)
        if not self.context.get("secret_issued", False):
            data.pop("secret")
        return data


class NotificationSerializer(serializers.ModelSerializer):
    event = serializers.ChoiceField(choices=EVENTS)
    channel = serializers.ChoiceField(choices=NotificationChannel.choices)
    status = serializers.ChoiceField(choices=NotificationStatus.choices)
    provider = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    recipient = serializers.CharField(help_text="The e-mail address or webhook URL.")
    attempts = serializers.IntegerField(
        help_text="Every delivery attempt ever made, across coordinators' retries."
    )

    class Meta:
        model = Notification
        fields = [
            "id",
            "event",
            "channel",
            "provider",
            "recipient",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "sent_at",
            "created_at",
        ]
        read_only_fields = fields
