"""The second translation gate: no page a person reaches shows English in Chinese.

Every portal page and every admin page that each role reaches (anonymous visitor, start-up
member, reviewer, coordinator) is rendered through the test client in zh-hans and zh-hant. The
visible text (no tags, scripts, styles, <code> or attribute values) minus the fixture's own data
(names this test made) must hold no run of two or more English words. A failure names the page,
the language and the English text; the fix is to mark the string for translation and translate
it (docs/glossary.md).
"""

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise

from applications.enums import ApplicationStatus
from incubator.models import Criterion, Programme
from reviews.models import ConflictOfInterest
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    AttachmentFactory,
    CoordinatorFactory,
    NotificationFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
    ServiceProviderFactory,
    ShortlistEntryFactory,
    ShortlistFactory,
    StartupFactory,
    UserFactory,
)
from tests.ours import MODEL_APPS
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db

LANGUAGES = ("zh-hans", "zh-hant")
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ \t\u00a0]+[A-Za-z]{2,})+")

# The fixture's own data: names and texts this test writes into the database.
FIXTURE_TEXTS = (
    "Harbour Ledger Labs",
    "Cross Border Ledger",
    "A ledger for cross-border trade finance.",
    "Spring Intake",
    "Autumn Intake",
    "Market Fit",
    "Team Strength",
    "Top Picks",
    "Pearl River Capital",
    "Former colleague.",
    "Strong team and clear market",
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Acme",
    "Ledger",
    "Round 1",
)

# Text no translation changes: codes, formats and names read as they are in every language.
ALLOWED = (
    "SHA-256",
    "Django",  # the admin's "Django administration" fallback title is replaced; its logo stays
)


class _VisibleText(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts, styles or <template> contents."""

    # <code> holds template syntax a coordinator types ({% for a in data.items %}), not prose.
    HIDDEN = {"script", "style", "template", "textarea", "noscript", "code"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hidden_depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden_depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data):
        if not self.hidden_depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


# Template syntax quoted in help texts ({{ data.project_name }}, {% load notification_tags %}).
TEMPLATE_SYNTAX = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\bload [a-z_]+_tags\b")


def english_runs(html: str, data: tuple[str, ...] = ()) -> list[str]:
    text = TEMPLATE_SYNTAX.sub(" ", visible_text(html))
    for known in sorted(FIXTURE_TEXTS + ALLOWED + data, key=len, reverse=True):
        text = text.replace(known, " ")
    return sorted({match.group(0) for match in ENGLISH_RUN.finditer(text)})


@pytest.fixture
def world():
    """One of each thing a page can show, with names the gate knows as data."""
    round_ = RoundFactory(name="Spring Intake")
    criteria = [
        Criterion.objects.create(round=round_, name="Team Strength", weight=2, max_score=10),
        Criterion.objects.create(round=round_, name="Market Fit", weight=1, max_score=5),
    ]
    founder = UserFactory(username="founder", first_name="Alan", last_name="Turing")
    startup = StartupFactory(name="Harbour Ledger Labs", members=[founder])
    application = ApplicationFactory(
        round=round_,
        startup=startup,
        project_name="Cross Border Ledger",
        status=ApplicationStatus.UNDER_REVIEW,
        submitted_at=timezone.now(),
    )
    draft = ApplicationFactory(
        round=RoundFactory(name="Autumn Intake"),
        startup=startup,
        project_name="Cross Border Ledger",
    )
    AttachmentFactory(application=application)
    reviewer = ReviewerFactory(username="ada", first_name="Ada", last_name="Lovelace")
    review = ReviewFactory(assignment=AssignmentFactory(application=application, reviewer=reviewer))
    ConflictOfInterest.objects.create(
        reviewer=ReviewerFactory(username="bob"), startup=startup, reason="Former colleague."
    )
    shortlist = ShortlistFactory(round=round_, name="Top Picks")
    ShortlistEntryFactory(shortlist=shortlist, application=application, rank=1)
    ServiceProviderFactory(name="Pearl River Capital")
    NotificationFactory()
    coordinator = CoordinatorFactory(username="grace", first_name="Grace", last_name="Hopper")
    return {
        "round": round_,
        "criteria": criteria,
        "founder": founder,
        "startup": startup,
        "application": application,
        "draft": draft,
        "reviewer": reviewer,
        "review": review,
        "shortlist": shortlist,
        "coordinator": coordinator,
    }


def portal_urls(world) -> dict[str, list[str]]:
    application, draft = world["application"], world["draft"]
    anonymous = [
        reverse("portal:home"),
        reverse("portal:signup"),
        reverse("login"),
        reverse("password_reset"),
        reverse("password_reset_done"),
        reverse("password_reset_complete"),
        reverse("admin:login"),
    ]
    member = [
        reverse("portal:home"),
        reverse("portal:dashboard"),
        reverse("portal:profile"),
        reverse("portal:application-new"),
        reverse("portal:application", args=[application.pk]),
        reverse("portal:application-withdraw", args=[application.pk]),
        reverse("portal:application", args=[draft.pk]),
        reverse("portal:application-edit", args=[draft.pk]),
        reverse("portal:application-delete", args=[draft.pk]),
        reverse("portal:application-submit", args=[draft.pk]),
    ]
    return {"anonymous": anonymous, "member": member}


def admin_urls(request_user_client) -> list[str]:
    """Every registered model's list, add and first change page, and our own admin pages."""
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        urls.append(reverse(f"{prefix}_changelist"))
        urls.append(reverse(f"{prefix}_add"))
        first = model_admin.get_queryset(_request_for(request_user_client)).order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"{prefix}_change", args=[first.pk]))
            urls.append(reverse(f"{prefix}_history", args=[first.pk]))
    return urls


