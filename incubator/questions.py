"""A round's own questions (DESIGN.md §11): what a question's definition may hold, and how its
texts read in each language.

The definition is checked here, below every interface, so the round API, the admin and the demo
data refuse the same definitions with the same messages. Answers are checked against these
definitions in `applications.answers`.
"""

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .enums import QuestionKind
from .text import text_errors

MAX_QUESTIONS = 100
MAX_CHOICES = 50
KEY_MAX_LENGTH = 50
LABEL_MAX_LENGTH = 300
HELP_MAX_LENGTH = 1000
CHOICE_VALUE_MAX_LENGTH = 50
# What an answer may hold when the question does not say (text kinds).
DEFAULT_MAX_LENGTH = {QuestionKind.TEXT: 300, QuestionKind.LONG_TEXT: 5000}
MAX_MAX_LENGTH = {QuestionKind.TEXT: 1000, QuestionKind.LONG_TEXT: 20000}
# Numbers (limits and answers) keep at most this many significant digits, so that the JSON
# number stored for an answer reads back as the same decimal.
NUMBER_DIGITS = 15
NUMBER_LIMIT = Decimal("1e12")

TEXT_KINDS = frozenset({QuestionKind.TEXT, QuestionKind.LONG_TEXT})
CHOICE_KINDS = frozenset({QuestionKind.CHOICE, QuestionKind.MULTI_CHOICE})
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)  # en, zh-hans, zh-hant
KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$")


def localized(texts: object, language: str | None = None) -> str:
    """A question's label or help (`{"en", "zh-hans", "zh-hant"}`) in `language` (the active
    one by default), falling back to English."""
    if not isinstance(texts, Mapping):
        return str(texts or "")
    language = (language or get_language() or "en").lower()
    return str(texts.get(language) or texts.get("en") or "")


