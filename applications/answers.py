"""Answers to a round's own questions (DESIGN.md §11): the one check of `Application.answers`
that the API, the portal and the admin share, what submitting still needs, and what travels to
providers.

An answer is stored as JSON: text as a string, a number as a JSON number (checked as a Decimal:
a JSON number or a decimal string is accepted), a choice as its value, several choices as a
list of distinct values in the question's order, a yes/no as a boolean, a URL as a string, a
date as `YYYY-MM-DD`. A draft may leave any answer out; `null` or "" leaves it out too.
"""

import json
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from incubator.enums import QuestionKind
from incubator.models import Question, Round
from incubator.questions import as_decimal, localized, number_problem
from incubator.text import text_errors

# The whole answers object, as compact JSON in UTF-8, is refused past this size before any
# other work is done.
MAX_ANSWERS_BYTES = 200_000
URL_MAX_LENGTH = 2000


def answers_size(answers: object) -> int:
    try:
        text = json.dumps(answers, ensure_ascii=False, separators=(",", ":"), default=str)
    except (TypeError, ValueError, RecursionError):
        return MAX_ANSWERS_BYTES + 1
    return len(text.encode("utf-8", errors="surrogatepass"))


def check_answers_size(answers: object) -> None:
    if answers_size(answers) > MAX_ANSWERS_BYTES:
        raise ValidationError(
            {
                "answers": [
                    _("The answers are larger than %(kb)d KB in all: shorten them.")
                    % {"kb": MAX_ANSWERS_BYTES // 1000}
                ]
            }
        )


def round_questions(round_: Round) -> list[Question]:
    """The round's questions in order (from a prefetch when there is one)."""
    return sorted(round_.questions.all(), key=lambda q: (q.order, q.pk))


def _stored_number(number: Decimal) -> int | float:
    normal = number.normalize()
    if normal == normal.to_integral_value():
        return int(normal)
    # At most 15 significant digits (number_problem): the float reads back as this decimal.
    return float(normal)


def _clean_one(question: Question, value: object) -> tuple[object, str | None]:
    """(stored value, problem) of one answer that is not empty."""
    kind = question.kind
    if kind in (QuestionKind.TEXT, QuestionKind.LONG_TEXT, QuestionKind.URL):
        if not isinstance(value, str):
            return None, _("Give text.")
        long = kind == QuestionKind.LONG_TEXT
        if not long:
            value = value.strip()
        limit = URL_MAX_LENGTH if kind == QuestionKind.URL else question.limit
        if len(value) > limit:
            return None, _("At most %(count)d characters; this answer has %(length)d.") % {
                "count": limit,
                "length": len(value),
            }
        problem = text_errors({"a": value}, long=["a"] if long else []).get("a")
        if problem:
            return None, problem[0]
        if kind == QuestionKind.URL:
            try:
                URLValidator(schemes=["http", "https"])(value)
            except ValidationError:
                return None, _("Enter a web address starting with http:// or https://.")
            if urlsplit(value).scheme.lower() not in ("http", "https"):
                return None, _("Enter a web address starting with http:// or https://.")
        return value, None
    if kind == QuestionKind.NUMBER:
        number = as_decimal(value)
        if number is None or (isinstance(value, str) and not value.strip()):
            return None, _("Enter a number (a JSON number or a decimal string such as “12.5”).")
        problem = number_problem(number)
        if problem:
            return None, problem
        if question.min_value is not None and number < question.min_value:
            return None, _("Enter a number of at least %(min)s.") % {
                "min": format(question.min_value.normalize(), "f")
            }
        if question.max_value is not None and number > question.max_value:
            return None, _("Enter a number of at most %(max)s.") % {
                "max": format(question.max_value.normalize(), "f")
            }
        return _stored_number(number), None
    values = [choice["value"] for choice in question.choices or []]
    if kind == QuestionKind.CHOICE:
        if not isinstance(value, str) or value not in values:
            return None, _("Choose one of: %(values)s.") % {"values": ", ".join(values)}
        return value, None
    if kind == QuestionKind.MULTI_CHOICE:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None, _("Give a list of choices.")
        unknown = [v for v in value if v not in values]
        if unknown:
            return None, _("Unknown choices: %(unknown)s. Choose among: %(values)s.") % {
                "unknown": ", ".join(unknown[:10]),
                "values": ", ".join(values),
            }
        if len(set(value)) != len(value):
            return None, _("Give each choice once.")
        return [v for v in values if v in value], None
    if kind == QuestionKind.BOOLEAN:
        if not isinstance(value, bool):
            return None, _("Answer true or false.")
        return value, None
    if kind == QuestionKind.DATE:
        if not isinstance(value, str) or len(value) != 10:
            return None, _("Enter a date as YYYY-MM-DD.")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None, _("Enter a date as YYYY-MM-DD.")
        return day.isoformat(), None
    return None, _("This question cannot be answered.")


def is_empty(value: object) -> bool:
    return value is None or value == "" or value == []


def clean_answers(*, questions: Iterable[Question], answers: object) -> dict:
    """The answers as they are stored, or a ValidationError naming each `answers.<key>` with
    its rule. Empty answers are left out (a draft may leave any answer out)."""
    check_answers_size(answers)
    if not isinstance(answers, Mapping):
        raise ValidationError({"answers": [_("Give the answers as an object {key: value}.")]})
    by_key = {question.key: question for question in questions}
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for key, value in answers.items():
        question = by_key.get(key)
        if question is None:
            errors[f"answers.{key}"] = [_("The round has no question with this key.")]
            continue
        if is_empty(value):
            continue
        stored, problem = _clean_one(question, value)
        if problem:
            errors[f"answers.{key}"] = [problem]
        else:
            cleaned[key] = stored
    if errors:
        raise ValidationError(errors)
    # In the questions' order, so the stored object reads like the form.
    return {q.key: cleaned[q.key] for q in questions if q.key in cleaned}


def missing_answers(application) -> list[str]:
    """The required questions a submission still needs answered, named for the applicant."""
    answers = application.answers or {}
    return [
        _("an answer to “%(question)s” (answers.%(key)s)")
        % {"question": question.text, "key": question.key}
        for question in round_questions(application.round)
        if question.required and is_empty(answers.get(question.key))
    ]


def shared_answers(application, questions: Iterable[Question] | None = None) -> dict:
    """The answers of the questions marked `share_with_providers`, {key: value}: what webhooks
    and the partners' API carry of an application's answers (DESIGN.md §8, §11)."""
    if questions is None:
        questions = round_questions(application.round)
    answers = application.answers or {}
    return {
        q.key: answers[q.key]
        for q in questions
        if q.share_with_providers and not is_empty(answers.get(q.key))
    }


def answer_text(question: Question, value: object, language: str | None = None) -> str:
    """An answer as a person reads it: choices by their labels, yes/no in words."""
    if is_empty(value):
        return ""
    labels = {c["value"]: localized(c.get("label"), language) for c in question.choices or []}
    if question.kind == QuestionKind.CHOICE:
        return labels.get(value, str(value))
    if question.kind == QuestionKind.MULTI_CHOICE and isinstance(value, list):
        return ", ".join(labels.get(v, str(v)) for v in value)
    if question.kind == QuestionKind.BOOLEAN:
        return _("Yes") if value else _("No")
    return str(value)


def answered_questions(application, language: str | None = None) -> list[dict]:
    """The round's questions with the application's answers, for pages that show them:
    [{"question", "label", "value", "text"}], every question, answered or not."""
    answers = application.answers or {}
    return [
        {
            "question": q,
            "key": q.key,
            "label": localized(q.label, language),
            "value": answers.get(q.key),
            "text": answer_text(q, answers.get(q.key), language),
        }
        for q in round_questions(application.round)
    ]
