"""Query filters every list endpoint shares."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

# The range of the database's bigint ids: a larger number is a malformed value (400), not a
# query the database cannot run.
ID_RANGE = {"min_value": -(2**63), "max_value": 2**63 - 1}


@extend_schema_field(OpenApiTypes.INT64)
class IdFilter(django_filters.NumberFilter):
    """`?round=7`: an object's id. A value that is not a whole number answers 400 naming the
    parameter; a whole number that matches nothing answers an empty page."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault(
            "help_text", "An id (a whole number); one that matches nothing gives an empty page."
        )
        super().__init__(*args, **{**ID_RANGE, **kwargs})