def as_decimal(value: object) -> Decimal | None:
    """A finite Decimal from a JSON number or a decimal string; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, (str, Decimal)):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    return number


def number_problem(number: Decimal) -> str | None:
    if abs(number) >= NUMBER_LIMIT:
        return _("Enter a number smaller than 1,000,000,000,000 in size.")
    if len(number.normalize().as_tuple().digits) > NUMBER_DIGITS:
        return _("Enter a number of at most %(n)d significant digits.") % {"n": NUMBER_DIGITS}
    return None


def _texts_problems(value: object, *, required: bool, max_length: int, long: bool) -> list[str]:
    if value in (None, "") and not required:
        return []
    if not isinstance(value, Mapping):
        return [_('Give an object of texts by language: {"en": …, "zh-hans": …, "zh-hant": …}.')]
    problems = []
    unknown = sorted(str(key) for key in value if key not in LANGUAGES)
    if unknown:
        problems.append(
            _("Unknown languages: %(unknown)s. Use %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(LANGUAGES)}
        )
    for language in LANGUAGES:
        text = value.get(language)
        if text is None:
            continue
        if not isinstance(text, str):
            problems.append(_("The %(language)s text must be a string.") % {"language": language})
        elif len(text) > max_length:
            problems.append(
                _("The %(language)s text is longer than %(n)d characters.")
                % {"language": language, "n": max_length}
            )
        else:
            for problem in text_errors({"t": text}, long=["t"] if long else []).get("t", []):
                problems.append(f"{language}: {problem}")
    if required and not (isinstance(value.get("en"), str) and value["en"].strip()):
        problems.append(_("The English text is required (the other languages fall back to it)."))
    return problems


def definition_errors(item: Mapping) -> dict[str, list[str]]:
    """{field: [problem]} for one question's definition as the API and the admin give it:
    `key`, `kind`, `label`, `help`, `required`, `choices`, `min`, `max`, `max_length`,
    `share_with_providers`. Empty when the definition is sound."""
    errors: dict[str, list[str]] = {}
    key = item.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key) or len(key) > KEY_MAX_LENGTH:
        errors["key"] = [
            _(
                "Give a key of lower-case letters and digits, words joined by - or _ "
                "(at most %(n)d characters), such as “chain” or “licences_held”."
            )
            % {"n": KEY_MAX_LENGTH}
        ]
    kind = item.get("kind")
    if kind not in QuestionKind.values:
        errors["kind"] = [
            _("Unknown kind “%(kind)s”. Choose among: %(known)s.")
            % {"kind": kind, "known": ", ".join(QuestionKind.values)}
        ]
    label = _texts_problems(
        item.get("label"), required=True, max_length=LABEL_MAX_LENGTH, long=False
    )
    if label:
        errors["label"] = label
    help_ = _texts_problems(item.get("help"), required=False, max_length=HELP_MAX_LENGTH, long=True)
    if help_:
        errors["help"] = help_
    for flag in ("required", "share_with_providers"):
        if flag in item and not isinstance(item[flag], bool):
            errors[flag] = [_("Say true or false.")]

    choices = item.get("choices") or []
    if kind in CHOICE_KINDS:
        problems = _choices_problems(choices)
        if problems:
            errors["choices"] = problems
    elif choices:
        errors["choices"] = [_("Only questions of one or several choices have choices.")]

    bounds = {}
    for name in ("min", "max"):
        value = item.get(name)
        if value is None:
            continue
        if kind != QuestionKind.NUMBER:
            errors[name] = [_("Only number questions have a minimum and a maximum.")]
            continue
        number = as_decimal(value)
        problem = _("Enter a number.") if number is None else number_problem(number)
        if problem:
            errors[name] = [problem]
        else:
            bounds[name] = number
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        errors["max"] = [_("The maximum cannot be below the minimum.")]

    max_length = item.get("max_length")
    if max_length is not None:
        if kind not in TEXT_KINDS:
            errors["max_length"] = [_("Only text questions have a maximum length.")]
        elif (
            isinstance(max_length, bool)
            or not isinstance(max_length, int)
            or not 1 <= max_length <= MAX_MAX_LENGTH[QuestionKind(kind)]
        ):
            errors["max_length"] = [
                _("Enter a whole number from 1 to %(n)d.")
                % {"n": MAX_MAX_LENGTH[QuestionKind(kind)]}
            ]
    return errors


def _choices_problems(choices: object) -> list[str]:
    if not isinstance(choices, list) or not choices:
        return [_("A question of one or several choices needs at least one choice.")]
    if len(choices) > MAX_CHOICES:
        return [_("A question has at most %(n)d choices.") % {"n": MAX_CHOICES}]
    problems = []
    values = []
    for index, choice in enumerate(choices, start=1):
        if not isinstance(choice, Mapping):
            problems.append(
                _('Choice %(n)d: give {"value": …, "label": {"en": …}}.') % {"n": index}
            )
            continue
        value = choice.get("value")
        if (
            not isinstance(value, str)
            or not KEY_PATTERN.match(value)
            or len(value) > CHOICE_VALUE_MAX_LENGTH
        ):
            problems.append(
                _(
                    "Choice %(n)d: give a value of lower-case letters and digits, words joined "
                    "by - or _ (at most %(max)d characters)."
                )
                % {"n": index, "max": CHOICE_VALUE_MAX_LENGTH}
            )
        else:
            values.append(value)
        for problem in _texts_problems(
            choice.get("label"), required=True, max_length=LABEL_MAX_LENGTH, long=False
        ):
            problems.append(_("Choice %(n)d: %(problem)s") % {"n": index, "problem": problem})
        extra = sorted(set(choice) - {"value", "label"})
        if extra:
            problems.append(
                _("Choice %(n)d: unknown fields %(fields)s.")
                % {"n": index, "fields": ", ".join(map(str, extra))}
            )
    duplicates = sorted({value for value in values if values.count(value) > 1})
    if duplicates:
        problems.append(
            _("Two choices cannot have the same value: %(values)s.")
            % {"values": ", ".join(duplicates)}
        )
    return problems


def effective_max_length(kind: str, max_length: int | None) -> int | None:
    if kind not in TEXT_KINDS:
        return None
    return max_length or DEFAULT_MAX_LENGTH[QuestionKind(kind)]
