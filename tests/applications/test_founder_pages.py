"""The founder's pages: progress, time left, autosave, withdrawing and deleting, labels, the
home page's rounds and the favicon."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone, translation

from applications.models import Application
from applications.services import SubmissionIncomplete, submit_application
from tests.factories import ApplicationFactory, AttachmentFactory, RoundFactory

pytestmark = pytest.mark.django_db

COMPLETE = {
    "track": "finance",
    "stage": "pilot",
    "summary": "Letters of credit settled on a permissioned ledger.",
    "funding_amount": Decimal("800000"),
    "funding_currency": "HKD",
    "needs_fund": True,
}


@pytest.fixture
def logged_in(client, founder):
    client.force_login(founder)
    return client


EMPTY = {
    "track": "",
    "stage": "",
    "summary": "",
    "funding_amount": None,
    "funding_currency": "",
    "needs_fund": False,
    "share_fund": False,  # consent is only ever among the needs (a check constraint)
}


def steps(html: str) -> list[tuple[str, str]]:
    return re.findall(r'data-step="(\w+)" data-done="(\w+)"', html)


def test_progress_draft_with_nothing_done_shows_four_open_steps(logged_in, draft):
    Application.objects.filter(pk=draft.pk).update(**EMPTY)
    response = logged_in.get(f"/applications/{draft.pk}/")
    assert steps(response.text) == [
        ("profile", "false"),
        ("application", "false"),
        ("pitch_deck", "false"),
        ("submitted", "false"),
    ]
    # Each open step leads to where it is done.
    assert f'href="/applications/{draft.pk}/files/">Pitch deck</a>' in response.text
    assert 'href="/startup/">Start-up profile</a>' in response.text


def test_progress_complete_draft_leaves_only_submitting(logged_in, startup, draft):
    startup.description = "We settle trade finance on a ledger."
    startup.save(update_fields=["description"])
    Application.objects.filter(pk=draft.pk).update(**COMPLETE)
    AttachmentFactory(application=draft)
    expected = [
        ("profile", "true"),
        ("application", "true"),
        ("pitch_deck", "true"),
        ("submitted", "false"),
    ]
    assert steps(logged_in.get(f"/applications/{draft.pk}/").text) == expected
    assert steps(logged_in.get("/dashboard/").text) == expected
    assert steps(logged_in.get(f"/applications/{draft.pk}/edit/").text) == expected
    assert steps(logged_in.get(f"/applications/{draft.pk}/submit/").text) == expected


def test_progress_submitted_application_is_done_on_dashboard(logged_in, startup, open_round):
    ApplicationFactory(startup=startup, round=open_round, status="submitted")
    assert steps(logged_in.get("/dashboard/").text) == [
        ("profile", "false"),
        ("application", "true"),
        ("pitch_deck", "true"),
        ("submitted", "true"),
    ]


def test_time_left_until_round_closes_on_application_and_dashboard(logged_in, startup):
    closes = timezone.now() + timedelta(days=3, hours=2, minutes=30)
    round_ = RoundFactory(closes_at=closes)
    draft = ApplicationFactory(startup=startup, round=round_)
    text = "3\xa0days, 2\xa0hours left until the round closes"
    assert logged_in.get(f"/applications/{draft.pk}/").text.count(text) == 1
    assert logged_in.get("/dashboard/").text.count(text) == 1
    assert logged_in.get(f"/applications/{draft.pk}/edit/").text.count(text) == 1


def test_time_left_in_traditional_chinese(logged_in, startup):
    round_ = RoundFactory(closes_at=timezone.now() + timedelta(days=3, hours=2, minutes=30))
    draft = ApplicationFactory(startup=startup, round=round_)
    logged_in.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    page = logged_in.get(f"/applications/{draft.pk}/").text
    assert "距離本輪截止還有 3\xa0日, 2\xa0小時（" in page
    assert "申請表格" in page  # the progress step "Application form"


def test_time_left_closed_round_says_so(logged_in, startup):
    round_ = RoundFactory(
        opens_at=timezone.now() - timedelta(days=30), closes_at=timezone.now() - timedelta(days=1)
    )
    draft = ApplicationFactory(startup=startup, round=round_)
    page = logged_in.get(f"/applications/{draft.pk}/").text
    assert "The round is closed for applications." in page
    assert "left until the round closes" not in page


def test_autosave_saves_draft_and_answers_saved(logged_in, draft):
    response = logged_in.post(
        f"/applications/{draft.pk}/autosave/",
        {"project_name": "Trade ledger 2", "summary": "Typed so far", "needs": ["fund"]},
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["saved"] is True
    assert answer["message"].startswith("Saved at ")
    assert answer["autosave_url"] == f"/applications/{draft.pk}/autosave/"
    draft.refresh_from_db()
    assert (draft.project_name, draft.summary, draft.needs) == (
        "Trade ledger 2",
        "Typed so far",
        ["fund"],
    )


def test_autosave_invalid_field_answers_400_naming_it(logged_in, draft):
    response = logged_in.post(
        f"/applications/{draft.pk}/autosave/", {"project_name": "", "funding_amount": "-5"}
    )
    assert response.status_code == 400
    answer = response.json()
    assert answer["saved"] is False
    assert sorted(answer["errors"]) == ["funding_amount", "project_name"]
    draft.refresh_from_db()
    assert draft.project_name == "Trade ledger"


def test_autosave_refuses_others_anonymous_get_and_non_drafts(
    client, logged_in, other_founder, startup, draft, open_round
):
    assert logged_in.get(f"/applications/{draft.pk}/autosave/").status_code == 405
    rival_draft = ApplicationFactory(startup=other_founder.startups.get(), round=open_round)
    assert (
        logged_in.post(f"/applications/{rival_draft.pk}/autosave/", {"project_name": "X"})
    ).status_code == 404
    submitted = ApplicationFactory(startup=startup, status="submitted")
    refused = logged_in.post(f"/applications/{submitted.pk}/autosave/", {"project_name": "X"})
    assert refused.status_code == 409
    assert refused.json()["saved"] is False
    logged_in.logout()
    anonymous = client.post(f"/applications/{draft.pk}/autosave/", {"project_name": "X"})
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"]["__all__"][0]["message"] == "Log in again to save."


def test_autosave_new_creates_the_draft_once(logged_in, startup, open_round):
    response = logged_in.post(
        "/applications/new/autosave/", {"round": open_round.pk, "project_name": "Harbour pass"}
    )
    assert response.status_code == 200
    application = Application.objects.get()
    assert response.json()["edit_url"] == f"/applications/{application.pk}/edit/"
    assert response.json()["autosave_url"] == f"/applications/{application.pk}/autosave/"
    again = logged_in.post(
        "/applications/new/autosave/", {"round": open_round.pk, "project_name": "Harbour pass"}
    )
    assert again.status_code in {400, 409}
    assert again.json()["saved"] is False
    assert Application.objects.count() == 1
    missing_round = logged_in.post("/applications/new/autosave/", {"project_name": "X"})
    assert missing_round.status_code == 404


def test_application_form_has_autosave_script_and_no_optional_labels(logged_in, open_round):
    page = logged_in.get(f"/applications/new/?round={open_round.pk}").text
    assert 'data-autosave-url="/applications/new/autosave/"' in page
    assert '<script src="/static/applications/draft-autosave.js" nonce="' in page
    assert "(optional)" not in page
    assert finders.find("applications/draft-autosave.js") is not None


def test_withdraw_page_says_optional_once_and_button_is_danger(logged_in, startup, open_round):
    application = ApplicationFactory(startup=startup, round=open_round, status="submitted")
    page = logged_in.get(f"/applications/{application.pk}/withdraw/").text
    assert page.count("(optional)") == 1
    assert '<button type="submit" class="button button-danger">Withdraw</button>' in page
    detail = logged_in.get(f"/applications/{application.pk}/").text
    assert f'href="/applications/{application.pk}/withdraw/"' in detail
    assert "Delete draft" not in detail


def test_draft_offers_delete_not_withdraw(logged_in, draft):
    detail = logged_in.get(f"/applications/{draft.pk}/").text
    assert f'href="/applications/{draft.pk}/delete/">Delete draft</a>' in detail
    assert "/withdraw/" not in detail
    assert "Withdraw application" not in detail
    response = logged_in.get(f"/applications/{draft.pk}/withdraw/")
    assert response["Location"] == f"/applications/{draft.pk}/delete/"
    logged_in.post(f"/applications/{draft.pk}/withdraw/", {"note": "x"})
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_forced_submit_lists_each_missing_item_once(logged_in, draft):
    Application.objects.filter(pk=draft.pk).update(**EMPTY)
    response = logged_in.post(f"/applications/{draft.pk}/submit/")
    assert response.status_code == 200
    for item in ["the track", "a summary", "the funding currency", "a pitch deck (PDF or PPTX)"]:
        assert response.text.count(f"<li>{item}</li>") == 1, item
    assert "Missing:" not in response.text


def test_submit_refusal_message_is_translated(founder, draft):
    with translation.override("zh-hant"), pytest.raises(SubmissionIncomplete) as refused:
        submit_application(actor=founder, application=draft)
    assert "路演材料（PDF 或 PPTX）" in refused.value.message


def test_home_open_round_card_has_apply_button(client, open_round):
    page = client.get("/").text
    card = page[page.index("<article") : page.index("</article>")]
    assert '<a class="button" href="/signup/">Apply</a>' in card
    assert f"next=/applications/new/%3Fround%3D{open_round.pk}" in card


def test_dashboard_open_round_card_has_apply_button(logged_in, open_round):
    page = logged_in.get("/dashboard/").text
    assert f'href="/applications/new/?round={open_round.pk}">Apply</a>' in page


def test_every_page_links_the_favicon(client):
    page = client.get("/").text
    assert '<link rel="icon" href="/static/incubator/favicon.svg" type="image/svg+xml">' in page
    assert finders.find("incubator/favicon.svg") is not None
