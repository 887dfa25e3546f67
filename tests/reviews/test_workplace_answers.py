"""The reviewer's workplace shows the answers under the fixed fields (issue 14)."""

import pytest
from django.urls import reverse

from applications.models import Application
from incubator.models import Question
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db


def test_workplace_shows_answers_in_the_readers_language(client, reviewing_round):
    round_ = reviewing_round["round"]
    Question.objects.create(
        round=round_,
        key="chain",
        kind="choice",
        label={"en": "Chain", "zh-hant": "區塊鏈"},
        choices=[{"value": "eth", "label": {"en": "Ethereum", "zh-hant": "以太坊"}}],
        order=0,
    )
    Question.objects.create(round=round_, key="pilot", kind="text", label={"en": "Pilot"}, order=1)
    Question.objects.create(
        round=round_, key="token", kind="boolean", label={"en": "Token"}, order=2
    )
    Application.objects.filter(pk=reviewing_round["application"].pk).update(
        answers={"chain": "eth", "pilot": "<b>Bank</b>", "token": True}
    )
    review = reviewing_round["reviews"][0]
    force_login_verified(client, review.assignment.reviewer)
    url = reverse("admin:reviews_review_change", args=[review.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hant").text
    summary = html.index('class="summary"')
    chain = html.index('<dt data-question="chain">區塊鏈</dt>')
    assert summary < chain
    assert '<dd data-answer="chain" class="summary">以太坊</dd>' in html
    assert '<dd data-answer="pilot" class="summary">&lt;b&gt;Bank&lt;/b&gt;</dd>' in html
    assert '<dd data-answer="token" class="summary">是</dd>' in html
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").text
    assert '<dt data-question="chain">Chain</dt>' in english
    assert '<dd data-answer="chain" class="summary">Ethereum</dd>' in english


def test_openapi_documents_answers_as_an_object_of_answers(client):
    schema = client.get("/api/schema/?format=json").json()
    application = schema["components"]["schemas"]["Application"]["properties"]["answers"]
    assert application["type"] == "object"
    assert application["additionalProperties"]["oneOf"] == [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "array", "items": {"type": "string"}},
    ]
    round_ = schema["components"]["schemas"]["Round"]["properties"]["questions"]
    assert round_["type"] == "array"
