"""Programme-level endpoints: tokens, and rounds with their rubric."""

from django.contrib.auth import authenticate
from django.db.models import Prefetch
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from incubator import lockout, services, twofactor
from incubator.models import Criterion, Question, Round
from incubator.views import page_not_found

from .permissions import ReadAnyoneWriteCoordinator
from .schema import RETRY_AFTER, error_responses
from .serializers import (
    RoundSerializer,
    RoundWriteSerializer,
    TokenCredentialsSerializer,
    TokenSerializer,
)
from .throttles import TokenRateThrottle


class LockedOut(Throttled):
    """429 with Retry-After: this account is locked out from this address for a while."""

    default_detail = gettext_lazy("Too many failed log-ins for this account from this address.")
    extra_detail_singular = gettext_lazy("Try again in {wait} second.")
    extra_detail_plural = gettext_lazy("Try again in {wait} seconds.")

    @classmethod
    def for_request(cls, request: Request, seconds: int) -> "LockedOut":
        """The refusal that names what is locked: the account from this address, or the
        address itself after failures on many accounts."""
        if lockout.address_locked_for(lockout.client_address(request)):
            return cls(
                wait=seconds,
                detail=_("Too many failed log-ins from this address, whatever the accounts."),
            )
        return cls(wait=seconds)


def _refuse_if_locked(request: Request, username: str) -> None:
    address = lockout.client_address(request)
    seconds = lockout.locked_for(username=username, address=address)
    if seconds:
        lockout.log_refusal(username=username, address=address, seconds=seconds, where=request.path)
        raise LockedOut.for_request(request, seconds)


def _check_second_factor(request: Request, user, code: str) -> None:
    """400 naming `otp` unless it is a good code of the account's devices; a wrong one counts
    towards the lock-out like a wrong password."""
    if not code:
        raise ValidationError(
            {
                "otp": [
                    _(
                        "This account uses two-factor authentication: send the code of its "
                        "authenticator app (or a recovery code) as otp."
                    )
                ]
            }
        )
    try:
        device = twofactor.verify_code(user=user, code=code)
    except twofactor.SecondFactorThrottled as error:
        lockout.log_code_wait(
            username=user.get_username(),
            address=lockout.client_address(request),
            seconds=error.seconds,
            where=request.path,
        )
        message = ngettext(
            "Too many wrong codes in a row: wait %(seconds)d second before the next one.",
            "Too many wrong codes in a row: wait %(seconds)d seconds before the next one.",
            error.seconds,
        ) % {"seconds": error.seconds}
        raise ValidationError({"otp": [message]}) from None
    if device is None:
        username = user.get_username()
        address = lockout.client_address(request)
        seconds = lockout.record_failure(username=username, address=address, where=request.path)
        if seconds:
            raise LockedOut.for_request(request, seconds)
        raise ValidationError({"otp": [_("This code is wrong or has expired.")]})


