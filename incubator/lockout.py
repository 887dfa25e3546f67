"""Log-in lock-out: too many failures for one account from one address pause that pair, and
too many from one address, whatever the accounts, pause the address.

After `LOGIN_LOCKOUT_FAILURES` failed log-ins (a wrong password or a wrong second-factor code)
for one account from one client address, further attempts for that account from that address
are refused for `LOGIN_LOCKOUT_MINUTES`, before any password is hashed. Other accounts from the
same address, and the same account from elsewhere, are not affected. An address that tries a
few passwords on each of many accounts (password spraying) stays under that limit for every
one of them: after `LOGIN_ADDRESS_FAILURES` failures from one address within
`LOGIN_LOCKOUT_MINUTES`, whatever the accounts, every log-in from it is refused for as long. A
log-in that succeeds forgets its account's failures, not the address's (one account of its own
must not let an address go on trying others). The counters live in the default cache, which
every web process shares when `CACHE_URL` names Redis.

Every interface that logs people in asks `locked_for()` first and answers its own way (a 429
with `Retry-After` from the API, a page from the portal and the admin); `LockoutModelBackend`
refuses the same pairs inside `authenticate()` for any caller that did not ask.
"""

import hashlib
import logging
import math
import time

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger("incubator.security")


def client_address(request: HttpRequest) -> str:
    """The client's address: the connection's, or the one `NUM_PROXIES` proxies vouch for.

    The same rule as DRF's throttles, so an address means the same thing to both.
    """
    return BaseThrottle().get_ident(request)


def _key(kind: str, username: str, address: str) -> str:
    # Hashed: a user name may hold anything, and the cache key must not.
    digest = hashlib.sha256(f"{username}\0{address}".encode()).hexdigest()
    return f"login-{kind}:{digest}"


def _address_key(kind: str, address: str | None) -> str:
    # As in _key: a request without a client address (None) is counted as one address.
    return f"login-address-{kind}:{hashlib.sha256(f'{address}'.encode()).hexdigest()}"


def _lockout_seconds() -> int:
    return int(settings.LOGIN_LOCKOUT_MINUTES * 60)


def locked_for(*, username: str, address: str) -> int:
    """Seconds this account stays locked out from this address (the pair or the whole address
    locked); 0 when it is not."""
    ends = cache.get_many([_key("locked", username, address), _address_key("locked", address)])
    remaining = max(ends.values(), default=0) - time.time()
    return math.ceil(remaining) if remaining > 0 else 0


def address_locked_for(address: str | None) -> int:
    """Seconds every log-in from this address stays refused (its own lock, whatever the
    accounts); 0 when it is not locked as a whole."""
    end = cache.get(_address_key("locked", address))
    remaining = (end or 0) - time.time()
    return math.ceil(remaining) if remaining > 0 else 0


def _count(failures_key: str, locked_key: str, limit: int) -> int:
    """Add one failure to a counter of the lock-out window; at `limit`, lock (the lock keeps
    its end time, so Retry-After is exact and a test's clock can move past it). Returns the
    failures counted."""
    window = _lockout_seconds()
    cache.add(failures_key, 0, timeout=window)
    try:
        failures = cache.incr(failures_key)
    except ValueError:  # the counter expired between add() and incr()
        cache.set(failures_key, 1, timeout=window)
        failures = 1
    if failures >= limit:
        cache.set(locked_key, time.time() + window, timeout=window + 60)
        cache.delete(failures_key)
    return failures


def log_refusal(*, username: str, address: str, seconds: int, where: str) -> None:
    logger.warning(
        "log-in refused: account %r is locked out from %s for %d s more (%s)",
        username,
        address,
        seconds,
        where,
    )


def log_code_wait(*, username: str, address: str, seconds: int, where: str) -> None:
    """A second-factor code refused unchecked: django-otp's wait after wrong codes runs."""
    logger.warning(
        "code refused: account %r from %s must wait %d s after wrong codes (%s)",
        username,
        address,
        seconds,
        where,
    )


def record_failure(*, username: str, address: str, where: str) -> int:
    """Count a failed log-in for the pair and for the address; lock either out at its limit.
    Returns the seconds locked (or 0).

    An attempt that arrives while the pair or the address is locked out is not counted again.
    """
    seconds = locked_for(username=username, address=address)
    if seconds:
        log_refusal(username=username, address=address, seconds=seconds, where=where)
        return seconds
    window = _lockout_seconds()
    limit = settings.LOGIN_LOCKOUT_FAILURES
    failures = _count(_key("failures", username, address), _key("locked", username, address), limit)
    logger.info(
        "failed log-in %d of %d for account %r from %s (%s)",
        failures,
        limit,
        username,
        address,
        where,
    )
    address_limit = settings.LOGIN_ADDRESS_FAILURES
    address_failures = _count(
        _address_key("failures", address), _address_key("locked", address), address_limit
    )
    if address_failures >= address_limit:
        logger.warning(
            "address %s locked out for %d minutes after %d failed log-ins, any account (%s)",
            address,
            settings.LOGIN_LOCKOUT_MINUTES,
            address_failures,
            where,
        )
        return window
    if failures < limit:
        return 0
    logger.warning(
        "account %r locked out from %s for %d minutes after %d failed log-ins (%s)",
        username,
        address,
        settings.LOGIN_LOCKOUT_MINUTES,
        failures,
        where,
    )
    return window


def clear(*, username: str, address: str) -> None:
    """A complete log-in (with its second factor) forgets the pair's earlier failures."""
    cache.delete_many([_key("failures", username, address), _key("locked", username, address)])


class LockoutModelBackend(ModelBackend):
    """Django's user-name-and-password backend, which refuses a locked-out pair before it hashes.

    Raising PermissionDenied stops `authenticate()` at once (Django then sends
    `user_login_failed`, which `on_login_failed` logs without counting it again).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if (
            request is not None
            and username is not None
            and locked_for(username=username, address=client_address(request))
        ):
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """`user_login_failed` receiver: count the failure (Django hides the password already)."""
    username = credentials.get("username")
    if request is None or not isinstance(username, str):
        return
    record_failure(username=username, address=client_address(request), where=request.path)


def on_logged_in(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver: a complete log-in forgets the pair's earlier failures."""
    if request is not None:
        clear(username=user.get_username(), address=client_address(request))
