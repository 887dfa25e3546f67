"""Per-address rates of the requests that create accounts, tokens and reset e-mails.

DRF's throttles, counted in the shared cache (`CACHE_URL`) at the rate `THROTTLE_AUTH` per
client address; each kind of request has its own bucket. The portal's own forms (sign-up,
password reset) use the same classes through `check_throttle`.
"""

import logging
import math

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle

from incubator.lockout import client_address

logger = logging.getLogger("incubator.security")


class AddressRateThrottle(SimpleRateThrottle):
    """`THROTTLE_AUTH` requests per client address, read when the request comes."""

    scope = "auth"

    def get_rate(self) -> str:
        return settings.THROTTLE_AUTH

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}

    def allow_request(self, request, view) -> bool:
        allowed = super().allow_request(request, view)
        if not allowed:
            logger.warning(
                "request refused: %s from %s is over THROTTLE_AUTH (%s) for %s",
                request.path,
                client_address(request),
                settings.THROTTLE_AUTH,
                self.scope,
            )
        return allowed


class TokenRateThrottle(AddressRateThrottle):
    scope = "auth-token"


class RegisterRateThrottle(AddressRateThrottle):
    scope = "auth-register"


class PasswordResetRateThrottle(AddressRateThrottle):
    scope = "password-reset"


def check_throttle(throttle_class: type[AddressRateThrottle], request: HttpRequest) -> int:
    """For a page outside DRF: 0 when the request may go on, else the seconds to wait."""
    throttle = throttle_class()
    if throttle.allow_request(request, None):
        return 0
    return max(1, math.ceil(throttle.wait() or 1))
