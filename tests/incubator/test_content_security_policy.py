"""The Content-Security-Policy header (django-csp): on every page, our own origin only."""

import pytest
from django.test import Client

from tests.applications.conftest import pdf_bytes
from tests.factories import ApplicationFactory, AttachmentFactory, StartupFactory, UserFactory

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "worker-src": "'self' blob:",
    "frame-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize(
    "path", ["/", "/login/", "/signup/", "/admin/login/", "/api/v1/rounds/", "/nowhere/"]
)
def test_csp_header_is_on_every_response(client: Client, path):
    response = client.get(path)

    assert directives(response["Content-Security-Policy"]) == POLICY


def test_csp_nonce_is_added_only_where_a_page_uses_one(client: Client):
    response = client.get("/api/redoc/")
    nonce = response.content.decode().split('nonce="', 1)[1].split('"', 1)[0]

    assert directives(response["Content-Security-Policy"])["script-src"] == (
        f"'self' 'nonce-{nonce}'"
    )


def test_csp_attachment_download_keeps_its_own_stricter_policy(client: Client):
    founder = UserFactory()
    attachment = AttachmentFactory(
        application=ApplicationFactory(startup=StartupFactory(members=[founder]))
    )
    client.force_login(founder)

    response = client.get(f"/files/{attachment.pk}/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
