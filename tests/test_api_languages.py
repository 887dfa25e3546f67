"""The third translation gate: the API answers a client in the language it asks for.

An API client chooses its language with Accept-Language. Error answers of every kind our code
writes, across the apps, are requested in zh-hans and zh-hant: a permission class's 403, a
view's 403 and 404, field errors (400) from serializers, views and services, workflow conflicts
(409), the 404 of a lookup and of an unknown path, and a JSON body that does not parse. No
message in the answer (the values, not the field names) may hold a run of two or more English
words (ENGLISH_RUN, as on the pages). Without Accept-Language each answer is the English one,
word for word. A failure names the request, the language and the English text; the fix is to
mark the message for translation and translate it (docs/glossary.md).
"""

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from applications.enums import ApplicationStatus
from incubator.models import Criterion
from tests.factories import (
    ApplicationFactory,
    PartnerFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
    ShortlistEntryFactory,
    ShortlistFactory,
    StartupFactory,
    UserFactory,
)
from tests.test_no_english import ENGLISH_RUN, LANGUAGES

pytestmark = pytest.mark.django_db

MISSING = 999999


@dataclass(frozen=True)
class Call:
    """One request and the answer it gets in English."""

    name: str
    user: Any
    method: str
    path: str
    status: int
    english: dict
    data: Any = field(default=None)
    raw: str | None = None  # a body sent as it is (not JSON-encoded)


def send(call: Call, language: str | None):
    client = APIClient()
    if call.user is not None:
        client.force_authenticate(call.user)
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    if call.raw is not None:
        return client.generic(
            call.method.upper(), call.path, call.raw, content_type="application/json", **headers
        )
    return getattr(client, call.method)(call.path, call.data, format="json", **headers)


def messages(body: Any) -> list[str]:
    """The texts a person reads in an answer: every string value, at any depth (keys are
    field names, not text)."""
    if isinstance(body, dict):
        return [text for value in body.values() for text in messages(value)]
    if isinstance(body, list):
        return [text for value in body for text in messages(value)]
    return [body] if isinstance(body, str) else []


def english_runs(body: Any) -> list[str]:
    return sorted({run for text in messages(body) for run in ENGLISH_RUN.findall(text)})


@pytest.fixture
def world(coordinator, settings):
    """One of each thing the calls need. Names are single words: a name is data, not text."""
    settings.AUDIT_SIGNING_KEY = ""
    round_ = RoundFactory(name="Spring")
    team = Criterion.objects.create(round=round_, name="Team", weight=2, max_score=10, order=1)
    market = Criterion.objects.create(round=round_, name="Market", weight=1, max_score=5, order=2)
    founder = UserFactory(username="founder")
    startup = StartupFactory(name="Acme", members=[founder])
    application = ApplicationFactory(
        round=round_,
        startup=startup,
        project_name="Ledger",
        status=ApplicationStatus.UNDER_REVIEW,
        submitted_at=timezone.now(),
    )
    reviewer = ReviewerFactory(username="alice")
    review = ReviewFactory(
        assignment__application=application,
        assignment__reviewer=reviewer,
    )
    draft_application = ApplicationFactory(round=round_, project_name="Sketch")
    elsewhere = ApplicationFactory(
        round=RoundFactory(name="Autumn"), status=ApplicationStatus.UNDER_REVIEW
    )
    draft_list = ShortlistFactory(round=round_, name="Longlist")
    ShortlistEntryFactory(
        shortlist=draft_list,
        application=ApplicationFactory(
            round=round_,
            startup=StartupFactory(name="Gone"),
            project_name="Bridge",
            status=ApplicationStatus.WITHDRAWN,
        ),
    )
    published = ShortlistFactory(round=round_, name="Finalists", published_at=timezone.now())
    return {
        "round": round_,
        "criteria": (team, market),
        "founder": founder,
        "startup": startup,
        "application": application,
        "reviewer": reviewer,
        "review": review,
        "outsider": ReviewerFactory(username="bob"),
        "coordinator": coordinator,
        "partner": PartnerFactory(username="fiona"),
        "draft_application": draft_application,
        "elsewhere": elsewhere,
        "draft_list": draft_list,
        "published": published,
    }


