"""Two-factor authentication end to end, with real TOTP codes computed here (django-otp)."""

import io
import logging
from base64 import b32encode
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from tests.factories import CoordinatorFactory, ReviewerFactory, UserFactory
from tests.twofactor import force_login_verified, session_is_verified, totp_code, totp_device

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def clock():
    """The real time of the test, stopped; moved on by the test (`clock.shift`)."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def admin_password(client, username):
    """The first step: the factories' password "pw"."""
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": "pw", "next": "/admin/"},
    )


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- enrolment -------------------------------------------------------------------------------


def test_two_factor_coordinator_without_device_enrols_then_reaches_admin(client, clock):
    coordinator = CoordinatorFactory(username="grace")

    step = admin_password(client, "grace")

    assert step.status_code == 302
    assert step["Location"] == "/admin/login/setup/"
    assert not logged_in(client)
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"
    assert client.get("/admin/dashboard/").status_code == 302

    page = client.get("/admin/login/setup/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=coordinator, confirmed=False)
    secret = b32encode(device.bin_key).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page.text
    assert '<svg width="' in page.text
    assert "<img" not in page.text  # the QR code is drawn inline, not fetched from anywhere
    assert client.get("/admin/login/setup/").text.count(secret[:4]) == 1  # the same key again

    refused = client.post("/admin/login/setup/", {"code": wrong(totp_code(device))})
    assert refused.status_code == 200
    assert "This code is wrong or has expired." in refused.text
    assert not logged_in(client)

    clock.shift(timedelta(seconds=2))  # django-otp waits a second after a wrong code
    confirmed = client.post("/admin/login/setup/", {"code": totp_code(device)})

    assert confirmed.status_code == 200
    assert "no-store" in confirmed["Cache-Control"]
    codes = confirmed.context["codes"]
    assert len(codes) == 10
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=coordinator).values_list("token", flat=True)
    )
    for code in codes:
        assert f"<code>{code}</code>" in confirmed.text
    assert 'href="/admin/"' in confirmed.text
    assert TOTPDevice.objects.get(user=coordinator).confirmed is True
    assert logged_in(client)
    assert session_is_verified(client)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/dashboard/").status_code == 200


def test_two_factor_setup_page_in_three_languages(client):
    CoordinatorFactory(username="grace")
    admin_password(client, "grace")

    simplified = client.get("/admin/login/setup/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    traditional = client.get("/admin/login/setup/", HTTP_ACCEPT_LANGUAGE="zh-hant")

    assert "设置双重验证" in simplified.text
    assert "扫描这个二维码" in simplified.text
    assert "設定雙重認證" in traditional.text
    assert "掃描這個二維碼" in traditional.text


def test_two_factor_setup_without_a_password_first_goes_to_log_in(client):
    assert client.get("/admin/login/setup/")["Location"] == "/admin/login/"
    assert client.get("/admin/login/verify/")["Location"] == "/admin/login/"
    assert client.get("/login/verify/")["Location"] == "/login/"
    assert TOTPDevice.objects.count() == 0


# --- the second step -------------------------------------------------------------------------


def test_two_factor_coordinator_with_device_wrong_code_refused_right_code_accepted(
    client, clock, caplog
):
    coordinator = CoordinatorFactory(username="grace")
    device = totp_device(coordinator)

    step = admin_password(client, "grace")

    assert step["Location"] == "/admin/login/verify/"
    assert not logged_in(client)
    assert client.get("/admin/").status_code == 302
    page = client.get("/admin/login/verify/")
    assert "The password of grace is right." in page.text

    refused = client.post("/admin/login/verify/", {"code": wrong(totp_code(device))})
    assert refused.status_code == 200
    assert "This code is wrong or has expired." in refused.text
    assert not logged_in(client)

    caplog.clear()
    too_soon = client.post("/admin/login/verify/", {"code": totp_code(device)})
    assert "wait 1 second before the next one" in too_soon.text
    assert not logged_in(client)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "code refused: account 'grace' from 127.0.0.1 must wait 1 s after wrong codes "
        "(/admin/login/verify/)"
    ]

    clock.shift(timedelta(seconds=2))
    accepted = client.post("/admin/login/verify/", {"code": totp_code(device)})

    assert accepted.status_code == 302
    assert accepted["Location"] == "/admin/"
    assert logged_in(client)
    assert session_is_verified(client)
    assert client.get("/admin/").status_code == 200


