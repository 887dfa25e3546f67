"""Input and output shapes of the start-up and application endpoints (DESIGN.md section 8)."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incubator.api.fields import OptionalChoiceField
from incubator.enums import Currency, Region, ServiceKind, Stage, Track
from incubator.models import Round

from ..consent import CONSENT_TEXT_VERSION, DECIDED_STATUSES
from ..enums import ApplicationStatus, AttachmentKind
from ..models import Application, Attachment, Startup
from ..permissions import REVIEWER_STARTUP_FIELDS
from ..services import MAX_TEAM_SIZE, STARTUP_FIELDS


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "kind", "name", "size", "content_type", "sha256", "uploaded_at", "url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment: Attachment) -> str:
        path = reverse("attachment-download", kwargs={"pk": attachment.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


ANSWER_SCHEMA = {
    "oneOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": {"type": "string"}},
    ]
}


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": ANSWER_SCHEMA,
        "description": "Answers to the round's own questions, {key: value}: text, a number, "
        "true or false, a choice's value, a list of choices' values, a URL, or a date as "
        "YYYY-MM-DD (DESIGN.md §11).",
    }
)
class AnswersField(serializers.JSONField):
    """The round's questions' answers; checked by the service (applications.answers)."""


class ApplicationSerializer(serializers.ModelSerializer):
    answers = AnswersField(read_only=True)
    startup_name = serializers.CharField(source="startup.name", read_only=True)
    needs = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceKind.choices), read_only=True
    )
    share_with = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceKind.choices),
        read_only=True,
        help_text="The provider kinds the start-up agreed may receive its details (DESIGN.md "
        "§12); always among `needs`. Empty: no consent recorded, shared with no one.",
    )
    attachments = AttachmentSerializer(many=True, read_only=True)
    # Not given yet on a draft: null, as everywhere in the API.
    track = OptionalChoiceField(choices=Track.choices, read_only=True)
    stage = OptionalChoiceField(choices=Stage.choices, read_only=True)
    funding_currency = OptionalChoiceField(choices=Currency.choices, read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "round",
            "startup",
            "startup_name",
            "project_name",
            "track",
            "stage",
            "summary",
            "funding_amount",
            "funding_currency",
            "needs",
            "answers",
            "share_with",
            "status",
            "submitted_at",
            "decided_at",
            "created_at",
            "updated_at",
            "attachments",
        ]
        read_only_fields = fields


class ApplicationFieldsSerializer(serializers.Serializer):
    """The fields a start-up writes on a draft; every one optional on PATCH."""

    project_name = serializers.CharField(max_length=200)
    track = OptionalChoiceField(choices=Track.choices, required=False)
    stage = OptionalChoiceField(choices=Stage.choices, required=False)
    summary = serializers.CharField(
        max_length=10000, allow_blank=True, required=False, trim_whitespace=False
    )
    funding_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, allow_null=True, required=False
    )
    funding_currency = OptionalChoiceField(choices=Currency.choices, required=False)
    needs = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceKind.choices),
        required=False,
        max_length=len(ServiceKind.values),
    )
    answers = AnswersField(
        required=False,
        help_text="The whole set of answers: a key left out is no answer. Numbers may be JSON "
        "numbers or decimal strings and are stored as numbers; a wrong type, an unknown key, a "
        "value outside the choices, min/max or max_length answers 400 naming `answers.<key>`; "
        "the whole object is capped at 200 KB.",
    )
    share_with = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceKind.choices),
        required=False,
        max_length=len(ServiceKind.values),
        help_text="Consent to share with these provider kinds: each must be among `needs`.",
    )


class ApplicationCreateSerializer(ApplicationFieldsSerializer):
    round = serializers.PrimaryKeyRelatedField(queryset=Round.objects.all())
    startup = serializers.PrimaryKeyRelatedField(
        queryset=Startup.objects.all(),
        required=False,
        help_text="The start-up applying; needed only by users who belong to several.",
    )


class StatusChangeSerializer(serializers.Serializer):
    """One move of the application's status, as its reader may see it."""

    from_status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    to_status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    at = serializers.DateTimeField(source="created_at")
    actor_label = serializers.CharField(
        help_text='Who made the change. A start-up and its reviewers read "The programme" for '
        "every coordinator, reviewer and automatic change, never a name; coordinators read the "
        "user name."
    )
    message_to_applicant = serializers.CharField(
        allow_blank=True, help_text="What the coordinators told the start-up; often empty."
    )
    note = serializers.CharField(
        source="note_text",
        required=False,
        allow_blank=True,
        help_text="The internal note, in the reader's language when the system wrote it: present "
        "for coordinators only.",
    )

    def to_representation(self, change) -> dict:
        data = super().to_representation(change)
        if not self.context.get("internal_notes", False):
            data.pop("note", None)
        return data


class WithdrawSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class AttachmentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    file = serializers.FileField(
        max_length=255,
        allow_empty_file=True,  # the service refuses it with its own message
        help_text=f"PDF or PPTX for a pitch deck; PDF, JPEG or PNG for a business licence; PDF "
        f"otherwise; at most {settings.MAX_UPLOAD_MB} MB.",
    )


# The language codes as the API sends them (the same enum as a provider's `language`).
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


class StartupSerializer(serializers.ModelSerializer):
    """A start-up's profile. Its members and coordinators read all of it; a reviewer reads only
    what their workplace shows (`REVIEWER_STARTUP_FIELDS`), so the other fields may be absent."""

    # A URL, or "" when the start-up has none: not `format: uri`, which "" would violate.
    website = serializers.CharField(read_only=True)
    founded_on = serializers.DateField(
        required=False, allow_null=True, help_text="Members and coordinators only."
    )
    description = serializers.CharField(
        required=False, allow_blank=True, help_text="Members and coordinators only."
    )
    contact_email = serializers.EmailField(
        required=False, help_text="Members and coordinators only."
    )
    language = serializers.ChoiceField(
        choices=LANGUAGE_CODES,
        required=False,
        help_text="Members and coordinators only: the language of the start-up's e-mails.",
    )

    class Meta:
        model = Startup
        # The same fields the profile service lets members change, plus the id.
        fields = ["id", *STARTUP_FIELDS]
        read_only_fields = ["id", *REVIEWER_STARTUP_FIELDS]

    def to_representation(self, startup: Startup) -> dict:
        data = super().to_representation(startup)
        # `full_profile` comes from selectors.startups_visible_to; without it, the least.
        if not getattr(startup, "full_profile", False):
            return {name: data[name] for name in ("id", *REVIEWER_STARTUP_FIELDS)}
        return data


class StartupUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    region = serializers.ChoiceField(choices=Region.choices, required=False)
    founded_on = serializers.DateField(allow_null=True, required=False)
    website = serializers.URLField(
        max_length=300, allow_blank=True, required=False, help_text='An http(s) URL, or "".'
    )
    team_size = serializers.IntegerField(
        min_value=1, max_value=MAX_TEAM_SIZE, allow_null=True, required=False
    )
    description = serializers.CharField(
        max_length=5000, allow_blank=True, required=False, trim_whitespace=False
    )
    contact_email = serializers.EmailField(max_length=254, required=False)
    language = serializers.ChoiceField(
        choices=LANGUAGE_CODES,
        required=False,
        help_text="The language of the start-up's e-mails: en, zh-hans or zh-hant.",
    )


STATUS_CHOICES = ApplicationStatus.choices


# --- Registration (POST /api/v1/auth/register/) ---


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


class ConsentInputSerializer(serializers.Serializer):
    share_with = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceKind.choices),
        max_length=len(ServiceKind.values),
        allow_empty=True,
        help_text="The provider kinds that may receive the application's details, each among "
        "its needs; an empty list withdraws every consent.",
    )


class ConsentChangeSerializer(serializers.Serializer):
    share_with_before = serializers.ListField(child=serializers.CharField())
    share_with_after = serializers.ListField(child=serializers.CharField())
    text_version = serializers.CharField()
    at = serializers.DateTimeField(source="created_at")
    imported = serializers.SerializerMethodField()

    def get_imported(self, change) -> bool:
        """True when a coordinator imported a consent given outside this system."""
        return bool(change.reason)


class ConsentStateSerializer(serializers.Serializer):
    """An application's consent: what it shares now, under which text, and every change."""

    application = serializers.IntegerField(source="pk")
    share_with = serializers.ListField(child=serializers.ChoiceField(choices=ServiceKind.choices))
    needs = serializers.ListField(child=serializers.ChoiceField(choices=ServiceKind.choices))
    text_version = serializers.SerializerMethodField(
        help_text="The consent text's version the current consent was given under (null: none)."
    )
    current_text_version = serializers.SerializerMethodField()
    can_widen = serializers.SerializerMethodField(
        help_text="False once a decision is made: consent may then only narrow."
    )
    history = serializers.SerializerMethodField()

    def _history(self, application) -> list:
        return self.context["history"]

    def get_text_version(self, application) -> str | None:
        history = self._history(application)
        return history[-1].text_version if history and application.share_with else None

    def get_current_text_version(self, application) -> str:
        return CONSENT_TEXT_VERSION

    def get_can_widen(self, application) -> bool:
        return application.status not in DECIDED_STATUSES

    @extend_schema_field(ConsentChangeSerializer(many=True))
    def get_history(self, application) -> list:
        return ConsentChangeSerializer(self._history(application), many=True).data
