"""One place that turns domain errors into DRF's usual error shapes."""

import re

from django.apps import apps
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext, gettext_noop
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from incubator.exceptions import WorkflowError

# Django's get_object_or_404 (and DRF's get_object) answer "No Round matches the given query.",
# in English whatever the client's language. In a language with a translation of the sentence
# below, the model is named by its verbose name instead; in English the text stays as it was.
LOOKUP_MISSED = re.compile(r"No (?P<model>\w+) matches the given query\.")
NO_MATCH = gettext_noop("No %(name)s matches the given query.")


def _lookup_missed(exc: Http404) -> Exception:
    match = LOOKUP_MISSED.fullmatch(str(exc))
    if match is None:
        return exc
    sentence = gettext(NO_MATCH)
    if sentence == NO_MATCH:
        return exc
    # Ours are installed after Django's and the libraries': the last of a name is ours.
    models = [model for model in apps.get_models() if model._meta.object_name == match["model"]]
    if not models:
        return exc
    return NotFound(sentence % {"name": models[-1]._meta.verbose_name})


def exception_handler(exc, context):
    if isinstance(exc, WorkflowError):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        # A service's field errors become {"field": ["message"]}, a 400.
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = ValidationError(detail=detail)
    if isinstance(exc, Http404):
        exc = _lookup_missed(exc)
    return drf_exception_handler(exc, context)
