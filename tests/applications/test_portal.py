"""The applicant portal's pages: each step, each refusal shown next to its field, translations."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, Attachment, Startup, StatusChange
from applications.services import (
    decide_application,
    submit_application,
    transition_application,
)
from tests.applications.conftest import html_bytes, pdf_bytes
from tests.factories import (
    ApplicationFactory,
    AttachmentFactory,
    CoordinatorFactory,
    RoundFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, founder):
    client.force_login(founder)
    return client


def test_home_anonymous_lists_open_rounds(client, open_round):
    response = client.get("/")
    assert response.status_code == 200
    assert "2026 Autumn intake" in response.text
    assert 'href="/signup/"' in response.text


def test_signup_creates_user_and_startup_in_active_language(client):
    response = client.post(
        "/signup/",
        {
            "username": "mei",
            "email": "mei@ledger.example",
            "password1": "Pearl-River-2026",
            "password2": "Pearl-River-2026",
            "startup_name": "珠江账本科技",
            "region": "guangzhou",
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    startup = Startup.objects.get()
    assert (startup.name, startup.language, startup.contact_email) == (
        "珠江账本科技",
        "zh-hans",
        "mei@ledger.example",
    )


def test_signup_startup_name_with_a_control_character_is_a_form_error(client):
    response = client.post(
        "/signup/",
        {
            "username": "mei",
            "email": "mei@ledger.example",
            "password1": "Pearl-River-2026",
            "password2": "Pearl-River-2026",
            "startup_name": "Ledger\u0097",
            "region": "guangzhou",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "startup_name": ["Use a single line of text without control characters (found U+0097)."]
    }
    assert Startup.objects.count() == 0


def test_edit_summary_keeps_line_breaks_but_refuses_other_controls(logged_in, draft):
    bad = logged_in.post(
        f"/applications/{draft.pk}/edit/", {"project_name": "X", "summary": "One\r\nTwo\x07"}
    )
    good = logged_in.post(
        f"/applications/{draft.pk}/edit/", {"project_name": "X", "summary": "One\r\nTwo\tthree"}
    )

    assert bad.status_code == 200
    assert bad.context["form"].errors == {
        "summary": [
            "Control characters such as U+0007 are not allowed; only line breaks and tabs are."
        ]
    }
    assert good.status_code == 302
    draft.refresh_from_db()
    assert draft.summary == "One\r\nTwo\tthree"


def test_signup_errors_next_to_fields(client):
    response = client.post(
        "/signup/",
        {
            "username": "bad name",
            "email": "x",
            "password1": "123",
            "password2": "1234",
            "startup_name": "",
            "region": "tokyo",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"username", "email", "password2", "startup_name", "region"}
    assert 'id="id_email_errors"' in response.text
    assert 'aria-describedby="id_email_errors"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert Startup.objects.count() == 0


def test_signup_weak_password_reported_on_password_field(client):
    response = client.post(
        "/signup/",
        {
            "username": "mei",
            "email": "mei@ledger.example",
            "password1": "password",
            "password2": "password",
            "startup_name": "Ledger",
            "region": "macau",
        },
    )
    assert "This password is too common." in response.context["form"].errors["password1"]


def test_dashboard_requires_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/dashboard/"


def test_dashboard_shows_status_and_history(logged_in, draft, founder):
    AttachmentFactory(application=draft)

    submit_application(actor=founder, application=draft)
    response = logged_in.get("/dashboard/")
    assert 'data-status="submitted">Submitted<' in response.text
    assert "Trade ledger" in response.text


def test_dashboard_query_count_does_not_grow(logged_in, startup, django_assert_max_num_queries):

    ApplicationFactory(startup=startup)
    with CaptureQueriesContext(connection) as one:
        logged_in.get("/dashboard/")
    for _ in range(10):
        ApplicationFactory(startup=startup)
    with django_assert_max_num_queries(len(one.captured_queries)):
        logged_in.get("/dashboard/")


def test_create_draft_with_needs_checkboxes(logged_in, open_round):
    response = logged_in.post(
        f"/applications/new/?round={open_round.pk}",
        {
            "round": open_round.pk,
            "project_name": "Harbour pass",
            "track": "tourism",
            "stage": "idea",
            "needs": ["training", "testing"],
        },
    )
    application = Application.objects.get()
    assert response["Location"] == f"/applications/{application.pk}/"
    assert application.needs == ["training", "testing"]


@pytest.mark.parametrize("value", ["abc", "", "1.5", "-", "99999999999999999999999"])
def test_create_draft_page_with_a_round_that_is_not_one_answers_404(logged_in, value):
    assert logged_in.get(f"/applications/new/?round={value}").status_code == 404
    assert logged_in.post("/applications/new/", {"round": value}).status_code == 404


def test_create_second_in_round_error_on_form(logged_in, draft, open_round):
    response = logged_in.post(
        f"/applications/new/?round={open_round.pk}",
        {"round": open_round.pk, "project_name": "Again"},
    )
    assert response.status_code == 200
    assert "One application per start-up per round" in response.text
    assert Application.objects.count() == 1


def test_edit_bad_amount_error_next_to_field(logged_in, draft):
    response = logged_in.post(
        f"/applications/{draft.pk}/edit/", {"project_name": "X", "funding_amount": "-3"}
    )
    assert response.status_code == 200
    assert "funding_amount" in response.context["form"].errors
    draft.refresh_from_db()
    assert draft.project_name == "Trade ledger"


def test_other_startups_application_is_404(client, other_founder, draft):
    client.force_login(other_founder)
    for suffix in ("", "edit/", "files/", "submit/", "withdraw/", "delete/"):
        assert client.get(f"/applications/{draft.pk}/{suffix}").status_code == 404


def test_upload_html_renamed_pdf_refused_on_form(logged_in, draft):
    response = logged_in.post(
        f"/applications/{draft.pk}/files/",
        {"kind": "pitch_deck", "file": SimpleUploadedFile("deck.pdf", html_bytes())},
    )
    assert response.status_code == 200
    assert "not an accepted type" in response.context["form"].errors["file"][0]
    assert Attachment.objects.count() == 0


def test_upload_pdf_then_submit_confirmation(logged_in, draft):
    logged_in.post(
        f"/applications/{draft.pk}/files/",
        {"kind": "pitch_deck", "file": SimpleUploadedFile("deck.pdf", pdf_bytes())},
    )
    page = logged_in.get(f"/applications/{draft.pk}/submit/")
    assert page.context["missing"] == []
    assert "Submit now" in page.text
    response = logged_in.post(f"/applications/{draft.pk}/submit/")
    assert response["Location"] == "/dashboard/"
    draft.refresh_from_db()
    assert draft.status == "submitted"


def test_submit_confirmation_lists_missing_and_refuses(logged_in, draft):
    page = logged_in.get(f"/applications/{draft.pk}/submit/")
    assert [str(m) for m in page.context["missing"]] == ["a pitch deck (PDF or PPTX)"]
    response = logged_in.post(f"/applications/{draft.pk}/submit/")
    assert response.status_code == 200
    # The missing items are listed once (not also in the refusal's own sentence).
    assert response.text.count("a pitch deck (PDF or PPTX)") == 1
    assert "Your application cannot be submitted yet. Still missing:" in response.text
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_withdraw_submitted(logged_in, startup, open_round):
    application = ApplicationFactory(startup=startup, round=open_round, status="submitted")
    response = logged_in.post(f"/applications/{application.pk}/withdraw/", {"note": "Merged"})
    assert response["Location"] == "/dashboard/"
    assert StatusChange.objects.get().to_status == "withdrawn"


def test_withdraw_after_decision_refused(logged_in, startup, open_round):
    application = ApplicationFactory(startup=startup, round=open_round, status="shortlisted")
    response = logged_in.post(f"/applications/{application.pk}/withdraw/", {"note": ""})
    assert response.status_code == 200
    assert "can no longer be withdrawn" in response.text
    application.refresh_from_db()
    assert application.status == "shortlisted"


def test_delete_draft(logged_in, draft):
    assert logged_in.post(f"/applications/{draft.pk}/delete/")["Location"] == "/dashboard/"
    assert Application.objects.count() == 0


def test_profile_update_and_bad_url(logged_in, startup):
    data = {
        "name": "Pearl River Ledger",
        "region": "shenzhen",
        "website": "https://prl.example",
        "contact_email": startup.contact_email,
        "team_size": "9",
    }
    assert logged_in.post("/startup/", data)["Location"] == "/startup/"
    startup.refresh_from_db()
    assert (startup.region, startup.team_size) == ("shenzhen", 9)
    response = logged_in.post("/startup/", {**data, "website": "not a url"})
    assert "website" in response.context["form"].errors
    # The language of its e-mails is part of the profile (DESIGN.md §11).
    assert logged_in.post("/startup/", {**data, "language": "zh-hant"}).status_code == 302
    startup.refresh_from_db()
    assert startup.language == "zh-hant"


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("zh-hans", ["我的申请", "草稿", "金融", "广州", "路演材料：PDF 或 PPTX。"]),
        ("zh-hant", ["我的申請", "草稿", "金融", "廣州", "路演材料：PDF 或 PPTX。"]),
    ],
)
def test_portal_translated(client, founder, draft, language, texts):
    client.force_login(founder)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    response = client.get(f"/applications/{draft.pk}/")
    assert response.status_code == 200
    dashboard = client.get("/dashboard/").text
    profile = client.get("/startup/").text
    upload = client.get(f"/applications/{draft.pk}/files/").text
    for text in texts:
        assert text in response.text + dashboard + profile + upload


def test_validation_messages_translated(client, founder, draft):
    client.force_login(founder)
    client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    response = client.post(f"/applications/{draft.pk}/submit/")
    assert "你的申請尚不能提交。仍然缺少：" in response.text
    assert response.text.count("路演材料（PDF 或 PPTX）") == 1


def test_login_logout_and_password_reset(client, founder):
    founder.email = "founder@ledger.example"
    founder.save()
    response = client.post("/login/", {"username": "founder", "password": "pw"})
    assert response["Location"] == "/dashboard/"
    assert client.post("/logout/")["Location"] == "/"
    response = client.post("/password-reset/", {"email": "founder@ledger.example"})
    assert response["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 1
    assert "/password-reset/" in mail.outbox[0].body
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-reset/" in line)
    confirm = client.get(link.replace("http://testserver", ""), follow=True)
    assert confirm.context["validlink"] is True
    done = client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": "New-Harbour-2027", "new_password2": "New-Harbour-2027"},
    )
    assert done["Location"] == "/password-reset/done/"
    assert client.login(username="founder", password="New-Harbour-2027")


def test_coordinator_dashboard_explains_no_startup(client, coordinator_user):
    client.force_login(coordinator_user)
    response = client.get("/dashboard/")
    assert "does not belong to a start-up" in response.text


def test_round_in_the_future_not_offered(logged_in):

    RoundFactory(
        name="Next year",
        opens_at=timezone.now() + timedelta(days=100),
        closes_at=timezone.now() + timedelta(days=130),
    )
    assert "Next year" not in logged_in.get("/dashboard/").text


def test_attachment_download_url_name_reverses():
    assert reverse("attachment-download", kwargs={"pk": 7}) == "/files/7/"


def test_application_page_shows_the_message_to_the_applicant_never_internal_notes(
    logged_in, startup, open_round
):
    application = ApplicationFactory(startup=startup, round=open_round, status="under_review")
    transition_application(
        application=application,
        to_status="shortlisted",
        actor=None,
        system_note="shortlist_published",
        system_note_params={"shortlist": "Finance top 10"},
    )
    decide_application(
        application=application,
        status="accepted",
        actor=CoordinatorFactory(),
        note="Reviewer 2 scored the team 2/10.",
        message_to_applicant="Welcome aboard!\nOur team will call you.",
    )

    page = logged_in.get(f"/applications/{application.pk}/").text

    assert "Welcome aboard!<br>Our team will call you." in page
    assert "Reviewer 2" not in page
    assert "Finance top 10" not in page