def calls(world) -> list[Call]:
    """A representative set of error answers, at least one of each kind, across the apps."""
    w = world
    team, market = w["criteria"]
    review, application, startup = w["review"], w["application"], w["startup"]
    reviewer, outsider, coordinator = w["reviewer"], w["outsider"], w["coordinator"]
    draft_list, published = w["draft_list"], w["published"]
    published_on = f"{timezone.localtime(published.published_at):%Y-%m-%d}"
    return [
        # --- 403: permission classes' messages and views' refusals
        Call(
            "reviews: a start-up member lists assignments",
            w["founder"],
            "get",
            "/api/v1/assignments/",
            403,
            {"detail": "Only reviewers and coordinators work on reviews."},
        ),
        Call(
            "incubator: a reviewer assigns reviewers",
            reviewer,
            "post",
            f"/api/v1/rounds/{w['round'].pk}/assign/",
            403,
            {"detail": "Only coordinators may do this."},
        ),
        Call(
            "partners: a start-up member reads a partner's page",
            w["founder"],
            "get",
            "/api/v1/partner/me/",
            403,
            {"detail": "Only partner users of a service provider may do this."},
        ),
        Call(
            "reviews: a coordinator writes a review",
            coordinator,
            "put",
            f"/api/v1/reviews/{review.pk}/",
            403,
            {"detail": "Coordinators read reviews; only the assigned reviewer writes one."},
            data={},
        ),
        Call(
            "reviews: a reviewer reads the discussion before submitting",
            reviewer,
            "get",
            f"/api/v1/applications/{application.pk}/comments/",
            403,
            {"detail": "Submit your own review first: the discussion opens to you after that."},
        ),
        Call(
            "reviews: a reviewer declares a conflict for another",
            reviewer,
            "post",
            "/api/v1/conflicts/",
            403,
            {"detail": "A reviewer declares conflicts for themself only."},
            data={"startup": startup.pk, "reason": "x", "reviewer": outsider.pk},
        ),
        # --- 404: our own texts, a lookup's, an unknown path's
        Call(
            "reviews: a review the reviewer may not see",
            outsider,
            "get",
            f"/api/v1/reviews/{review.pk}/",
            404,
            {"detail": "No review with this id is visible to you."},
        ),
        Call(
            "reviews: the discussion of an application outside the panel",
            outsider,
            "get",
            f"/api/v1/applications/{application.pk}/comments/",
            404,
            {"detail": "No application with this id is visible to you."},
        ),
        Call(
            "applications: an application that does not exist",
            coordinator,
            "get",
            f"/api/v1/applications/{MISSING}/",
            404,
            {"detail": "No such application."},
        ),
        Call(
            "applications: a decision on an application that does not exist (a lookup)",
            coordinator,
            "post",
            f"/api/v1/applications/{MISSING}/decision/",
            404,
            {"detail": "No Application matches the given query."},
            data={"status": "accepted"},
        ),
        Call(
            "reviews: the ranking of a round that does not exist (a lookup)",
            coordinator,
            "get",
            f"/api/v1/rounds/{MISSING}/ranking/",
            404,
            {"detail": "No Round matches the given query."},
        ),
        Call(
            "partners: a start-up not in the partner's list",
            w["partner"],
            "get",
            f"/api/v1/partner/startups/{MISSING}/",
            404,
            {"detail": "No such start-up in your list."},
        ),
        Call(
            "notifications: the public key of a site without a signing key",
            None,
            "get",
            "/api/v1/audit/public-key/",
            404,
            {"detail": "The site has no signing key yet (AUDIT_SIGNING_KEY)."},
        ),
        Call(
            "incubator: a path the API does not have",
            coordinator,
            "get",
            "/api/v1/no-such-thing/",
            404,
            {"detail": "Not found."},
        ),
        # --- 400: serializers', views' and services' field errors, and a body that does not parse
        Call(
            "incubator: a JSON body that does not parse",
            reviewer,
            "post",
            "/api/v1/conflicts/",
            400,
            {
                "detail": "JSON parse error - Expecting property name enclosed in double "
                "quotes: line 1 column 2 (char 1)"
            },
            raw="{bad",
        ),
        Call(
            "reviews: a coordinator's conflict without a reviewer",
            coordinator,
            "post",
            "/api/v1/conflicts/",
            400,
            {"reviewer": ["Name the reviewer who has the conflict."]},
            data={"startup": startup.pk, "reason": "x"},
        ),
        Call(
            "reviews: a conflict with a reviewer that does not exist",
            coordinator,
            "post",
            "/api/v1/conflicts/",
            400,
            {"reviewer": [f"No reviewer has id {MISSING}."]},
            data={"startup": startup.pk, "reason": "x", "reviewer": MISSING},
        ),
        Call(
            "reviews: a conflict with a start-up that does not exist",
            coordinator,
            "post",
            "/api/v1/conflicts/",
            400,
            {"startup": [f"No start-up has id {MISSING}."]},
            data={"startup": MISSING, "reason": "x", "reviewer": reviewer.pk},
        ),
        Call(
            "reviews: a criterion scored twice (serializer)",
            reviewer,
            "put",
            f"/api/v1/reviews/{review.pk}/",
            400,
            {"scores": ["Each criterion may appear once."]},
            data={
                "scores": [{"criterion": team.pk, "value": 1}, {"criterion": team.pk, "value": 2}]
            },
        ),
        Call(
            "reviews: scores out of range and of another rubric (service)",
            reviewer,
            "put",
            f"/api/v1/reviews/{review.pk}/",
            400,
            {
                "scores": [
                    "“Market” takes a whole number from 1 to 5; got 6.",
                    f"Criterion {MISSING} is not part of this round's rubric.",
                ]
            },
            data={
                "scores": [
                    {"criterion": market.pk, "value": 6},
                    {"criterion": MISSING, "value": 1},
                ]
            },
        ),
        Call(
            "reviews: submitting with criteria unscored (service)",
            reviewer,
            "post",
            f"/api/v1/reviews/{review.pk}/submit/",
            400,
            {"scores": ["Score every criterion before submitting; missing: “Team”, “Market”."]},
        ),
        Call(
            "reviews: a shortlist without a size or a minimum score (serializer)",
            coordinator,
            "post",
            "/api/v1/shortlists/",
            400,
            {"size": ["Give a size (the top N), a minimum score, or both."]},
            data={"round": w["round"].pk, "name": "Picks"},
        ),
        Call(
            "reviews: a shortlist whose name the round has (service)",
            coordinator,
            "post",
            "/api/v1/shortlists/",
            400,
            {"name": ["This round already has a shortlist of that name."]},
            data={"round": w["round"].pk, "name": draft_list.name, "size": 2},
        ),
        Call(
            "reviews: adding an application that does not exist (view)",
            coordinator,
            "post",
            f"/api/v1/shortlists/{draft_list.pk}/add/",
            400,
            {"application": ["There is no application with this id."]},
            data={"application": MISSING, "reason": "x"},
        ),
        Call(
            "reviews: adding another round's application (service)",
            coordinator,
            "post",
            f"/api/v1/shortlists/{draft_list.pk}/add/",
            400,
            {"application": ["The application belongs to another round than the shortlist."]},
            data={"application": w["elsewhere"].pk, "reason": "x"},
        ),
        Call(
            "reviews: adding a draft (service)",
            coordinator,
            "post",
            f"/api/v1/shortlists/{draft_list.pk}/add/",
            400,
            {"application": ["The application is “Draft” and cannot be shortlisted."]},
            data={"application": w["draft_application"].pk, "reason": "x"},
        ),
        Call(
            "reviews: removing an application the shortlist does not hold (service)",
            coordinator,
            "post",
            f"/api/v1/shortlists/{draft_list.pk}/remove/",
            400,
            {"application": ["The application is not on this shortlist."]},
            data={"application": application.pk, "reason": "x"},
        ),
        # --- 409: workflow rules
        Call(
            "reviews: changing a published shortlist",
            coordinator,
            "post",
            f"/api/v1/shortlists/{published.pk}/add/",
            409,
            {
                "detail": f"“Finalists” was published on {published_on} and can no longer "
                "change; make a new shortlist instead."
            },
            data={"application": application.pk, "reason": "x"},
        ),
        Call(
            "reviews: publishing a shortlist that holds a withdrawn application",
            coordinator,
            "post",
            f"/api/v1/shortlists/{draft_list.pk}/publish/",
            409,
            {
                "detail": "These applications can no longer be shortlisted: Bridge (Gone) "
                "(Withdrawn). Remove them from the shortlist (with a reason) and publish again."
            },
        ),
        Call(
            "notifications: a checkpoint without a signing key",
            coordinator,
            "post",
            "/api/v1/audit/checkpoints/",
            409,
            {"detail": "AUDIT_SIGNING_KEY is not set: checkpoints cannot be signed."},
        ),
    ]


def test_api_languages_errors_hold_no_english_in_chinese(world):
    found = []
    for call in calls(world):
        for language in LANGUAGES:
            response = send(call, language)
            assert response.status_code == call.status, (call.name, language, response.json())
            body = response.json()
            assert messages(body), (call.name, language, body)
            for run in english_runs(body):
                found.append(f"{call.name} ({language}): {run!r} in {body}")

    assert found == []


def test_api_languages_english_is_unchanged_without_accept_language(world):
    expected, answers = {}, {}
    for call in calls(world):
        response = send(call, None)
        expected[call.name] = (call.status, call.english)
        answers[call.name] = (response.status_code, response.json())

    assert answers == expected


def test_api_languages_chinese_answers_differ_by_script(world):
    # Each script has its own text (not one catalogue's text served for both).
    call = next(c for c in calls(world) if c.english == {"detail": "Not found."})

    assert send(call, "zh-hans").json() != send(call, "zh-hant").json()


def test_api_languages_gate_sees_english_in_values_not_keys():
    assert english_runs({"non_field_errors": ["这份申请已提交。"], "detail": "已提交"}) == []
    assert english_runs({"scores": ["“Market” 须为整数", "Score every criterion"]}) == [
        "Score every criterion"
    ]
