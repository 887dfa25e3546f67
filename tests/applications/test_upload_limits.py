"""An upload over MAX_UPLOAD_MB is refused before it is written to disk (incubator/uploads.py).

Every upload here goes to a temporary file (no in-memory handler), through a handler that records
what it was given, so each test can show what reached the disk.
"""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client

from applications.models import Attachment
from tests.applications.conftest import client_for, pdf_bytes

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
TOO_LARGE = {"file": ["The file is larger than the 1 MB allowed."]}


class RecordingTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary-file handler, noting each file it made and the bytes it wrote."""

    records: list[dict] = []

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.record = {"path": self.file.temporary_file_path(), "written": 0}
        self.records.append(self.record)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.record["written"] += len(raw_data)
        super().receive_data_chunk(raw_data, start)


@pytest.fixture(autouse=True)
def to_disk(settings, tmp_path):
    """A 1 MB limit; every upload written to a temporary folder of its own."""
    settings.MAX_UPLOAD_MB = 1
    settings.FILE_UPLOAD_HANDLERS = [f"{__name__}.RecordingTemporaryFileUploadHandler"]
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-tmp")
    (tmp_path / "upload-tmp").mkdir()
    RecordingTemporaryFileUploadHandler.records = []
    return tmp_path / "upload-tmp"


def deck(size: int) -> SimpleUploadedFile:
    data = pdf_bytes()
    return SimpleUploadedFile("deck.pdf", data + b"0" * (size - len(data)), "application/pdf")


def api_upload(user, draft, size: int):
    return client_for(user).post(
        f"/api/v1/applications/{draft.pk}/attachments/",
        {"kind": "pitch_deck", "file": deck(size)},
        format="multipart",
    )


def test_api_upload_declared_larger_than_the_limit_is_400_before_reading(founder, draft, to_disk):
    response = api_upload(founder, draft, 3 * MB)

    assert response.status_code == 400
    assert response.json() == TOO_LARGE
    assert response.wsgi_request._read_started is False  # not a byte of the body was read
    assert RecordingTemporaryFileUploadHandler.records == []
    assert list(to_disk.iterdir()) == []
    assert Attachment.objects.count() == 0


def test_api_upload_past_the_limit_stops_reading_at_the_limit(founder, draft, to_disk):
    # Within the envelope's allowance for the declared length, but over the limit.
    response = api_upload(founder, draft, MB + 20 * 1024)

    assert response.status_code == 400
    assert response.json() == TOO_LARGE
    [record] = RecordingTemporaryFileUploadHandler.records
    assert record["written"] <= MB
    assert not Path(record["path"]).exists()
    assert list(to_disk.iterdir()) == []
    assert Attachment.objects.count() == 0


def test_api_upload_at_the_limit_is_accepted(founder, draft, to_disk):
    response = api_upload(founder, draft, MB)

    assert response.status_code == 201
    assert Attachment.objects.get().size == MB
    assert list(to_disk.iterdir()) == []


def test_api_upload_declared_too_large_by_a_session_is_400_before_the_csrf_check(
    founder, draft, to_disk
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(founder)

    response = client.post(
        f"/api/v1/applications/{draft.pk}/attachments/",
        {"kind": "pitch_deck", "file": deck(3 * MB)},
    )

    assert response.status_code == 400
    assert response.wsgi_request._read_started is False
    assert list(to_disk.iterdir()) == []


@pytest.fixture
def portal(client, founder):
    client.force_login(founder)
    return client


def portal_upload(client, draft, size: int):
    return client.post(
        f"/applications/{draft.pk}/files/", {"kind": "pitch_deck", "file": deck(size)}
    )


def test_portal_upload_declared_too_large_is_413_with_the_error_at_the_file(portal, draft, to_disk):
    response = portal_upload(portal, draft, 3 * MB)

    assert response.status_code == 413
    assert response.context["form"].errors == {"file": TOO_LARGE["file"]}
    assert response.wsgi_request._read_started is False
    assert RecordingTemporaryFileUploadHandler.records == []
    assert Attachment.objects.count() == 0


def test_portal_upload_past_the_limit_stops_reading_at_the_limit(portal, draft, to_disk):
    response = portal_upload(portal, draft, MB + 20 * 1024)

    assert response.status_code == 413
    assert response.context["form"].errors == {"file": TOO_LARGE["file"]}
    [record] = RecordingTemporaryFileUploadHandler.records
    assert record["written"] <= MB
    assert list(to_disk.iterdir()) == []
    assert Attachment.objects.count() == 0


def test_portal_upload_within_the_limit_is_saved(portal, draft, to_disk):
    response = portal_upload(portal, draft, MB // 2)

    assert response.status_code == 302
    assert Attachment.objects.get().size == MB // 2


def test_portal_upload_still_checks_csrf(founder, draft, to_disk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(founder)

    response = portal_upload(client, draft, 1024)

    assert response.status_code == 403
    assert Attachment.objects.count() == 0
