"""THROTTLE_AUTH: token, register and password-reset requests per client address."""

import logging

import pytest
from django.core import mail
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
REGISTER = "/api/v1/auth/register/"


@pytest.fixture
def three_an_hour(settings):
    settings.THROTTLE_AUTH = "3/hour"


def test_throttle_default_rate_is_thirty_an_hour(settings, client):
    assert settings.THROTTLE_AUTH == "30/hour"
    for _ in range(30):
        assert client.post(REGISTER, content_type="application/json", data={}).status_code == 400
    refused = client.post(REGISTER, content_type="application/json", data={})
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"


def test_throttle_token_per_address(three_an_hour, client):
    UserFactory(username="ada")
    for _ in range(3):
        assert (
            client.post(
                TOKEN, content_type="application/json", data={"username": "ada", "password": "pw"}
            ).status_code
            == 200
        )

    refused = client.post(
        TOKEN, content_type="application/json", data={"username": "ada", "password": "pw"}
    )

    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert refused.json()["detail"].startswith("Request was throttled.")
    other = client.post(
        TOKEN,
        content_type="application/json",
        data={"username": "ada", "password": "pw"},
        REMOTE_ADDR="192.0.2.7",
    )
    assert other.status_code == 200


def test_throttle_register_per_address(three_an_hour, client):
    for _ in range(3):
        assert (
            client.post(
                REGISTER, content_type="application/json", data={"username": "x"}
            ).status_code
            == 400
        )

    refused = client.post(REGISTER, content_type="application/json", data={"username": "x"})

    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert (
        client.post(
            REGISTER, content_type="application/json", data={}, REMOTE_ADDR="192.0.2.7"
        ).status_code
        == 400
    )


def test_throttle_buckets_are_separate_per_kind(three_an_hour, client):
    for _ in range(3):
        client.post(REGISTER, content_type="application/json", data={})
    assert client.post(REGISTER, content_type="application/json", data={}).status_code == 429

    assert (
        client.post(
            TOKEN, content_type="application/json", data={"username": "ada", "password": "pw"}
        ).status_code
        == 400
    )


def test_throttle_portal_password_reset_page(three_an_hour, client):
    UserFactory(username="ada", email="ada@ledger.example")
    for _ in range(3):
        sent = client.post("/password-reset/", {"email": "ada@ledger.example"})
        assert sent["Location"] == "/password-reset/sent/"

    refused = client.post("/password-reset/", {"email": "ada@ledger.example"})

    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert "Too many requests from your address. Please try again in 60 minutes." in refused.text
    assert len(mail.outbox) == 3
    assert client.get("/password-reset/").status_code == 200
    simplified = client.post("/password-reset/", {"email": "x@y.z"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "你的地址请求次数过多" in simplified.text


def test_throttle_portal_signup_page(three_an_hour, client):
    for _ in range(3):
        assert client.post("/signup/", {"username": "x"}).status_code == 200

    refused = client.post("/signup/", {"username": "x"})

    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert client.get("/signup/").status_code == 200


def test_throttle_ignores_a_forged_forwarded_for_without_proxies(three_an_hour, client):
    for number in range(3):
        client.post(
            REGISTER,
            content_type="application/json",
            data={},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{number}",
        )

    assert (
        client.post(
            REGISTER, content_type="application/json", data={}, HTTP_X_FORWARDED_FOR="198.51.100.99"
        ).status_code
        == 429
    )


def test_throttle_behind_one_proxy_counts_the_forwarded_client(three_an_hour, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(3):
        proxy.post(
            REGISTER, content_type="application/json", data={}, HTTP_X_FORWARDED_FOR="198.51.100.1"
        )

    assert (
        proxy.post(
            REGISTER, content_type="application/json", data={}, HTTP_X_FORWARDED_FOR="198.51.100.1"
        ).status_code
        == 429
    )
    assert (
        proxy.post(
            REGISTER, content_type="application/json", data={}, HTTP_X_FORWARDED_FOR="198.51.100.2"
        ).status_code
        == 400
    )


def test_throttle_refusals_logged(three_an_hour, client, caplog):
    caplog.set_level(logging.WARNING, logger="incubator.security")
    for _ in range(4):
        client.post(REGISTER, content_type="application/json", data={})
    for _ in range(4):
        client.post("/password-reset/", {"email": "x@y.z"})

    assert [r.getMessage() for r in caplog.records if r.name == "incubator.security"] == [
        "request refused: /api/v1/auth/register/ from 127.0.0.1 is over THROTTLE_AUTH (3/hour) "
        "for auth-register",
        "request refused: /password-reset/ from 127.0.0.1 is over THROTTLE_AUTH (3/hour) "
        "for password-reset",
    ]