def test_two_factor_recovery_code_accepted_once(client):
    coordinator = CoordinatorFactory(username="grace")
    totp_device(coordinator)
    out = io.StringIO()
    call_command("addstatictoken", "grace", stdout=out)
    code = out.getvalue().strip()

    admin_password(client, "grace")
    accepted = client.post("/admin/login/verify/", {"code": code.upper()})
    assert accepted["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    client.post("/admin/logout/")
    second = Client()
    admin_password(second, "grace")
    refused = second.post("/admin/login/verify/", {"code": code})
    assert "This code is wrong or has expired." in refused.text
    assert not logged_in(second)


def test_two_factor_recovery_code_alone_lets_an_operator_check_the_admin(client):
    """A coordinator with no app: `manage.py addstatictoken` gives a code for one log-in."""
    CoordinatorFactory(username="grace")
    out = io.StringIO()
    call_command("addstatictoken", "grace", stdout=out)

    assert admin_password(client, "grace")["Location"] == "/admin/login/verify/"
    accepted = client.post("/admin/login/verify/", {"code": out.getvalue().strip()})

    assert accepted["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # With no code left and no app, the next log-in goes to enrolment.
    other = Client()
    assert admin_password(other, "grace")["Location"] == "/admin/login/setup/"


def test_two_factor_wrong_codes_count_towards_the_lockout(client, clock):
    coordinator = CoordinatorFactory(username="grace")
    device = totp_device(coordinator)
    admin_password(client, "grace")
    for _ in range(5):
        clock.shift(timedelta(seconds=40))  # past django-otp's own growing wait
        response = client.post("/admin/login/verify/", {"code": wrong(totp_code(device))})

    assert response.status_code == 429
    assert "Too many failed log-ins for this account" in response.text
    assert client.post("/admin/login/verify/", {"code": totp_code(device)}).status_code == 429
    assert admin_password(Client(), "grace").status_code == 429
    assert not logged_in(client)


def test_two_factor_waiting_password_step_expires(client, clock):
    coordinator = CoordinatorFactory(username="grace")
    device = totp_device(coordinator)
    admin_password(client, "grace")

    clock.shift(timedelta(minutes=11))

    assert client.post("/admin/login/verify/", {"code": totp_code(device)})["Location"] == (
        "/admin/login/"
    )
    assert not logged_in(client)


def test_two_factor_superuser_is_asked_too(client):
    UserFactory(username="root", is_staff=True, is_superuser=True)

    assert admin_password(client, "root")["Location"] == "/admin/login/setup/"


def test_two_factor_portal_log_in_of_a_coordinator_has_the_second_step(client, clock):
    coordinator = CoordinatorFactory(username="grace")
    device = totp_device(coordinator)

    step = client.post("/login/", {"username": "grace", "password": "pw"})

    assert step["Location"] == "/login/verify/"
    assert not logged_in(client)
    page = client.get("/login/verify/", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert "雙重認證" in page.text
    assert 'class="site-header"' in page.text  # the portal's own look
    accepted = client.post("/login/verify/", {"code": totp_code(device)})
    assert accepted["Location"] == "/dashboard/"
    assert logged_in(client)
    assert session_is_verified(client)


def test_two_factor_founder_logs_in_with_password_alone(client):
    UserFactory(username="ada")

    assert client.post("/login/", {"username": "ada", "password": "pw"})["Location"] == (
        "/dashboard/"
    )
    assert logged_in(client)


# --- reviewers: optional -----------------------------------------------------------------------


def test_two_factor_reviewer_without_device_logs_in_with_password_alone(client):
    ReviewerFactory(username="ada")

    response = admin_password(client, "ada")

    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert not session_is_verified(client)


def test_two_factor_reviewer_enrols_from_the_admin_and_is_asked_afterwards(client, clock):
    reviewer = ReviewerFactory(username="ada")
    admin_password(client, "ada")
    index = client.get("/admin/")
    assert 'href="/admin/two-factor/"' in index.text
    page = client.get("/admin/two-factor/")
    assert "It is optional for your role" in page.text

    setup = client.get("/admin/login/setup/")
    assert setup.status_code == 200
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    confirmed = client.post("/admin/login/setup/", {"code": totp_code(device)})
    assert len(confirmed.context["codes"]) == 10
    assert 'href="/admin/two-factor/"' in confirmed.text
    assert session_is_verified(client)
    assert "unused recovery codes" in client.get("/admin/two-factor/").text

    other = Client()
    assert admin_password(other, "ada")["Location"] == "/admin/login/verify/"
    clock.shift(timedelta(seconds=30))
    assert other.post("/admin/login/verify/", {"code": totp_code(device)})["Location"] == (
        "/admin/"
    )


def test_two_factor_new_recovery_codes_replace_the_old_ones(client, clock):
    coordinator = CoordinatorFactory(username="grace")
    device = totp_device(coordinator)
    old = StaticToken.objects.create(
        device=coordinator.staticdevice_set.create(name="backup"), token="oldcode1"
    )
    admin_password(client, "grace")
    client.post("/admin/login/verify/", {"code": totp_code(device)})

    clock.shift(timedelta(seconds=30))
    fresh = client.post("/admin/two-factor/", {"code": totp_code(device)})

    codes = fresh.context["codes"]
    assert len(codes) == 10
    assert not StaticToken.objects.filter(pk=old.pk).exists()
    assert StaticToken.objects.filter(device__user=coordinator).count() == 10


# --- sessions, API and tokens ------------------------------------------------------------------


def test_two_factor_unverified_coordinator_session_reaches_no_admin_page_nor_api(client):
    coordinator = CoordinatorFactory()
    client.force_login(coordinator)

    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/applications/application/").status_code == 302
    assert client.get("/admin/dashboard/")["Location"] == ("/admin/login/?next=/admin/dashboard/")
    assert client.get("/api/v1/shortlists/").status_code == 401

    force_login_verified(client, coordinator)
    assert client.get("/admin/").status_code == 200
    assert client.get("/api/v1/shortlists/").status_code == 200


def test_two_factor_token_api_calls_are_not_asked(client):
    coordinator = CoordinatorFactory()
    totp_device(coordinator)
    token = Token.objects.create(user=coordinator)

    response = client.get("/api/v1/shortlists/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200


def test_two_factor_token_endpoint_needs_otp_for_an_account_with_an_app(client, clock):
    coordinator = CoordinatorFactory(username="grace")
    device = totp_device(coordinator)

    missing = client.post(
        TOKEN, content_type="application/json", data={"username": "grace", "password": "pw"}
    )
    assert missing.status_code == 400
    assert list(missing.json()) == ["otp"]

    bad = client.post(
        TOKEN,
        {"username": "grace", "password": "pw", "otp": wrong(totp_code(device))},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json() == {"otp": ["This code is wrong or has expired."]}

    clock.shift(timedelta(seconds=2))
    good = client.post(
        TOKEN,
        {"username": "grace", "password": "pw", "otp": totp_code(device)},
        content_type="application/json",
    )
    assert good.status_code == 200
    assert good.json() == {"token": Token.objects.get(user=coordinator).key}


def test_two_factor_token_endpoint_without_an_app_needs_no_otp(client):
    CoordinatorFactory(username="grace")
    ReviewerFactory(username="ada")

    assert (
        client.post(
            TOKEN, content_type="application/json", data={"username": "grace", "password": "pw"}
        ).status_code
        == 200
    )
    assert (
        client.post(
            TOKEN, content_type="application/json", data={"username": "ada", "password": "pw"}
        ).status_code
        == 200
    )


def test_two_factor_token_endpoint_accepts_a_recovery_code_once(client):
    coordinator = CoordinatorFactory(username="grace")
    totp_device(coordinator)
    out = io.StringIO()
    call_command("addstatictoken", "grace", stdout=out)
    code = out.getvalue().strip()
    body = {"username": "grace", "password": "pw", "otp": code}

    assert client.post(TOKEN, content_type="application/json", data=body).status_code == 200
    assert client.post(TOKEN, content_type="application/json", data=body).json() == {
        "otp": ["This code is wrong or has expired."]
    }


def test_two_factor_operator_mints_a_token_with_drf_create_token():
    coordinator = CoordinatorFactory(username="grace")
    totp_device(coordinator)
    out = io.StringIO()

    call_command("drf_create_token", "grace", stdout=out)

    assert Token.objects.get(user=coordinator).key in out.getvalue()


def test_two_factor_token_schema_documents_otp_and_429(client):
    schema = client.get("/api/schema/?format=json").json()
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    register = schema["paths"]["/api/v1/auth/register/"]["post"]
    body = schema["components"]["schemas"]["TokenCredentialsRequest"]

    assert "otp" in body["properties"]
    assert "otp" not in body["required"]
    for operation in (token, register):
        assert "429" in operation["responses"]
        assert "Retry-After" in operation["responses"]["429"]["headers"]
