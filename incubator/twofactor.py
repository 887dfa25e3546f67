"""Two-factor authentication: an authenticator app (TOTP) and one-time recovery codes.

Coordinators and superusers give a second factor at every interactive log-in (admin and
portal); anyone else may enrol and is then asked too. The devices are django-otp's: a
`TOTPDevice` for the app, a `StaticDevice` holding the recovery codes (the same kind
`manage.py addstatictoken USER` adds a code to). API tokens are not asked for a second factor:
`POST /api/v1/auth/token/` asks for one before it hands a token to an account with an app.
"""

import logging
import math
import re
from base64 import b32encode

import segno
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .permissions import is_coordinator

logger = logging.getLogger("incubator.security")

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
_TOTP_CODE = re.compile(r"\d{6}")


class SecondFactorThrottled(Exception):
    """Too many wrong codes in a row: the devices refuse to check another for a while."""

    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def second_factor_required(user: AbstractBaseUser) -> bool:
    """Coordinators and superusers must give a second factor at every interactive log-in."""
    return is_coordinator(user)


def uses_authenticator(user: AbstractBaseUser) -> bool:
    """The user has confirmed an authenticator app."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def has_second_factor(user: AbstractBaseUser) -> bool:
    """An authenticator app, or a recovery code not yet used."""
    return (
        uses_authenticator(user)
        or StaticToken.objects.filter(device__user=user, device__confirmed=True).exists()
    )


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def asks_second_factor(user: AbstractBaseUser) -> bool:
    """The log-in of this user has a second step (a code, or enrolment when it has none)."""
    return second_factor_required(user) or has_second_factor(user)


def normalise_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _wait_seconds(info: dict | None) -> int:
    until = (info or {}).get("locked_until")
    seconds = (until - timezone.now()).total_seconds() if until else 1
    return max(1, math.ceil(seconds))


def verify_code(*, user: AbstractBaseUser, code: str) -> Device | None:
    """The device that accepts this code (six digits: the app; else a recovery code, used up).

    None for a wrong code; SecondFactorThrottled while the devices refuse to check any.
    """
    code = normalise_code(code)
    if not code:
        return None
    model = TOTPDevice if _TOTP_CODE.fullmatch(code) else StaticDevice
    wait = 0
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user=user, confirmed=True):
            allowed, info = device.verify_is_allowed()
            if not allowed:
                wait = max(wait, _wait_seconds(info))
                continue
            if device.verify_token(code):
                return device
    if wait:
        raise SecondFactorThrottled(wait)
    return None


def pending_authenticator(*, user: AbstractBaseUser) -> TOTPDevice:
    """The user's authenticator device awaiting confirmation: made once, so a reload of the
    enrolment page shows the same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def confirm_authenticator(*, user: AbstractBaseUser, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code from it; returns it and new recovery codes.

    Raises ValueError for a wrong code (or no pending device), SecondFactorThrottled after too
    many in a row.
    """
    code = normalise_code(code)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None or not _TOTP_CODE.fullmatch(code):
            raise ValueError("wrong code")
        allowed, info = device.verify_is_allowed()
        if not allowed:
            raise SecondFactorThrottled(_wait_seconds(info))
        # A wrong code is recorded on the device (its back-off), so it must commit: no raise here.
        confirmed = device.verify_token(code)
        if confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            codes = issue_recovery_codes(user=user)
    if not confirmed:
        raise ValueError("wrong code")
    logger.info("account %r enrolled an authenticator app", user.get_username())
    return device, codes


def issue_recovery_codes(*, user: AbstractBaseUser) -> list[str]:
    """New one-time recovery codes; every earlier one of this user stops working."""
    with transaction.atomic():
        device = StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()
        if device is None:
            device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME)
        StaticToken.objects.filter(device__user=user).delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    logger.info("account %r received new recovery codes", user.get_username())
    return codes


def qr_code_svg(device: TOTPDevice) -> SafeString:
    """The device's otpauth:// address as an inline SVG QR code (drawn here, no outside service)."""
    svg = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    return mark_safe(svg)  # noqa: S308 (segno's own markup: paths of the code, no user text)


def secret_text(device: TOTPDevice) -> str:
    """The secret in base32, in groups of four, for typing into an app that cannot scan."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
