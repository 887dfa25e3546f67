"""Programme-level endpoints: tokens, and rounds with their rubric."""

from django.db.models import Prefetch
from django.http import JsonResponse
from django.views.defaults import page_not_found
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from incubator import services
from incubator.models import Criterion, Round

from .permissions import ReadAnyoneWriteCoordinator
from .schema import error_responses
from .serializers import (
    RoundSerializer,
    RoundWriteSerializer,
    TokenCredentialsSerializer,
    TokenSerializer,
)


class TokenView(ObtainAuthToken):
    authentication_classes = []
    # ObtainAuthToken names DRF's own parsers; ours limit JSON's size and nesting.
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES

    @extend_schema(
        summary="Get an API token",
        description="Send it as `Authorization: Token <key>`.",
        request=TokenCredentialsSerializer,
        responses={200: TokenSerializer, **error_responses(400, 415)},
        auth=[],
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        return super().post(request, *args, **kwargs)


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
        "only names and descriptions may change (409 otherwise).",
        request=RoundWriteSerializer(partial=True),
        responses={200: RoundSerializer, **error_responses(400, 401, 403, 404, 409, 415)},
    ),
)
class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RoundSerializer
    permission_classes = [ReadAnyoneWriteCoordinator]
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = r"[^/]+"

    def get_queryset(self):
        return Round.objects.prefetch_related(
            Prefetch("criteria", queryset=Criterion.objects.order_by("order", "id"))
        ).order_by("-opens_at", "-id")

    def _answer(self, round_: Round, code: int = status.HTTP_200_OK) -> Response:
        return Response(RoundSerializer(self.get_queryset().get(pk=round_.pk)).data, status=code)

    def create(self, request: Request) -> Response:
        serializer = RoundWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        round_ = services.create_round(actor=request.user, **serializer.validated_data)
        return self._answer(round_, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        round_ = self.get_object()
        serializer = RoundWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        round_ = services.update_round(
            actor=request.user, round=round_, **serializer.validated_data
        )
        return self._answer(round_)


def not_found(request, exception=None):
    """The site's 404: DRF's JSON shape under /api/ (a URL that matches no route, such as a
    malformed id), the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
