"""Uploads decided by their bytes, and downloads only through the visibility check."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Attachment
from tests.applications.conftest import (
    client_for,
    docx_bytes,
    elf_bytes,
    html_bytes,
    pdf_bytes,
    png_bytes,
    pptx_bytes,
)
from tests.factories import ApplicationFactory, AssignmentFactory, ConflictFactory

pytestmark = pytest.mark.django_db


def upload(client, application, name, data, kind="pitch_deck", content_type="application/pdf"):
    return client.post(
        f"/api/v1/applications/{application.pk}/attachments/",
        {"kind": kind, "file": SimpleUploadedFile(name, data, content_type=content_type)},
        format="multipart",
    )


def test_upload_valid_pdf_201(founder, draft):
    response = upload(client_for(founder), draft, "Deck 2026.pdf", pdf_bytes())
    assert response.status_code == 201
    body = response.json()
    attachment = Attachment.objects.get()
    assert body["name"] == "Deck 2026.pdf"
    assert body["kind"] == "pitch_deck"
    assert body["size"] == len(pdf_bytes())
    assert body["sha256"] == hashlib.sha256(pdf_bytes()).hexdigest()
    assert body["content_type"] == "application/pdf"
    assert body["url"] == f"http://testserver/files/{attachment.pk}/"
    assert attachment.file.name.startswith(f"attachments/{draft.pk}/")
    assert attachment.file.name.endswith(".pdf")
    assert "Deck" not in attachment.file.name


def test_upload_valid_pptx_201(founder, draft):
    response = upload(
        client_for(founder), draft, "deck.pptx", pptx_bytes(), content_type="application/zip"
    )
    assert response.status_code == 201
    assert response.json()["content_type"] == (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    )


def test_upload_png_business_licence_201(founder, draft):
    response = upload(
        client_for(founder), draft, "licence.png", png_bytes(), kind="business_licence"
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("deck.pdf", html_bytes(), "pitch_deck"),
        ("deck.pdf", elf_bytes(), "pitch_deck"),
        ("deck.pptx", docx_bytes(), "pitch_deck"),
        ("licence.png", png_bytes(), "pitch_deck"),
        ("other.png", png_bytes(), "other"),
    ],
    ids=["html-renamed-pdf", "elf-renamed-pdf", "docx-renamed-pptx", "png-deck", "png-other"],
)
def test_upload_wrong_content_400(founder, draft, name, data, kind):
    response = upload(client_for(founder), draft, name, data, kind=kind)
    assert response.status_code == 400
    assert "not an accepted type" in response.json()["file"][0]
    assert Attachment.objects.count() == 0


def test_upload_extension_disagrees_400(founder, draft):
    response = upload(client_for(founder), draft, "deck.pptx", pdf_bytes())
    assert response.status_code == 400
    assert response.json()["file"] == [
        "The file name ends in “.pptx” but its content is PDF: rename it to “.pdf”."
    ]
    assert Attachment.objects.count() == 0


def test_upload_over_limit_400(founder, draft, settings):
    # Stopped while the body is read (tests/applications/test_upload_limits.py has the rest).
    settings.MAX_UPLOAD_MB = 1
    data = pdf_bytes() + b"0" * (1024 * 1024)
    response = upload(client_for(founder), draft, "big.pdf", data)
    assert response.status_code == 400
    assert response.json() == {"file": ["The file is larger than the 1 MB allowed."]}
    assert Attachment.objects.count() == 0


def test_upload_empty_400(founder, draft):
    response = upload(client_for(founder), draft, "empty.pdf", b"")
    assert response.status_code == 400
    assert response.json()["file"] == ["The file is empty."]
    assert Attachment.objects.count() == 0


def test_upload_name_with_dotdot_stored_under_generated_name(founder, draft, settings):
    response = upload(client_for(founder), draft, "../../../etc/passwd.pdf", pdf_bytes())
    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.original_name == "passwd.pdf"
    assert ".." not in attachment.file.name
    assert (settings.MEDIA_ROOT / attachment.file.name).is_file()
    assert str((settings.MEDIA_ROOT / attachment.file.name).resolve()).startswith(
        str(settings.MEDIA_ROOT.resolve())
    )


def test_upload_replaces_previous_pitch_deck(
    founder, draft, settings, django_capture_on_commit_callbacks
):
    client = client_for(founder)
    first = upload(client, draft, "v1.pdf", pdf_bytes()).json()
    old_path = settings.MEDIA_ROOT / Attachment.objects.get(pk=first["id"]).file.name
    assert old_path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        second = upload(client, draft, "v2.pptx", pptx_bytes()).json()
    assert list(Attachment.objects.values_list("pk", flat=True)) == [second["id"]]
    assert not old_path.exists()


def test_upload_unknown_kind_400(founder, draft):
    response = upload(client_for(founder), draft, "x.pdf", pdf_bytes(), kind="video")
    assert response.status_code == 400
    assert "kind" in response.json()


def test_upload_missing_file_400(founder, draft):
    response = client_for(founder).post(
        f"/api/v1/applications/{draft.pk}/attachments/", {"kind": "other"}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()


def test_upload_to_submitted_409(founder, startup, open_round):
    application = ApplicationFactory(startup=startup, round=open_round, status="submitted")
    response = upload(client_for(founder), application, "deck.pdf", pdf_bytes())
    assert response.status_code == 409
    assert Attachment.objects.count() == 0


def test_upload_roles(other_founder, assigned_reviewer, coordinator_user, draft):
    assert upload(client_for(), draft, "d.pdf", pdf_bytes()).status_code == 401
    assert upload(client_for(other_founder), draft, "d.pdf", pdf_bytes()).status_code == 404
    assert upload(client_for(assigned_reviewer), draft, "d.pdf", pdf_bytes()).status_code == 403
    assert upload(client_for(coordinator_user), draft, "d.pdf", pdf_bytes()).status_code == 403
    assert Attachment.objects.count() == 0


# --- download -------------------------------------------------------------------------------


@pytest.fixture
def deck(founder, draft):
    upload(client_for(founder), draft, "Our deck.pdf", pdf_bytes())
    return Attachment.objects.get()


def test_download_member_gets_attachment_with_nosniff(client, founder, deck):
    client.force_login(founder)
    response = client.get(reverse("attachment-download", kwargs={"pk": deck.pk}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Our deck.pdf"'


def test_download_anonymous_redirected_to_login(client, deck):
    response = client.get(reverse("attachment-download", kwargs={"pk": deck.pk}))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_download_other_startup_and_unassigned_reviewer_404(client, other_founder, reviewer, deck):
    for user in (other_founder, reviewer):
        client.force_login(user)
        assert client.get(reverse("attachment-download", kwargs={"pk": deck.pk})).status_code == 404


def test_download_assigned_reviewer_and_coordinator_200(client, reviewer, coordinator_user, deck):
    AssignmentFactory(application=deck.application, reviewer=reviewer)
    for user in (reviewer, coordinator_user):
        client.force_login(user)
        assert client.get(reverse("attachment-download", kwargs={"pk": deck.pk})).status_code == 200
    ConflictFactory(reviewer=reviewer, startup=deck.application.startup)
    client.force_login(reviewer)
    assert client.get(reverse("attachment-download", kwargs={"pk": deck.pk})).status_code == 404


def test_media_url_serves_nothing(client, founder, deck):
    client.force_login(founder)
    assert client.get(f"/media/{deck.file.name}").status_code == 404


def test_download_with_api_token(founder, deck):
    response = client_for(founder).get(f"/files/{deck.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()


def test_download_with_bad_token_401(deck):
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    response = client.get(f"/files/{deck.pk}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_download_api_url_from_listing_works(founder, deck):
    client = client_for(founder)
    url = client.get("/api/v1/applications/").json()["results"][0]["attachments"][0]["url"]
    assert client.get(url.replace("http://testserver", "")).status_code == 200
