"""The API's JSON parser: DRF's, with a limit on nesting.

Python's `json` module parses nested arrays and objects by recursion: a body of 5,000 `[`
exhausts the interpreter's stack (RecursionError, a 500). The nesting is measured first, without
recursion, and a body deeper than `MAX_DEPTH` is refused with a 400 that says so. (The size is
limited before: DRF hands JSON parsers `request.body`, which Django refuses past
`DATA_UPLOAD_MAX_MEMORY_SIZE`.)
"""

import codecs
import re
from itertools import accumulate
from json import JSONDecodeError

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

# No request of ours nests deeper than a few levels; this leaves room and stays far from the
# interpreter's recursion limit.
MAX_DEPTH = 32

# A JSON string (with its escapes): brackets inside strings are text, not nesting.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
# +1 for an opening bracket, -1 for a closing one, by byte value.
_DELTA = [0] * 256
for _opening in b"[{":
    _DELTA[_opening] = 1
for _closing in b"]}":
    _DELTA[_closing] = -1

# Python's json module words what is wrong in English; each problem a client can meet, in the
# client's language (one the table does not know stays as Python says it).
JSON_PROBLEMS = {
    "Expecting value": gettext_lazy("Expecting value"),
    "Expecting property name enclosed in double quotes": gettext_lazy(
        "Expecting property name enclosed in double quotes"
    ),
    "Expecting ':' delimiter": gettext_lazy("Expecting ':' delimiter"),
    "Expecting ',' delimiter": gettext_lazy("Expecting ',' delimiter"),
    "Extra data": gettext_lazy("Extra data"),
    "Unterminated string starting at": gettext_lazy("Unterminated string starting at"),
    "Invalid control character at": gettext_lazy("Invalid control character at"),
    "Invalid \\escape": gettext_lazy("Invalid \\escape"),
    "Invalid \\uXXXX escape": gettext_lazy("Invalid \\uXXXX escape"),
}


def json_problem(error: ValueError) -> str:
    """What is wrong with the JSON and where, as Python says it in English (`Expecting value:
    line 1 column 1 (char 0)`), in the active language."""
    problem = JSON_PROBLEMS.get(error.msg) if isinstance(error, JSONDecodeError) else None
    if problem is None:
        return str(error)
    return _("%(problem)s: line %(line)d column %(column)d (char %(char)d)") % {
        "problem": problem,
        "line": error.lineno,
        "column": error.colno,
        "char": error.pos,
    }


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in `text` (0 for a scalar), counted without recursion."""
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_DELTA.__getitem__, brackets.encode("ascii"))), default=0)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.decode(stream.read(), encoding)
        except UnicodeDecodeError as error:
            raise ParseError(
                _("The request body is not valid %(encoding)s.") % {"encoding": encoding}
            ) from error
        if nesting_depth(text) > MAX_DEPTH:
            raise ParseError(
                _("The JSON body nests arrays and objects deeper than %(limit)d levels.")
                % {"limit": MAX_DEPTH}
            )
        parse_constant = json.strict_constant if self.strict else None
        try:
            return json.loads(text, parse_constant=parse_constant)
        except ValueError as error:
            raise ParseError(
                _("JSON parse error - %(error)s") % {"error": json_problem(error)}
            ) from error
