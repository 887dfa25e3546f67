"""Shapes of the programme-level endpoints: tokens, and rounds with their rubric."""

from decimal import Decimal

from rest_framework import serializers

from incubator.enums import PanelRule, QuestionKind
from incubator.models import LEVEL_TEXT_MAX_LENGTH, Criterion, Programme, Question, Round
from incubator.questions import (
    CHOICE_VALUE_MAX_LENGTH,
    HELP_MAX_LENGTH,
    KEY_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    MAX_CHOICES,
    MAX_QUESTIONS,
)


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


def _texts(max_length: int, *, required: bool) -> serializers.DictField:
    return serializers.DictField(
        child=serializers.CharField(max_length=max_length, allow_blank=True, trim_whitespace=False),
        required=required,
        help_text='By language: {"en": …, "zh-hans": …, "zh-hant": …}; English is required '
        "for a label, the other languages fall back to it.",
    )


class QuestionChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=CHOICE_VALUE_MAX_LENGTH)
    label = _texts(LABEL_MAX_LENGTH, required=True)


class QuestionSerializer(serializers.Serializer):
    """One of a round's own questions (DESIGN.md §11)."""

    id = serializers.IntegerField(read_only=True)
    key = serializers.CharField(
        max_length=KEY_MAX_LENGTH,
        help_text="A slug, unique in the round: the answer's name in `answers`. Questions are "
        "matched by key: a key left out of the list removes that question.",
    )
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    label = _texts(LABEL_MAX_LENGTH, required=True)
    help = _texts(HELP_MAX_LENGTH, required=False)
    required = serializers.BooleanField(required=False, default=False)
    choices = QuestionChoiceSerializer(
        many=True,
        required=False,
        max_length=MAX_CHOICES,
        help_text="For `choice` and `multi_choice` only; values unique.",
    )
    min = serializers.DecimalField(
        source="min_value",
        max_digits=28,
        decimal_places=14,
        allow_null=True,
        required=False,
        coerce_to_string=False,
        help_text="For `number` only.",
    )
    max = serializers.DecimalField(
        source="max_value",
        max_digits=28,
        decimal_places=14,
        allow_null=True,
        required=False,
        coerce_to_string=False,
        help_text="For `number` only; not below `min`.",
    )
    max_length = serializers.IntegerField(
        min_value=1,
        allow_null=True,
        required=False,
        help_text="For `text` (default 300) and `long_text` (default 5,000) only.",
    )
    share_with_providers = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Whether the answer travels to the providers the start-up shares with.",
    )
    order = serializers.IntegerField(
        min_value=0,
        max_value=32767,
        required=False,
        help_text="Position in the form; the list's own order when left out.",
    )

    def to_representation(self, question: Question) -> dict:
        data = super().to_representation(question)
        for name in ("min", "max"):
            if data[name] is not None:
                number = question.min_value if name == "min" else question.max_value
                normal = number.normalize()
                data[name] = int(normal) if normal == normal.to_integral_value() else float(normal)
        data["help"] = question.help or {}
        data["choices"] = question.choices or []
        return data


class RoundSerializer(serializers.ModelSerializer):
    is_open = serializers.BooleanField(read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)
    questions = QuestionSerializer(many=True, read_only=True)

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
            "questions",
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
    questions = QuestionSerializer(
        many=True,
        required=False,
        max_length=MAX_QUESTIONS,
        help_text="Replaces the round's questions (matched by `key`); refused with 409 once the "
        "round has a submitted application, unless nothing changes.",
    )

    def validate_questions(self, questions: list[dict]) -> list[dict]:
        # The service speaks the API's names: `min` and `max`.
        renamed = []
        for item in questions:
            item = dict(item)
            for name in ("min", "max"):
                if f"{name}_value" in item:
                    item[name] = item.pop(f"{name}_value")
            if "choices" in item:
                item["choices"] = [dict(choice) for choice in item["choices"]]
            renamed.append(item)
        return renamed
