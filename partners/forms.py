"""Partner portal forms: they check the shape; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .enums import InterestStatus
from .services import NOTE_MAX_LENGTH


class InterestForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Your answer"), choices=InterestStatus.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note to the start-up"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sent with the introduction when you are interested."),
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Your reply"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
