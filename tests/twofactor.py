"""Two-factor helpers for tests: a verified session without the log-in pages, and real codes.

`force_login_verified` is `client.force_login` plus what the second step of a log-in adds to
the session (django-otp's device id), so a coordinator's session passes the admin's rule the
way a real log-in would; the rule itself is untouched.
"""

import time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


def force_login_verified(client, user) -> None:
    """Log `user` in on the test client, its session verified by a device of its own."""
    client.force_login(user)
    device = StaticDevice.objects.filter(user=user, name="test session").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name="test session")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def totp_device(user, *, confirmed: bool = True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=confirmed)


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app would show now (or `steps_ahead` periods later)."""
    totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def session_is_verified(client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


def admin_login_in_browser(page, username: str, password: str, code: str) -> None:
    """Log in to the admin through both steps in a Playwright page."""
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_selector("#two-factor-form")
    page.fill("#id_code", code)
    page.click("#two-factor-form input[type=submit]")
    page.wait_for_selector("#site-name")
