"""The portal's form field for each kind of question: the applicants' form
(applications.forms) and the coordinators' preview of it in the admin use the same ones."""

from django import forms
from django.utils.translation import gettext

from .enums import QuestionKind
from .models import Question

ANSWER_PREFIX = "answer_"


def answer_field_name(key: str) -> str:
    return f"{ANSWER_PREFIX}{key}"


def question_field(question: Question) -> forms.Field:
    """The portal's widget for a question's kind. The form keeps what was typed as text (the
    answers service decides what is acceptable, as for the API)."""
    common = {"label": question.text, "help_text": question.help_text, "required": False}
    kind = question.kind
    if kind == QuestionKind.TEXT:
        return forms.CharField(
            **common, widget=forms.TextInput(attrs={"maxlength": question.limit})
        )
    if kind == QuestionKind.LONG_TEXT:
        return forms.CharField(
            **common,
            strip=False,
            widget=forms.Textarea(attrs={"rows": 5, "maxlength": question.limit}),
        )
    if kind == QuestionKind.NUMBER:
        attrs = {"step": "any", "inputmode": "decimal"}
        if question.min_value is not None:
            attrs["min"] = format(question.min_value.normalize(), "f")
        if question.max_value is not None:
            attrs["max"] = format(question.max_value.normalize(), "f")
        return forms.CharField(**common, widget=forms.NumberInput(attrs=attrs))
    if kind == QuestionKind.CHOICE:
        return forms.ChoiceField(
            **common, choices=[("", gettext("Choose one")), *question.choice_options()]
        )
    if kind == QuestionKind.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            **common, choices=question.choice_options(), widget=forms.CheckboxSelectMultiple
        )
    if kind == QuestionKind.BOOLEAN:
        return forms.ChoiceField(
            **common,
            choices=[("", "—"), ("true", gettext("Yes")), ("false", gettext("No"))],
        )
    if kind == QuestionKind.URL:
        return forms.CharField(
            **common,
            widget=forms.URLInput(attrs={"placeholder": "https://", "maxlength": 2000}),
        )
    return forms.CharField(**common, widget=forms.DateInput(attrs={"type": "date"}))


def answer_from_form(question: Question, value: object) -> object:
    """What the form holds for an answer, as the answers service takes it."""
    if question.kind == QuestionKind.BOOLEAN:
        return {"true": True, "false": False}.get(value)
    if question.kind == QuestionKind.MULTI_CHOICE:
        return list(value or [])
    if isinstance(value, str) and question.kind != QuestionKind.LONG_TEXT:
        return value.strip()
    return value
