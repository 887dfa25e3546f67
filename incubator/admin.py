from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Criterion, PartnerAccount, Programme, Question, Round
from .question_fields import question_field
from .questions import LANGUAGES, MAX_QUESTIONS, definition_errors, localized
from .services import ROUND_FIELDS, record_round_change

admin.site.site_header = _("Blue Chip Incubator administration")
admin.site.site_title = _("Blue Chip Incubator")
admin.site.index_title = _("Programme administration")


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "organisers", "created_at"]
    search_fields = ["name", "organisers"]


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ["order", "name", "description", "weight", "max_score", "levels"]


LANGUAGE_SUFFIXES = {"en": "en", "zh-hans": "zh_hans", "zh-hant": "zh_hant"}
LANGUAGE_NAMES = {
    "en": _("English"),
    "zh-hans": _("Simplified Chinese"),
    "zh-hant": _("Traditional Chinese"),
}


def _choices_text(choices: list) -> str:
    lines = []
    for choice in choices or []:
        label = choice.get("label") or {}
        lines.append(" | ".join([choice.get("value", ""), *(label.get(c, "") for c in LANGUAGES)]))
    return "\n".join(lines)


def _parse_choices(text: str) -> list[dict]:
    choices = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        value, labels = parts[0], parts[1:]
        choices.append(
            {
                "value": value,
                "label": {c: t for c, t in zip(LANGUAGES, labels, strict=False) if t},
            }
        )
    return choices


