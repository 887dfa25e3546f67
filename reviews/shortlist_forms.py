"""Forms of the coordinator's shortlist pages in the admin: shape only, the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.enums import ApplicationStatus
from applications.models import Application
from incubator.enums import Jurisdiction, Region, ServiceKind, Track
from incubator.models import Round

from .enums import RankingMethod
from .shortlists import MAX_SIZE


def _optional(choices):
    return [("", _("Any")), *choices]


class ShortlistCreateForm(forms.Form):
    round = forms.ModelChoiceField(
        label=_("Round"), queryset=Round.objects.order_by("-opens_at"), empty_label=None
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    method = forms.ChoiceField(
        label=_("Ranking method"),
        choices=RankingMethod.choices,
        initial=RankingMethod.RAW,
        help_text=_("Normalised scores weigh a harsh and a lenient reviewer the same."),
    )
    size = forms.IntegerField(
        label=_("Size (top N)"),
        min_value=1,
        max_value=MAX_SIZE,
        required=False,
        help_text=_("Keep the first N."),
    )
    min_score = forms.FloatField(
        label=_("Minimum score"),
        required=False,
        help_text=_("Keep those scoring at least this under the chosen method."),
    )
    track = forms.ChoiceField(label=_("Track"), choices=_optional(Track.choices), required=False)
    region = forms.ChoiceField(label=_("Region"), choices=_optional(Region.choices), required=False)
    needs = forms.ChoiceField(
        label=_("Needs"), choices=_optional(ServiceKind.choices), required=False
    )
    min_reviews = forms.IntegerField(
        label=_("Minimum reviews"), min_value=0, max_value=MAX_SIZE, required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=_optional(ApplicationStatus.choices),
        required=False,
        help_text=_("Any: every application that can still be shortlisted."),
    )

    quota_mainland = forms.IntegerField(
        label=_("Quota: Mainland"), min_value=0, max_value=MAX_SIZE, required=False
    )
    quota_hong_kong = forms.IntegerField(
        label=_("Quota: Hong Kong"), min_value=0, max_value=MAX_SIZE, required=False
    )
    quota_macau = forms.IntegerField(
        label=_("Quota: Macau"),
        min_value=0,
        max_value=MAX_SIZE,
        required=False,
        help_text=_(
            "The least entries from each jurisdiction: where a quota is not met by rank, the "
            "jurisdiction's best-ranked applications take the last places."
        ),
    )

    def clean(self):
        data = super().clean()
        if {"size", "min_score"} & set(self.errors):
            return data  # a bad size or score is already named
        if data.get("size") is None and data.get("min_score") is None:
            self.add_error("size", _("Give a size (the top N), a minimum score, or both."))
        return data

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        quotas = {}
        for jurisdiction in Jurisdiction.values:
            value = data.pop(f"quota_{jurisdiction}", None)
            if value is not None:
                quotas[jurisdiction] = value
        arguments = {key: (value if value != "" else None) for key, value in data.items()}
        return {**arguments, "quotas": quotas}


class EntryChangeForm(forms.Form):
    application = forms.ModelChoiceField(
        label=_("Application"), queryset=Application.objects.none()
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )

    def __init__(self, *args, applications, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = applications.select_related("startup").order_by(
            "project_name"
        )
