"""Session authentication that honours two-factor: a session counts only once verified."""

from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication

from incubator.twofactor import second_factor_required


class VerifiedSessionAuthentication(SessionAuthentication):
    """A coordinator's or superuser's session reaches the API only after its second factor.

    django-otp's middleware gives `request.user` its `is_verified()`; a session of such a user
    without it is treated as no session at all (401). Token clients are not asked: the token was
    issued after a second factor, or by an operator on the server.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        verified = getattr(user, "is_verified", None)
        if second_factor_required(user) and not (verified and verified()):
            return None
        return result


class VerifiedSessionScheme(SessionScheme):
    """The OpenAPI description of the session: the same cookie as Django's session."""

    target_class = "incubator.api.authentication.VerifiedSessionAuthentication"
