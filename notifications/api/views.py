"""Coordinators manage providers and watch and retry notifications (DESIGN.md §8)."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from incubator.api.filters import IdFilter
from incubator.api.permissions import IsCoordinator
from incubator.api.schema import error_responses
from incubator.models import ServiceProvider
from notifications.enums import EVENTS, NotificationStatus
from notifications.models import Notification

from .. import services
from .serializers import (
    NotificationSerializer,
    ProviderChangedSerializer,
    ProviderInputSerializer,
    ProviderSerializer,
    ProviderWithSecretSerializer,
)

ERRORS = error_responses(401, 403)
NOT_FOUND = NO_PAGE = error_responses(404)
BAD_REQUEST = error_responses(400)


@extend_schema_view(
    list=extend_schema(
        responses={200: ProviderSerializer(many=True), **ERRORS, **BAD_REQUEST, **NO_PAGE}
    ),
    retrieve=extend_schema(responses={200: ProviderSerializer, **ERRORS, **NOT_FOUND}),
)
class ProviderViewSet(viewsets.ReadOnlyModelViewSet):
    """Fund, training and testing providers that hear of matching start-ups."""

    permission_classes = [permissions.IsAuthenticated, IsCoordinator]
    serializer_class = ProviderSerializer
    # Ids are integers in the URL (a malformed one gets the API's JSON 404) and in the schema.
    lookup_value_converter = "int"
    queryset = ServiceProvider.objects.order_by("name", "pk")

    @extend_schema(
        request=ProviderInputSerializer,
        responses={201: ProviderWithSecretSerializer, **BAD_REQUEST, **ERRORS},
        description="Create a provider. The answer carries the signing secret, shown only once.",
    )
    def create(self, request: Request) -> Response:
        data = ProviderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        provider = services.create_provider(actor=request.user, **data.validated_data)
        return Response(ProviderWithSecretSerializer(provider).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ProviderInputSerializer,
        responses={200: ProviderChangedSerializer, **BAD_REQUEST, **ERRORS, **NOT_FOUND},
        description="Change a provider. Giving an e-mail-only provider its first webhook URL "
        "issues a new signing secret, which this answer carries (`secret`), once.",
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        provider = self.get_object()
        data = ProviderInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changed = services.update_provider(
            actor=request.user, provider=provider, **data.validated_data
        )
        issued = changed.webhook_secret != provider.webhook_secret
        return Response(ProviderChangedSerializer(changed, context={"secret_issued": issued}).data)

    @extend_schema(
        request=None,
        responses={200: ProviderWithSecretSerializer, **ERRORS, **NOT_FOUND},
        description="Replace the signing secret; the answer shows the new one, once.",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        provider = services.rotate_provider_secret(actor=request.user, provider=self.get_object())
        return Response(ProviderWithSecretSerializer(provider).data)


class NotificationFilter(django_filters.FilterSet):
    event = django_filters.ChoiceFilter(choices=[(event, event) for event in EVENTS])
    status = django_filters.ChoiceFilter(choices=NotificationStatus.choices)
    provider = IdFilter(field_name="provider_id", help_text="Only this provider's.")

    class Meta:
        model = Notification
        fields = ["event", "status", "provider"]


@extend_schema_view(
    list=extend_schema(
        responses={200: NotificationSerializer(many=True), **ERRORS, **BAD_REQUEST, **NO_PAGE}
    ),
)
class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The outbox: every message to an applicant, reviewer or provider, and how it went."""

    permission_classes = [permissions.IsAuthenticated, IsCoordinator]
    serializer_class = NotificationSerializer
    lookup_value_converter = "int"
    queryset = Notification.objects.order_by("-created_at", "-id")
    filterset_class = NotificationFilter

    @extend_schema(
        request=None,
        responses={
            200: NotificationSerializer,
            **error_responses(409),
            **ERRORS,
            **NOT_FOUND,
        },
        summary="Send a pending or failed notification again now",
        description="Queues the row for delivery at the start of the retry schedule again "
        "(`attempts` keeps counting every attempt) and answers it as it stands then: `status` "
        "pending, `next_attempt_at` set. Delivery happens after this answer, in a worker: read the "
        "row again (or watch its delivery log) for the outcome. A sent notification answers 409.",
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        notification = services.retry_notification(
            actor=request.user, notification=self.get_object()
        )
        return Response(NotificationSerializer(notification).data)
