"""Serializer fields every app's API shares."""

from rest_framework import serializers
from rest_framework.fields import empty


class OptionalChoiceField(serializers.ChoiceField):
    """A value of an enumeration that may not be given yet: `null` in the API (read and written),
    "" in the database. One representation for every optional enum, so a client generated from
    the schema reads a draft without tripping over a blank that no enum allows."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def run_validation(self, data=empty):
        value = super().run_validation(data)
        return "" if value is None else value

    def to_representation(self, value):
        if value in ("", None):
            return None
        return super().to_representation(value)
