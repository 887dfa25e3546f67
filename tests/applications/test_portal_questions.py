"""The portal's form and page with the round's own questions (issue 14)."""

import pytest

from applications.models import Application
from incubator.models import Question
from incubator.services import update_round
from tests.applications.test_answers import GOOD, ask

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, founder):
    client.force_login(founder)
    return client


def form_data(**answers):
    data = {"project_name": "Trade ledger", "needs": ["fund"]}
    for key, value in answers.items():
        data[f"answer_{key}"] = value
    return data


PORTAL_GOOD = {
    "pilot": "Bank of Macau",
    "plan": "Line one\r\nline two",
    "staff": "12.5",
    "chain": "fisco-bcos",
    "licences": ["sfc-1", "vasp"],
    "token": "false",
    "site": "https://ledger.example/",
    "launch": "2027-03-01",
}


def test_form_shows_each_kind_with_its_widget_in_traditional_chinese(logged_in, draft):
    ask(draft.round)
    response = logged_in.get(f"/applications/{draft.pk}/edit/", HTTP_ACCEPT_LANGUAGE="zh-hant")
    html = response.text
    assert response.status_code == 200
    assert "問題 chain" in html
    assert 'name="answer_pilot" maxlength="20"' in html
    assert '<textarea name="answer_plan"' in html
    assert 'type="number" name="answer_staff"' in html
    assert 'min="1"' in html
    assert 'max="500.5"' in html
    assert '<select name="answer_chain"' in html
    assert "以太坊" in html  # the choice's label in the reader's language
    assert 'type="checkbox" name="answer_licences" value="vasp"' in html
    assert '<select name="answer_token"' in html
    assert 'type="url" name="answer_site"' in html
    assert 'type="date" name="answer_launch"' in html


def test_save_draft_stores_answers_and_page_shows_them(logged_in, draft):
    ask(draft.round)
    response = logged_in.post(f"/applications/{draft.pk}/edit/", form_data(**PORTAL_GOOD))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.answers == {
        **GOOD,
        "plan": "Line one\r\nline two",
        "staff": 12.5,
        "licences": ["sfc-1", "vasp"],
    }
    page = logged_in.get(f"/applications/{draft.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hant").text
    assert '<dd data-answer="chain">FISCO BCOS</dd>' in page
    assert '<dd data-answer="token">否</dd>' in page
    assert '<dd data-answer="licences">SFC Type 1, VASP</dd>' in page
    # And the form shows them again.
    form = logged_in.get(f"/applications/{draft.pk}/edit/").text
    assert 'value="Bank of Macau"' in form
    assert '<option value="fisco-bcos" selected>' in form
    assert 'value="vasp" id="id_answer_licences_2" checked' in form


def test_bad_answer_shown_next_to_its_field_and_typed_values_kept(logged_in, draft):
    ask(draft.round)
    data = form_data(**{**PORTAL_GOOD, "staff": "999", "site": "ftp://x.example/"})
    response = logged_in.post(f"/applications/{draft.pk}/edit/", data)
    assert response.status_code == 200
    html = response.text
    assert 'id="id_answer_staff_errors"' in html
    assert "Enter a number of at most 500.5." in html
    assert 'value="999"' in html
    assert 'value="Bank of Macau"' in html
    assert Application.objects.get(pk=draft.pk).answers == {}


def test_autosave_keeps_answers(logged_in, draft):
    ask(draft.round)
    response = logged_in.post(
        f"/applications/{draft.pk}/autosave/", form_data(pilot="Bank", token="true")
    )
    assert response.status_code == 200, response.json()
    draft.refresh_from_db()
    assert draft.answers == {"pilot": "Bank", "token": True}
    bad = logged_in.post(f"/applications/{draft.pk}/autosave/", form_data(chain="solana"))
    assert bad.status_code == 400
    assert "answer_chain" in bad.json()["errors"]


def test_autosave_new_draft_with_answers(logged_in, open_round):
    ask(open_round)
    data = {**form_data(pilot="Bank"), "round": open_round.pk}
    response = logged_in.post("/applications/new/autosave/", data)
    assert response.status_code == 200, response.content
    assert Application.objects.get().answers == {"pilot": "Bank"}


def test_draft_page_tells_owners_which_answers_were_dropped(logged_in, draft, coordinator_user):
    ask(draft.round)
    logged_in.post(f"/applications/{draft.pk}/edit/", form_data(**PORTAL_GOOD))
    kept = [
        q.definition()
        for q in Question.objects.filter(round=draft.round).order_by("order")
        if q.key != "pilot"
    ]
    update_round(actor=coordinator_user, round=draft.round, questions=kept)
    page = logged_in.get(f"/applications/{draft.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hant").text
    assert "data-dropped-answers" in page
    assert "問題 pilot" in page


def test_missing_required_answers_listed_on_draft_page(logged_in, draft):
    ask(draft.round)
    page = logged_in.get(f"/applications/{draft.pk}/").text
    assert "an answer to “Chain” (answers.chain)" in page
