"""A round's questions in the admin: the inline in three languages, the freeze, the preview."""

import pytest
from django.utils import timezone

from applications.enums import ApplicationStatus
from audit.models import AuditEvent
from incubator.models import Question
from tests.factories import ApplicationFactory, CoordinatorFactory, ReviewerFactory, RoundFactory
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db


def change_url(round_) -> str:
    return f"/admin/incubator/round/{round_.pk}/change/"


def round_form(round_, questions, *, initial=0):
    data = {
        "programme": round_.programme_id,
        "name": round_.name,
        "opens_at_0": timezone.localtime(round_.opens_at).strftime("%Y-%m-%d"),
        "opens_at_1": timezone.localtime(round_.opens_at).strftime("%H:%M:%S"),
        "closes_at_0": timezone.localtime(round_.closes_at).strftime("%Y-%m-%d"),
        "closes_at_1": timezone.localtime(round_.closes_at).strftime("%H:%M:%S"),
        "review_deadline_0": timezone.localtime(round_.review_deadline).strftime("%Y-%m-%d"),
        "review_deadline_1": timezone.localtime(round_.review_deadline).strftime("%H:%M:%S"),
        "reviews_per_application": round_.reviews_per_application,
        "panel_rule": round_.panel_rule,
        "criteria-TOTAL_FORMS": 0,
        "criteria-INITIAL_FORMS": 0,
        "questions-TOTAL_FORMS": len(questions),
        "questions-INITIAL_FORMS": initial,
    }
    for index, question in enumerate(questions):
        for name, value in question.items():
            data[f"questions-{index}-{name}"] = value
        data[f"questions-{index}-round"] = round_.pk
    return data


CHAIN = {
    "order": 1,
    "key": "chain",
    "kind": "choice",
    "required": "on",
    "share_with_providers": "on",
    "label_en": "Which chain do you build on?",
    "label_zh_hans": "您基于哪条链开发？",
    "label_zh_hant": "您基於哪條鏈開發？",
    "help_en": "The main one.",
    "choices_text": "ethereum | Ethereum | 以太坊 | 以太坊\nfisco-bcos | FISCO BCOS",
}
TOKEN = {"order": 2, "key": "token", "kind": "boolean", "label_en": "Do you issue a token?"}


@pytest.fixture
def coordinator_client(client):
    force_login_verified(client, CoordinatorFactory())
    return client


def test_inline_adds_questions_in_three_languages_through_the_service(coordinator_client):
    round_ = RoundFactory()
    response = coordinator_client.post(change_url(round_), round_form(round_, [TOKEN, CHAIN]))
    assert response.status_code == 302, response.context["inline_admin_formsets"][1].formset.errors
    chain, token = Question.objects.filter(round=round_).order_by("order")
    assert chain.key == "chain"
    assert token.key == "token"
    assert chain.label == {
        "en": "Which chain do you build on?",
        "zh-hans": "您基于哪条链开发？",
        "zh-hant": "您基於哪條鏈開發？",
    }
    assert chain.help == {"en": "The main one."}
    assert chain.choices == [
        {
            "value": "ethereum",
            "label": {"en": "Ethereum", "zh-hans": "以太坊", "zh-hant": "以太坊"},
        },
        {"value": "fisco-bcos", "label": {"en": "FISCO BCOS"}},
    ]
    assert chain.required
    assert chain.share_with_providers
    assert AuditEvent.objects.get(action="round.changed").data["questions"] == ["chain", "token"]
    page = coordinator_client.get(change_url(round_)).text
    assert 'value="您基於哪條鏈開發？"' in page
    assert "ethereum | Ethereum | 以太坊 | 以太坊" in page


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"label_en": ""}, "label_en"),
        ({"choices_text": ""}, "choices_text"),
        ({"choices_text": "a | A\na | B"}, "choices_text"),
        ({"key": "Not a slug!"}, "key"),
        ({"kind": "number", "choices_text": "", "min_value": "5", "max_value": "1"}, "max_value"),
    ],
)
def test_inline_refuses_a_bad_definition_next_to_its_field(coordinator_client, change, field):
    round_ = RoundFactory()
    response = coordinator_client.post(
        change_url(round_), round_form(round_, [{**CHAIN, **change}])
    )
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][1].formset.errors
    assert field in errors[0], errors
    assert not Question.objects.exists()


def test_inline_read_only_and_message_after_first_submission(coordinator_client):
    round_ = RoundFactory()
    Question.objects.create(round=round_, key="chain", kind="text", label={"en": "Chain"})
    ApplicationFactory(
        round=round_, status=ApplicationStatus.SUBMITTED, submitted_at=timezone.now()
    )
    page = coordinator_client.get(change_url(round_))
    text = page.text
    assert "its questions can no longer change" in text
    assert 'name="questions-0-key"' not in text
    # A forged post changes nothing.
    data = round_form(round_, [{**TOKEN, "id": Question.objects.get().pk}], initial=1)
    coordinator_client.post(change_url(round_), data)
    assert list(Question.objects.values_list("key", flat=True)) == ["chain"]


def test_preview_renders_the_portal_widgets_in_each_language(coordinator_client):
    round_ = RoundFactory()
    coordinator_client.post(change_url(round_), round_form(round_, [TOKEN, CHAIN]))
    page = coordinator_client.get(change_url(round_)).text
    for code in ("en", "zh-hans", "zh-hant"):
        assert f"/admin/incubator/round/{round_.pk}/preview/{code}/" in page
    preview = coordinator_client.get(f"/admin/incubator/round/{round_.pk}/preview/zh-hant/")
    assert preview.status_code == 200
    html = preview.text
    assert "您基於哪條鏈開發？" in html
    assert '<select name="answer_chain"' in html
    assert "disabled" in html
    assert "以太坊" in html
    english = coordinator_client.get(f"/admin/incubator/round/{round_.pk}/preview/en/").text
    assert "Which chain do you build on?" in english
    assert (
        coordinator_client.get(f"/admin/incubator/round/{round_.pk}/preview/fr/").status_code == 404
    )


def test_preview_and_inline_forbidden_to_reviewers(client):
    round_ = RoundFactory()
    force_login_verified(client, ReviewerFactory())
    assert client.get(f"/admin/incubator/round/{round_.pk}/preview/en/").status_code == 403
    assert client.post(change_url(round_), round_form(round_, [CHAIN])).status_code == 403
    assert not Question.objects.exists()


def test_application_admin_shows_answers_with_labels(coordinator_client):
    round_ = RoundFactory()
    Question.objects.create(
        round=round_,
        key="chain",
        kind="choice",
        label={"en": "Chain"},
        choices=[{"value": "eth", "label": {"en": "Ethereum"}}],
    )
    application = ApplicationFactory(round=round_, answers={"chain": "eth"})
    page = coordinator_client.get(f"/admin/applications/application/{application.pk}/change/")
    assert '<dt data-question="chain">Chain</dt><dd data-answer="chain">Ethereum</dd>' in page.text
