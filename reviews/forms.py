"""The review form of the reviewers' workplace in the admin: shape only, the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from incubator.models import Criterion

from .enums import Recommendation


def criterion_field_name(criterion: Criterion) -> str:
    return f"criterion_{criterion.pk}"


class ReviewForm(forms.Form):
    """One score field per criterion of the round, then recommendation, confidence, comments."""

    recommendation = forms.ChoiceField(
        label=_("Recommendation"),
        choices=[("", "—"), *Recommendation.choices],
        required=False,
    )
    confidence = forms.TypedChoiceField(
        label=_("Confidence"),
        choices=[("", "—")] + [(str(n), str(n)) for n in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("1 = a guess, 5 = I know this field well."),
    )
    comment = forms.CharField(
        label=_("Comments"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
    )

    def __init__(self, *args, criteria: list[Criterion], disabled: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        score_fields = {}
        for criterion in criteria:
            weight = f"{criterion.weight.normalize():f}"
            out_of_range = _("Enter a score from 1 to %(max)d.") % {"max": criterion.max_score}
            score_fields[criterion_field_name(criterion)] = forms.IntegerField(
                label=criterion.name,
                required=False,
                help_text=_("%(description)s Weight %(weight)s, scale 1–%(max)s.")
                % {
                    "description": criterion.description,
                    "weight": weight,
                    "max": criterion.max_score,
                },
                # The browser marks a score off the scale and sums the total as it is typed
                # (reviews/static/reviews/workplace.js); clean() marks it at the field too.
                widget=forms.NumberInput(
                    attrs={
                        "class": "score-input",
                        "min": 1,
                        "max": criterion.max_score,
                        "step": 1,
                        "data-weight": weight,
                        "data-max": criterion.max_score,
                        "data-range-message": out_of_range,
                        "aria-describedby": f"range-{criterion.pk}",
                    }
                ),
            )
        # Scores first, in the rubric's order.
        self.fields = {**score_fields, **self.fields}
        if disabled:
            for field in self.fields.values():
                field.disabled = True

    def clean(self):
        cleaned = super().clean()
        # Marked at its field here; the scoring service checks the scale again and decides.
        for criterion in self.criteria:
            name = criterion_field_name(criterion)
            value = cleaned.get(name)
            if value is not None and not 1 <= value <= criterion.max_score:
                self.add_error(
                    name,
                    _("“%(name)s” takes a whole number from 1 to %(max)d; got %(value)d.")
                    % {"name": criterion.name, "max": criterion.max_score, "value": value},
                )
        return cleaned

    def scores(self) -> dict[int, int | None]:
        return {c.pk: self.cleaned_data.get(criterion_field_name(c)) for c in self.criteria}

    def score_fields(self):
        return [self[criterion_field_name(c)] for c in self.criteria]

    def score_rows(self):
        """(criterion, bound field) in the rubric's order, for the level descriptions."""
        return [(c, self[criterion_field_name(c)]) for c in self.criteria]

    def other_fields(self):
        return [self["recommendation"], self["confidence"], self["comment"]]
