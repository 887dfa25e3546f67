import django_filters
from django import forms

from incubator.enums import ServiceKind, Track

from ..enums import ApplicationStatus
from ..models import Application


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class ApplicationFilter(django_filters.FilterSet):
    round = IntegerFilter(field_name="round_id", min_value=1, max_value=2**63 - 1)
    status = django_filters.ChoiceFilter(choices=ApplicationStatus.choices)
    track = django_filters.ChoiceFilter(choices=Track.choices)
    needs = django_filters.ChoiceFilter(
        choices=ServiceKind.choices, method="filter_needs", label="Needs (one value)"
    )

    class Meta:
        model = Application
        fields = ["round", "status", "track", "needs"]

    def filter_needs(self, queryset, name, value):
        return queryset.needing(value)
