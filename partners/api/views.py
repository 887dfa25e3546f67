"""The partner API (DESIGN.md §12): partner users only, everyone else 403; a start-up outside
the provider's list is a 404 whatever the id. And the coordinators' engagement per round."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.models import Application
from incubator.api.permissions import IsCoordinator
from incubator.api.schema import error_responses
from incubator.models import Round

from .. import selectors, services
from ..permissions import partner_provider
from .serializers import (
    EngagementSerializer,
    InterestInputSerializer,
    PartnerMeSerializer,
    PartnerStartupSerializer,
)


class IsPartner(BasePermission):
    """Logged in (else 401) and a partner user linked to a provider (else 403)."""

    message = _("Only partner users of a service provider may do this.")

    def has_permission(self, request, view) -> bool:
        provider = partner_provider(request.user)
        request.partner_provider = provider
        return provider is not None


class PartnerMeView(APIView):
    permission_classes = [IsPartner]

    @extend_schema(
        summary="The partner user and its provider",
        responses={200: PartnerMeSerializer, **error_responses(401, 403)},
    )
    def get(self, request: Request) -> Response:
        provider = request.partner_provider
        user = request.user
        return Response(
            PartnerMeSerializer(
                {
                    "user": {"id": user.pk, "username": user.get_username(), "email": user.email},
                    "provider": {
                        "id": provider.pk,
                        "name": provider.name,
                        "kind": provider.kind,
                        "tracks": provider.tracks,
                    },
                }
            ).data
        )


class PartnerStartupViewSet(viewsets.GenericViewSet):
    permission_classes = [IsPartner]
    serializer_class = PartnerStartupSerializer
    lookup_field = "application"
    lookup_value_converter = "int"
    queryset = Application.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self):
        return selectors.partner_startups(provider=self.request.partner_provider)

    def _matched(self) -> Application:
        application = self.get_queryset().filter(pk=self.kwargs["application"]).first()
        if application is None:
            raise NotFound(_("No such start-up in your list."))
        return application

    @extend_schema(
        operation_id="partner_startups_list",
        summary="The provider's start-ups",
        description="The consenting start-ups (share_with includes the provider's kind) that "
        "are shortlisted in a published shortlist or accepted, whose needs include the "
        "provider's kind and whose track is among its tracks (none = all): each as the "
        "webhook's start-up object plus `status` and the provider's own `interest`.",
        responses={200: PartnerStartupSerializer(many=True), **error_responses(401, 403)},
    )
    def list(self, request: Request) -> Response:
        services.record_list_visit(provider=request.partner_provider)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="partner_startups_retrieve",
        summary="One start-up of the provider's list",
        description="404 for any application not in the list, whatever the id. Recorded as "
        "viewed by the provider.",
        responses={200: PartnerStartupSerializer, **error_responses(401, 403, 404)},
    )
    def retrieve(self, request: Request, application: int) -> Response:
        found = self._matched()
        services.record_view(
            provider=request.partner_provider, application=found, user=request.user
        )
        return Response(self.get_serializer(found).data)

    @extend_schema(
        summary="Mark the provider's interest in a start-up",
        description="`interested` e-mails the start-up an introduction (provider name, contact, "
        "note) in its language; `engaged` records that work has started; `declined`.",
        request=InterestInputSerializer,
        responses={200: PartnerStartupSerializer, **error_responses(400, 401, 403, 404, 415)},
    )
    @action(detail=True, methods=["post"])
    def interest(self, request: Request, application: int) -> Response:
        found = self._matched()
        serializer = InterestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.set_interest(
            actor=request.user,
            provider=request.partner_provider,
            application=found,
            **serializer.validated_data,
        )
        return Response(self.get_serializer(self._matched()).data, status=status.HTTP_200_OK)


class RoundPartnersView(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(
        summary="Partner engagement in a round",
        description="Per provider: matched (the round's start-ups in its list now), viewed (of "
        "those, opened by one of its users), and the current interest statuses among them.",
        responses={200: EngagementSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        round_ = get_object_or_404(Round, pk=pk)
        rows = selectors.round_engagement(round=round_)
        return Response(EngagementSerializer(rows, many=True).data)