def _request_for(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def custom_admin_urls(world) -> list[str]:
    return [
        reverse("coordinator-dashboard"),
        reverse("admin:reviews_ranking") + f"?round={world['round'].pk}",
        reverse("admin:reviews_reviewer_statistics") + f"?round={world['round'].pk}",
        reverse("admin:two-factor"),
        reverse("admin:incubator_serviceprovider_secrets"),
        reverse(
            "admin:notifications_emailtemplate_edit", args=["application_submitted", "zh-hant"]
        ),
        reverse("admin:reviews_revieweraccount_password", args=[world["reviewer"].pk]),
    ]


def programme_texts() -> tuple[str, ...]:
    """The programme's own name and organisers: data the migrations wrote, in English."""
    return tuple(
        text
        for programme in Programme.objects.all()
        for text in (programme.name, programme.organisers, programme.description)
        if text
    )


def problems_on(client, urls, role: str) -> list[str]:
    data = programme_texts()
    found = []
    for url in dict.fromkeys(urls):
        for language in LANGUAGES:
            client.cookies["django_language"] = language
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code < 500, f"{role} {url}: {response.status_code}"
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            for run in english_runs(response.content.decode(), data):
                found.append(f"{role} {language} {url}: {run!r}")
    return found


def test_no_english_on_any_page_in_chinese(client, world):
    found = []
    urls = portal_urls(world)
    found += problems_on(client, urls["anonymous"], "anonymous")
    client.force_login(world["founder"])
    found += problems_on(client, urls["member"], "member")
    client.logout()
    for role in ("reviewer", "coordinator"):
        user = world[role]
        force_login_verified(client, user)
        pages = admin_urls(user)
        if role != "reviewer":
            pages += custom_admin_urls(world)
        found += problems_on(client, pages, role)
        client.logout()

    assert found == []


def test_no_english_every_field_label_is_translatable():
    # One English word (a link field named "round" labels itself "round") is below the page
    # gate's two-word run; every field and model of ours names itself through gettext_lazy.
    ours = MODEL_APPS
    untranslated = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label in ours
        for field in model._meta.get_fields()
        if field.concrete and field.name != "id" and not isinstance(field.verbose_name, Promise)
    ] + [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in ours and not isinstance(model._meta.verbose_name, Promise)
    ]

    assert untranslated == []


def test_no_english_gate_sees_an_untranslated_run():
    html = "<p>提交</p><script>var x = 'not visible';</script><input value='Not read'>Submit review"

    assert english_runs(html) == ["Submit review"]


def test_no_english_gate_ignores_fixture_data():
    assert english_runs("<td>Harbour Ledger Labs</td><td>Cross Border Ledger</td>") == []
