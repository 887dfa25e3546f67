"""Fixtures of the intake tests: people in each role, an open round, and real files."""

import io
import zipfile

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import (
    MINIMAL_PDF,
    ApplicationFactory,
    AssignmentFactory,
    CoordinatorFactory,
    ReviewerFactory,
    RoundFactory,
    StartupFactory,
    UserFactory,
)


@pytest.fixture
def open_round():
    return RoundFactory(name="2026 Autumn intake")


@pytest.fixture
def founder():
    user = UserFactory(username="founder")
    StartupFactory(name="Pearl River Ledger", members=[user])
    return user


@pytest.fixture
def startup(founder):
    return founder.startups.get()


@pytest.fixture
def other_founder():
    user = UserFactory(username="rival")
    StartupFactory(name="Rival Chain", members=[user])
    return user


@pytest.fixture
def reviewer():
    return ReviewerFactory(username="mei")


@pytest.fixture
def coordinator_user():
    return CoordinatorFactory(username="grace")


@pytest.fixture
def draft(startup, open_round):
    return ApplicationFactory(startup=startup, round=open_round, project_name="Trade ledger")


@pytest.fixture
def assigned_reviewer(draft):
    assignment = AssignmentFactory(application=draft)
    return assignment.reviewer


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api():
    return client_for


def pdf_bytes() -> bytes:
    return MINIMAL_PDF


def pptx_bytes() -> bytes:
    """A minimal presentation: a zip with the OOXML content types and a ppt/ folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
            'org/package/2006/content-types"><Override PartName="/ppt/presentation.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.presentationml.'
            'presentation.main+xml"/></Types>',
        )
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("ppt/presentation.xml", "<p:presentation/>")
        archive.writestr("ppt/slides/slide1.xml", "<p:sld/>")
    return buffer.getvalue()


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def html_bytes() -> bytes:
    return b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def elf_bytes() -> bytes:
    # The start of a real ELF header: magic, 64-bit, little-endian, version 1, then padding.
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x02\x00\x3e\x00" + b"\x00" * 200


def png_bytes() -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
        b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
        b"\x00\x00\x00\x00IEND\xaeB`\x82"
    )
