"""Portal forms: they check the shape of what was typed; the services decide the rules."""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from incubator.enums import Currency, QuestionKind, Region, ServiceKind, Stage, Track
from incubator.models import DEFAULT_PROGRAMME_NAME, Question
from incubator.question_fields import (
    ANSWER_PREFIX,
    answer_field_name,
    answer_from_form,
    question_field,
)

from .enums import AttachmentKind
from .selectors import startup_of


def apply_service_errors(form: forms.Form, error: ValidationError, aliases=None) -> None:
    """Show a service's field errors next to the form's fields."""
    aliases = aliases or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        field = aliases.get(name, name)
        form.add_error(field if field in form.fields else None, messages)


class DescribedErrorsMixin:
    """Point each invalid field's `aria-describedby` at its error list (and its help text)."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name not in self.fields:
                continue
            bound = self[name]
            ids = [f"{bound.auto_id}_errors"]
            if self.fields[name].help_text:
                ids.append(f"{bound.auto_id}_helptext")
            self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)


class NewAccountForm(DescribedErrorsMixin, forms.Form):
    """A user name and a password given twice: what every form that makes an account asks."""

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @ . + - _ only."),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 8 characters, not only digits, not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") != data.get("password1"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class SignUpForm(NewAccountForm):
    email = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    startup_name = forms.CharField(label=_("Start-up name"), max_length=200)
    region = forms.ChoiceField(label=_("Region"), choices=Region.choices)

    field_order = ["username", "email", "password1", "password2", "startup_name", "region"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["autofocus"] = True


class InviteForm(DescribedErrorsMixin, forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("We send a link valid for 7 days, in your start-up's language."),
    )


class JoinForm(NewAccountForm):
    """A newcomer's account, made when they accept an invitation (the address is the
    invitation's)."""


class ApplicationForm(DescribedErrorsMixin, forms.Form):
    project_name = forms.CharField(label=_("Project name"), max_length=200)
    track = forms.ChoiceField(
        label=_("Track"), choices=[("", _("Choose a track")), *Track.choices], required=False
    )
    stage = forms.ChoiceField(
        label=_("Stage"), choices=[("", _("Choose a stage")), *Stage.choices], required=False
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=10000,
        required=False,
        help_text=_("What you build, for whom, and why a blockchain (up to 10,000 characters)."),
        widget=forms.Textarea(attrs={"rows": 7}),
    )
    funding_amount = forms.DecimalField(
        label=_("Funding requested"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
    )
    funding_currency = forms.ChoiceField(
        label=_("Currency"),
        choices=[("", _("Choose a currency")), *Currency.choices],
        required=False,
    )
    needs = forms.MultipleChoiceField(
        label=_("Services you need"),
        choices=ServiceKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Partners who offer these services hear about you only if you agree below and you "
            "are chosen."
        ),
    )
    share_with = forms.MultipleChoiceField(
        label=_("I agree to share my details with these providers"),
        choices=ServiceKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only among the services you need. You can withdraw at any time."),
    )

    def __init__(self, *args, questions: list[Question] = (), **kwargs):
        super().__init__(*args, **kwargs)
        # Optional for a draft, needed to submit: not labelled "(optional)" (_field.html).
        for name, field in self.fields.items():
            field.needed_to_submit = name != "share_with"
        # The round's own questions, in the reader's language, after the fixed fields.
        self.questions = list(questions)
        for question in self.questions:
            field = question_field(question)
            field.needed_to_submit = question.required
            self.fields[answer_field_name(question.key)] = field

    def question_fields(self) -> list:
        return [self[answer_field_name(q.key)] for q in self.questions]

    def service_fields(self) -> dict:
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if not name.startswith(ANSWER_PREFIX)
        }
        data["needs"] = list(data.get("needs") or [])
        if self.questions:
            answers = {}
            for question in self.questions:
                value = answer_from_form(
                    question, self.cleaned_data.get(answer_field_name(question.key))
                )
                if value not in (None, "", []):
                    answers[question.key] = value
            data["answers"] = answers
        data["share_with"] = list(data.get("share_with") or [])
        return data

    def error_aliases(self) -> dict[str, str]:
        """The service names an answer `answers.<key>`; the form, `answer_<key>`."""
        return {f"answers.{q.key}": answer_field_name(q.key) for q in self.questions}


def answers_initial(questions: list[Question], answers: dict) -> dict:
    """A stored answer as the form shows it."""
    initial = {}
    for question in questions:
        value = (answers or {}).get(question.key)
        if value is None:
            continue
        if question.kind == QuestionKind.BOOLEAN:
            value = "true" if value else "false"
        elif question.kind == QuestionKind.NUMBER:
            value = str(value)
        initial[answer_field_name(question.key)] = value
    return initial


class ConsentForm(DescribedErrorsMixin, forms.Form):
    """Which provider kinds may receive the application's details: among its needs."""

    share_with = forms.MultipleChoiceField(
        label=_("I agree to share my details with these providers"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Untick a kind to withdraw your consent for it."),
    )

    def __init__(self, *args, needs: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["share_with"].choices = [
            (value, label) for value, label in ServiceKind.choices if value in needs
        ]


class AttachmentForm(DescribedErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of file"), choices=AttachmentKind.choices)
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.pptx,.jpg,.jpeg,.png"},
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request: in the active language and with the current limit.
        self.fields["file"].help_text = gettext(
            "Pitch deck: PDF or PPTX. Business licence: PDF, JPEG or PNG. Other: PDF. "
            "At most %(mb)d MB."
        ) % {"mb": settings.MAX_UPLOAD_MB}


class WithdrawForm(DescribedErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StartupProfileForm(DescribedErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    region = forms.ChoiceField(label=_("Region"), choices=Region.choices)
    founded_on = forms.DateField(
        label=_("Founded on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    website = forms.URLField(
        label=_("Website"), max_length=300, required=False, assume_scheme="https"
    )
    team_size = forms.IntegerField(
        label=_("Team size"), min_value=1, max_value=100000, required=False
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    contact_email = forms.EmailField(label=_("Contact e-mail"))
    language = forms.ChoiceField(
        label=_("Language of e-mails"),
        choices=settings.LANGUAGES,
        # Left out, the start-up keeps its language.
        required=False,
        help_text=_("The programme and the invitations to your team write in this language."),
    )


class LocalizedPasswordResetForm(PasswordResetForm):
    """Django's password reset, with the e-mail in the user's language: the language of the
    start-up they belong to, else the request's (already active)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        startup = startup_of(user=context["user"])
        language = startup.language if startup else translation.get_language()
        with translation.override(language or settings.LANGUAGE_CODE):
            super().send_mail(
                subject_template_name,
                email_template_name,
                {**context, "programme": gettext(DEFAULT_PROGRAMME_NAME)},
                from_email,
                to_email,
                html_email_template_name=html_email_template_name,
            )