class QuestionForm(forms.ModelForm):
    """A question with its texts in the three languages as fields of their own, and its choices
    as lines "value | English | 简体中文 | 繁體中文". Checked by the same rules as the API."""

    label_en = forms.CharField(label=_("Label (English)"), max_length=300)
    label_zh_hans = forms.CharField(
        label=_("Label (Simplified Chinese)"), max_length=300, required=False
    )
    label_zh_hant = forms.CharField(
        label=_("Label (Traditional Chinese)"), max_length=300, required=False
    )
    help_en = forms.CharField(
        label=_("Help (English)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    help_zh_hans = forms.CharField(
        label=_("Help (Simplified Chinese)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    help_zh_hant = forms.CharField(
        label=_("Help (Traditional Chinese)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    choices_text = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For one or several choices: one choice a line, “value | English | 简体中文 | "
            "繁體中文”, such as “ethereum | Ethereum | 以太坊 | 以太坊”."
        ),
    )

    class Meta:
        model = Question
        fields = [
            "order",
            "key",
            "kind",
            "required",
            "min_value",
            "max_value",
            "max_length",
            "share_with_providers",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        question = self.instance
        if question.pk:
            for code, suffix in LANGUAGE_SUFFIXES.items():
                self.initial[f"label_{suffix}"] = (question.label or {}).get(code, "")
                self.initial[f"help_{suffix}"] = (question.help or {}).get(code, "")
            self.initial["choices_text"] = _choices_text(question.choices)

    def _texts(self, prefix: str) -> dict:
        return {
            code: self.cleaned_data.get(f"{prefix}_{suffix}", "").strip()
            for code, suffix in LANGUAGE_SUFFIXES.items()
            if self.cleaned_data.get(f"{prefix}_{suffix}", "").strip()
        }

    def definition(self) -> dict:
        data = self.cleaned_data
        return {
            "key": data.get("key"),
            "kind": data.get("kind"),
            "label": self._texts("label"),
            "help": self._texts("help"),
            "required": bool(data.get("required")),
            "choices": _parse_choices(data.get("choices_text", "")),
            "min": data.get("min_value"),
            "max": data.get("max_value"),
            "max_length": data.get("max_length"),
            "share_with_providers": bool(data.get("share_with_providers")),
            "order": data.get("order") or 0,
        }

    NAMES = {
        "label": "label_en",
        "help": "help_en",
        "choices": "choices_text",
        "min": "min_value",
        "max": "max_value",
    }

    def clean(self):
        data = super().clean()
        definition = self.definition()
        # The model's own clean() checks the same definition.
        self.instance.label = definition["label"]
        self.instance.help = definition["help"]
        self.instance.choices = definition["choices"]
        if self.cleaned_data.get("DELETE"):
            return data
        for field, problems in definition_errors(definition).items():
            name = self.NAMES.get(field, field)
            if name not in self.errors:
                self.add_error(name if name in self.fields else None, problems)
        return data

    def _update_errors(self, errors):
        # The model names its JSON fields; this form shows them as fields of their own, and has
        # already said what is wrong with them.
        if hasattr(errors, "error_dict"):
            remapped = {}
            for field, problems in errors.error_dict.items():
                name = {"min_value": "min_value", "max_value": "max_value"}.get(field, field)
                name = self.NAMES.get(name, name)
                if name in self.errors:
                    continue
                remapped[name if name in self.fields else "__all__"] = problems
            if not remapped:
                return
            errors = ValidationError(remapped)
        super()._update_errors(errors)


class QuestionInline(admin.StackedInline):
    """The round's own questions; they freeze (read-only) at the round's first submission."""

    model = Question
    form = QuestionForm
    extra = 0
    max_num = MAX_QUESTIONS
    ordering = ["order", "id"]
    fieldsets = [
        (None, {"fields": [("order", "key", "kind"), ("required", "share_with_providers")]}),
        (_("Label"), {"fields": [("label_en", "label_zh_hans", "label_zh_hant")]}),
        (_("Help text"), {"fields": [("help_en", "help_zh_hans", "help_zh_hant")]}),
        (
            _("Answers"),
            {"fields": ["choices_text", ("min_value", "max_value"), "max_length"]},
        ),
    ]

    def _frozen(self, obj) -> bool:
        return obj is not None and obj.pk is not None and services.round_has_submission(obj)

    def has_add_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or super().has_change_permission(
            request, obj
        )

    def get_fieldsets(self, request, obj=None):
        if self._frozen(obj):
            # Read-only: the stored texts as they are, no editing fields.
            return [
                (
                    None,
                    {
                        "fields": [
                            ("order", "key", "kind"),
                            ("required", "share_with_providers"),
                            "label",
                            "help",
                            "choices",
                            ("min_value", "max_value", "max_length"),
                        ]
                    },
                )
            ]
        return super().get_fieldsets(request, obj)


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "programme",
        "opens_at",
        "closes_at",
        "review_deadline",
        "reviews_per_application",
        "is_open",
    ]
    list_filter = ["programme"]
    list_select_related = ["programme"]
    search_fields = ["name"]
    date_hierarchy = "opens_at"
    inlines = [CriterionInline, QuestionInline]
    readonly_fields = ["form_preview"]

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        # The round and its rubric are saved by now, in the page's transaction: one audit event
        # says what the page changed (DESIGN.md §13: round.created, round.changed).
        super().save_related(request, form, formsets, change)
        fields = [name for name in (*ROUND_FIELDS, "programme") if name in form.changed_data]
        # Questions record their own change (services.set_round_questions).
        rubric = any(formset.has_changed() for formset in formsets if formset.model is Criterion)
        if change and not fields and not rubric:
            return
        record_round_change(
            actor=request.user,
            round_=form.instance,
            created=not change,
            fields=fields if change else (*ROUND_FIELDS, "programme"),
            rubric=rubric,
        )

    @admin.display(boolean=True, description=_("open now"))
    def is_open(self, obj: Round) -> bool:
        return obj.is_open

    @admin.display(description=_("Preview of the application form"))
    def form_preview(self, obj: Round) -> str:
        if obj is None or obj.pk is None:
            return "—"
        return format_html_join(
            " · ",
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            (
                (
                    reverse("admin:incubator_round_preview", args=[obj.pk, code]),
                    LANGUAGE_NAMES[code],
                )
                for code in LANGUAGES
            ),
        )

    def get_urls(self):
        own = [
            path(
                "<int:pk>/preview/<str:language>/",
                self.admin_site.admin_view(self.preview_view),
                name="incubator_round_preview",
            )
        ]
        return own + super().get_urls()

    def preview_view(self, request: HttpRequest, pk: int, language: str) -> HttpResponse:
        """The round's questions as the portal's form shows them in `language`, read-only."""
        round_ = get_object_or_404(Round, pk=pk)
        if not self.has_view_or_change_permission(request, round_):
            raise PermissionDenied
        if language not in LANGUAGES:
            raise Http404
        questions = list(round_.questions.order_by("order", "id"))
        with translation.override(language):
            fields = []
            for question in questions:
                field = question_field(question)
                field.disabled = True
                bound = forms.Form()
                bound.fields[f"answer_{question.key}"] = field
                fields.append(
                    {
                        "question": question,
                        "label": localized(question.label, language),
                        "help": localized(question.help, language),
                        "required": question.required,
                        "html": bound[f"answer_{question.key}"].as_widget(),
                    }
                )
            rendered = TemplateResponse(
                request,
                "admin/incubator/round/preview.html",
                {
                    **self.admin_site.each_context(request),
                    "title": gettext("Preview of the application form"),
                    "round": round_,
                    "language": language,
                    "language_name": LANGUAGE_NAMES[language],
                    "fields": fields,
                    "opts": self.model._meta,
                },
            )
            rendered.render()
        return rendered

    def change_view(self, request, object_id, form_url="", extra_context=None):
        round_ = self.get_object(request, object_id)
        if request.method == "GET" and round_ is not None and services.round_has_submission(round_):
            messages.warning(
                request,
                gettext(
                    "This round already has a submitted application: its questions can no "
                    "longer change, so that the answers given keep their meaning."
                ),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Question:
            return super().save_formset(request, form, formset, change)
        # What the admin's change message reads (formset.save() would set these).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if not formset.has_changed():
            return None
        items = [
            f.definition()
            for f in sorted(
                (f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")),
                key=lambda f: f.cleaned_data.get("order") or 0,
            )
        ]
        try:
            services.set_round_questions(actor=request.user, round=form.instance, questions=items)
        except (ValidationError, services.QuestionsFrozen) as error:
            # Checked before (the forms, the read-only inline); a race ends here.
            messages.error(request, "; ".join(getattr(error, "messages", [str(error)])))
        return None


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["name", "round", "weight", "max_score", "order"]
    list_filter = ["round"]
    list_select_related = ["round"]
    search_fields = ["name", "description"]

    def save_model(self, request: HttpRequest, obj: Criterion, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record_round_change(actor=request.user, round_=obj.round, created=False, rubric=True)

    def delete_model(self, request: HttpRequest, obj: Criterion) -> None:
        round_ = obj.round
        super().delete_model(request, obj)
        record_round_change(actor=request.user, round_=round_, created=False, rubric=True)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        rounds = {criterion.round for criterion in queryset.select_related("round")}
        super().delete_queryset(request, queryset)
        for round_ in rounds:
            record_round_change(actor=request.user, round_=round_, created=False, rubric=True)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """Every round's questions in one list; they are edited on their round's page, where the
    freeze and the audit trail apply."""

    list_display = ["key", "round", "kind", "required", "share_with_providers", "order"]
    list_filter = ["round", "kind"]
    list_select_related = ["round"]
    search_fields = ["key"]
    readonly_fields = [f.name for f in Question._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PartnerAccount)
class PartnerAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "joined_at"]
    list_filter = ["provider"]
    list_select_related = ["user", "provider"]
    search_fields = ["user__username", "provider__name"]
    autocomplete_fields = ["user", "provider"]


# Django's user, group and token pages for superusers; the base of the coordinators' account pages.
from . import admin_accounts  # noqa: E402, F401 (registers its ModelAdmins)