class TokenView(APIView):
    """A token for a user name and password (and the second factor, where the account has an
    authenticator app). Throttled per address; a locked-out account is refused before its
    password is checked."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenRateThrottle]
    # JSON, like every other body of the API, through our parser (size and nesting limits).
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES
    renderer_classes = [renderers.JSONRenderer]

    @extend_schema(
        summary="Get an API token",
        description="Send it as `Authorization: Token <key>`. An account with an authenticator "
        "app (two-factor authentication) also sends `otp`: the six digits the app shows, or one "
        "of its recovery codes; without it, or with a wrong one, the answer is a 400 naming "
        "`otp`. After `LOGIN_LOCKOUT_FAILURES` failed attempts for one account from one address, "
        "that account is refused from that address (429) for `LOGIN_LOCKOUT_MINUTES`; requests "
        "from one address are limited to `THROTTLE_AUTH` (429).",
        request=TokenCredentialsSerializer,
        responses={200: TokenSerializer, **error_responses(400, 415, 429)},
        parameters=[RETRY_AFTER],
        auth=[],
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        credentials = TokenCredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        data = credentials.validated_data
        _refuse_if_locked(request, data["username"])
        user = authenticate(request=request, username=data["username"], password=data["password"])
        if user is None:
            # Counted by the lock-out (user_login_failed); the words of DRF's own token view.
            raise ValidationError(
                {"non_field_errors": [_("Unable to log in with provided credentials.")]}
            )
        if twofactor.uses_authenticator(user):
            _check_second_factor(request, user, data.get("otp", ""))
        lockout.clear(username=data["username"], address=lockout.client_address(request))
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


def _flatten(prefix: str, detail: object, into: dict) -> None:
    if isinstance(detail, dict):
        for name, inner in detail.items():
            _flatten(
                f"{prefix}[{name}]" if isinstance(name, int) else f"{prefix}.{name}", inner, into
            )
    elif isinstance(detail, list) and detail and all(isinstance(i, (dict, list)) for i in detail):
        for index, inner in enumerate(detail):
            _flatten(f"{prefix}[{index}]", inner, into)
    elif detail:
        into[prefix] = detail if isinstance(detail, list) else [detail]


def _validate(serializer: RoundWriteSerializer) -> None:
    """Validate a round's body; a question's error names `questions[i].field`, as the
    service's own checks of the questions do."""
    if serializer.is_valid():
        return
    errors = dict(serializer.errors)
    questions = errors.pop("questions", None)
    if isinstance(questions, dict) and questions and all(isinstance(k, int) for k in questions):
        # DRF gives a nested list's errors by index.
        for index, inner in questions.items():
            _flatten(f"questions[{index}]", inner, errors)
    elif isinstance(questions, list) and any(isinstance(item, dict) for item in questions):
        _flatten("questions", questions, errors)
    elif isinstance(questions, dict):
        errors["questions"] = [message for messages in questions.values() for message in messages]
    elif questions is not None:
        errors["questions"] = questions
    raise ValidationError(errors)


@extend_schema_view(
    list=extend_schema(
        summary="Rounds with their rubric",
        responses={200: RoundSerializer(many=True), **error_responses(404)},
        auth=[{}],
    ),
    retrieve=extend_schema(
        summary="One round", responses={200: RoundSerializer, **error_responses(404)}, auth=[{}]
    ),
    create=extend_schema(
        summary="Create a round (coordinators)",
        request=RoundWriteSerializer,
        responses={201: RoundSerializer, **error_responses(400, 401, 403, 415)},
    ),
    partial_update=extend_schema(
        summary="Change a round and its rubric (coordinators)",
        description="`criteria` replaces the rubric: items with an `id` are kept and changed, "
        "items without are added, criteria left out are removed. Once reviewers have scored, "
        "only names and descriptions may change (409 otherwise). `questions` replaces the "
        "round's questions, matched by `key`; removing one drops its answers from drafts. Once "
        "the round has a submitted application, any change to them answers 409. A question's "
        "error names `questions[i].field` (i from 0).",
        request=RoundWriteSerializer(partial=True),
        responses={200: RoundSerializer, **error_responses(400, 401, 403, 404, 409, 415)},
    ),
)
class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RoundSerializer
    permission_classes = [ReadAnyoneWriteCoordinator]
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_converter = "int"

    def get_queryset(self):
        return Round.objects.prefetch_related(
            Prefetch("criteria", queryset=Criterion.objects.order_by("order", "id")),
            Prefetch("questions", queryset=Question.objects.order_by("order", "id")),
        ).order_by("-opens_at", "-id")

    def _answer(self, round_: Round, code: int = status.HTTP_200_OK) -> Response:
        return Response(RoundSerializer(self.get_queryset().get(pk=round_.pk)).data, status=code)

    def create(self, request: Request) -> Response:
        serializer = RoundWriteSerializer(data=request.data)
        _validate(serializer)
        round_ = services.create_round(actor=request.user, **serializer.validated_data)
        return self._answer(round_, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        round_ = self.get_object()
        serializer = RoundWriteSerializer(data=request.data, partial=True)
        _validate(serializer)
        round_ = services.update_round(
            actor=request.user, round=round_, **serializer.validated_data
        )
        return self._answer(round_)


def not_found(request, exception=None):
    """The site's 404: DRF's JSON shape under /api/ (a URL that matches no route, such as a
    malformed id), the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)
