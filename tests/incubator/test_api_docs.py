"""/api/docs/ (Swagger UI) and /api/redoc/ (Redoc) come from our own origin: no CDN, no fonts."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

STATIC_PREFIX = "/static/"


class References(HTMLParser):
    """Every src and href of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.found += [value for name, value in attrs if name in {"src", "href"} and value]


def references(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/api/docs/",
            {
                "/static/drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png",
                "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
                "/static/incubator/api-swagger.css",
                "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
                "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
                "/api/docs/?script=",
            },
        ),
        (
            "/api/redoc/",
            {
                "/static/drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png",
                "/static/incubator/api-redoc.css",
                "/static/incubator/redoc-offline.js",
                "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
                "/static/incubator/redoc-init.js",
            },
        ),
    ],
)
def test_api_docs_reference_only_our_own_files(client: Client, path, expected):
    response = client.get(path)
    html = response.content.decode()

    assert response.status_code == 200
    assert set(references(html)) == expected
    for reference in expected:
        if reference.startswith(STATIC_PREFIX):
            assert finders.find(reference.removeprefix(STATIC_PREFIX)) is not None, reference
    assert re.findall(r"https?://", html) == []
    assert "<style" not in html
    assert re.findall(r"<script>", html) == []  # every script is a file


def test_api_docs_script_names_no_other_origin(client: Client):
    response = client.get("/api/docs/?script=")
    script = response.content.decode()

    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript"
    assert re.findall(r"https?://", script) == []
    assert '"validatorUrl": null' in script  # no badge from validator.swagger.io


def test_api_redoc_page_allows_its_own_style_and_nonce_only(client: Client):
    response = client.get("/api/redoc/")
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)

    assert policy["style-src"] == (
        f"'self' 'nonce-{nonce}' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' "
        "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='"
    )
    assert policy["script-src"] == f"'self' 'nonce-{nonce}'"


def test_api_docs_pages_are_not_in_the_schema(client: Client):
    schema = client.get("/api/schema/?format=json").json()

    assert [path for path in schema["paths"] if not path.startswith("/api/v1/")] == []
