"""What text people may store: one-line names, and long text with line breaks and tabs.

One-line text (names of start-ups, projects, shortlists, rounds, providers, users; e-mail
addresses, URLs) refuses every control character: Unicode categories Cc (C0 and C1 controls, such
as NUL, ESC or U+0097) and Cf (format characters, such as the bidirectional overrides that can
make a name read differently from what it is). Long text (summaries, descriptions, comments,
notes, reasons) refuses the same except line breaks and tabs. Both refuse lone surrogates, which
no database can store. Services call these on every write, so the API, the portal and the admin
refuse the same text with the same message, naming the field.
"""

import unicodedata
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CONTROL_CATEGORIES = frozenset({"Cc", "Cf"})
LINE_BREAKS_AND_TABS = frozenset("\t\n\r")


def _first_refused(value: str, allowed: frozenset[str]) -> str | None:
    if value.isprintable():  # no control, format or surrogate character at all (fast path)
        return None
    for character in value:
        if character in allowed:
            continue
        if unicodedata.category(character) in CONTROL_CATEGORIES | {"Cs"}:
            return character
    return None


def _problem(value: object, *, long: bool) -> str | None:
    if not isinstance(value, str):
        return None
    character = _first_refused(value, LINE_BREAKS_AND_TABS if long else frozenset())
    if character is None:
        return None
    if unicodedata.category(character) == "Cs":
        return _("The text contains invalid characters.")
    code = f"U+{ord(character):04X}"
    if long:
        return _(
            "Control characters such as %(character)s are not allowed; only line breaks and "
            "tabs are."
        ) % {"character": code}
    return _("Use a single line of text without control characters (found %(character)s).") % {
        "character": code
    }


def text_errors(values: Mapping[str, object], *, long: Iterable[str] = ()) -> dict[str, list[str]]:
    """{field: [message]} for each value that is not acceptable text; fields named in `long`
    are long text, all others one line. Values that are not strings are not judged here."""
    long = set(long)
    errors = {}
    for field, value in values.items():
        problem = _problem(value, long=field in long)
        if problem is not None:
            errors[field] = [problem]
    return errors


def check_text(values: Mapping[str, object], *, long: Iterable[str] = ()) -> None:
    """Raise ValidationError naming every field whose text is not acceptable."""
    errors = text_errors(values, long=long)
    if errors:
        raise ValidationError(errors)
