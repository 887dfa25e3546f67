import django_filters

from incubator.api.filters import IdFilter
from incubator.enums import ServiceKind, Track

from ..enums import ApplicationStatus
from ..models import Application


class ApplicationFilter(django_filters.FilterSet):
    round = IdFilter(field_name="round_id")
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
