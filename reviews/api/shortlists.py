"""Shortlists, their exports and publishing, and decisions on applications (coordinators only)."""

import django_filters
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.api.serializers import ApplicationSerializer
from applications.enums import ApplicationStatus
from applications.models import Application
from applications.services import (
    DECISION_CHOICES,
    DECISION_NOTE_MAX_LENGTH,
    decide_application,
)
from incubator.api.filters import IdFilter
from incubator.api.permissions import IsCoordinator
from incubator.api.schema import error_responses
from incubator.enums import Jurisdiction, Region, ServiceKind, Track, jurisdiction_of_region
from incubator.models import Round
from reviews.enums import RankingMethod
from reviews.exports import XLSX_CONTENT_TYPE, export_response
from reviews.models import Shortlist, ShortlistEntry
from reviews.shortlists import (
    MAX_SIZE,
    add_to_shortlist,
    create_shortlist,
    publish_shortlist,
    remove_from_shortlist,
)


class FileRenderer(BaseRenderer):
    """Lets a client ask for the file's own type (the view streams the file itself)."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class CSVRenderer(FileRenderer):
    media_type = "text/csv"
    format = "csv"


class XLSXRenderer(FileRenderer):
    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"


class CoordinatorAPIView:
    permission_classes = [IsCoordinator]


class FileDownloadView(CoordinatorAPIView, APIView):
    """A file in its own media type; an error is JSON, labelled as JSON, whatever `Accept` asked
    for, so a client that saves the body never stores an error page as the file."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


# --- serializers ---------------------------------------------------------------------------


class ShortlistEntrySerializer(serializers.ModelSerializer):
    startup_name = serializers.CharField(source="application.startup.name", read_only=True)
    project_name = serializers.CharField(source="application.project_name", read_only=True)
    status = serializers.ChoiceField(
        source="application.status", choices=ApplicationStatus.choices, read_only=True
    )
    jurisdiction = serializers.SerializerMethodField()

    class Meta:
        model = ShortlistEntry
        fields = [
            "rank",
            "application",
            "startup_name",
            "project_name",
            "jurisdiction",
            "raw_score",
            "normalized_score",
            "calibrated_score",
            "spread",
            "review_count",
            "status",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=Jurisdiction.choices))
    def get_jurisdiction(self, entry: ShortlistEntry) -> str:
        return jurisdiction_of_region(entry.application.startup.region)


QUOTAS_HELP = (
    "Least entries per jurisdiction (mainland, hong_kong, macau), e.g. "
    '{"hong_kong": 3, "macau": 2}: where one is not met by rank, the best-ranked applications '
    "of that jurisdiction take the last places."
)


class ShortlistSerializer(serializers.ModelSerializer):
    quotas = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text=QUOTAS_HELP
    )
    unmet_quotas = serializers.DictField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="How many entries each quota fell short by; empty when all were met.",
    )
    entries = ShortlistEntrySerializer(many=True, read_only=True)
    entry_count = serializers.IntegerField(read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    published_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Shortlist
        fields = [
            "id",
            "round",
            "name",
            "method",
            "size",
            "min_score",
            "filters",
            "quotas",
            "unmet_quotas",
            "created_by",
            "created_at",
            "published_at",
            "published_by",
            "entry_count",
            "entries",
        ]
        read_only_fields = fields


class ShortlistCreateSerializer(serializers.Serializer):
    round = serializers.PrimaryKeyRelatedField(queryset=Round.objects.all())
    name = serializers.CharField(max_length=200)
    method = serializers.ChoiceField(choices=RankingMethod.choices, default=RankingMethod.RAW)
    size = serializers.IntegerField(
        min_value=1, max_value=MAX_SIZE, required=False, allow_null=True
    )
    min_score = serializers.FloatField(required=False, allow_null=True)
    track = serializers.ChoiceField(choices=Track.choices, required=False, allow_null=True)
    region = serializers.ChoiceField(choices=Region.choices, required=False, allow_null=True)
    needs = serializers.ChoiceField(choices=ServiceKind.choices, required=False, allow_null=True)
    min_reviews = serializers.IntegerField(
        min_value=0, max_value=MAX_SIZE, required=False, allow_null=True
    )
    status = serializers.ChoiceField(
        choices=ApplicationStatus.choices, required=False, allow_null=True
    )
    quotas = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_SIZE),
        required=False,
        allow_empty=True,
        help_text=QUOTAS_HELP,
    )

    def validate(self, attrs):
        if attrs.get("size") is None and attrs.get("min_score") is None:
            raise serializers.ValidationError(
                {"size": [_("Give a size (the top N), a minimum score, or both.")]}
            )
        return attrs


class EntryChangeSerializer(serializers.Serializer):
    application = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=500)


class DecisionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DECISION_CHOICES)
    note = serializers.CharField(
        max_length=DECISION_NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Internal: coordinators read it in the history; the start-up never does.",
    )
    message_to_applicant = serializers.CharField(
        max_length=DECISION_NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Optional: shown on the start-up's application page and sent in the e-mail "
        "that tells it of the decision.",
    )


# --- documentation helpers -----------------------------------------------------------------

ERRORS = error_responses(401, 403)
NOT_FOUND = error_responses(404)
BAD_VALUE = error_responses(400)
CONFLICT = error_responses(409)


def shortlist_queryset():
    entries = ShortlistEntry.objects.select_related("application__startup").order_by("rank", "id")
    return (
        Shortlist.objects.select_related("created_by", "published_by")
        .annotate(entry_count=Count("entries"))
        .prefetch_related(Prefetch("entries", queryset=entries))
        .order_by("-created_at", "-id")
    )


def shortlist_response(shortlist: Shortlist, code: int = status.HTTP_200_OK) -> Response:
    fresh = shortlist_queryset().get(pk=shortlist.pk)
    return Response(ShortlistSerializer(fresh).data, status=code)


# --- views ---------------------------------------------------------------------------------


class ShortlistFilter(django_filters.FilterSet):
    round = IdFilter(field_name="round_id", help_text="Only this round's shortlists.")

    class Meta:
        model = Shortlist
        fields = ["round"]


@extend_schema(tags=["shortlists"])
class ShortlistListView(CoordinatorAPIView, generics.GenericAPIView):
    serializer_class = ShortlistSerializer
    filterset_class = ShortlistFilter

    def get_queryset(self):
        return shortlist_queryset()

    @extend_schema(
        summary="List shortlists (newest first)",
        responses={200: ShortlistSerializer(many=True), **BAD_VALUE, **ERRORS, **NOT_FOUND},
    )
    def get(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(ShortlistSerializer(page, many=True).data)

    @extend_schema(
        summary="Create a shortlist: a frozen snapshot of the round's ranking",
        request=ShortlistCreateSerializer,
        responses={201: ShortlistSerializer, **BAD_VALUE, **ERRORS},
        examples=[
            OpenApiExample(
                "Top ten in finance",
                value={"round": 1, "name": "Finance top 10", "size": 10, "track": "finance"},
                request_only=True,
            )
        ],
    )
    def post(self, request):
        data = ShortlistCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shortlist = create_shortlist(actor=request.user, **data.validated_data)
        return shortlist_response(shortlist, status.HTTP_201_CREATED)


@extend_schema(tags=["shortlists"])
class ShortlistDetailView(CoordinatorAPIView, APIView):
    @extend_schema(
        summary="A shortlist with its entries in rank order",
        responses={200: ShortlistSerializer, **ERRORS, **NOT_FOUND},
    )
    def get(self, request, pk: int):
        return Response(ShortlistSerializer(get_object_or_404(shortlist_queryset(), pk=pk)).data)


@extend_schema(tags=["shortlists"])
class ShortlistPublishView(CoordinatorAPIView, APIView):
    @extend_schema(
        summary="Publish: shortlist every entry's application and notify partners",
        description="Publishing again answers 200 and changes and sends nothing.",
        request=None,
        responses={200: ShortlistSerializer, **ERRORS, **NOT_FOUND, **CONFLICT},
    )
    def post(self, request, pk: int):
        shortlist = get_object_or_404(Shortlist, pk=pk)
        return shortlist_response(publish_shortlist(shortlist=shortlist, actor=request.user))


class _EntryChangeView(CoordinatorAPIView, APIView):
    def change(self, request, pk: int, service) -> Response:
        shortlist = get_object_or_404(Shortlist, pk=pk)
        data = EntryChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = Application.objects.filter(pk=data.validated_data["application"]).first()
        if application is None:
            return Response(
                {"application": [_("There is no application with this id.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        service(
            shortlist=shortlist,
            application=application,
            reason=data.validated_data["reason"],
            actor=request.user,
        )
        return shortlist_response(shortlist)


@extend_schema(tags=["shortlists"])
class ShortlistAddView(_EntryChangeView):
    @extend_schema(
        summary="Add an application to an unpublished shortlist, with a reason",
        description="The entry takes its rank and scores from today's ranking; the change is "
        "recorded with the reason. 409 once the shortlist is published or if already on it.",
        request=EntryChangeSerializer,
        responses={200: ShortlistSerializer, **BAD_VALUE, **ERRORS, **NOT_FOUND, **CONFLICT},
    )
    def post(self, request, pk: int):
        return self.change(request, pk, add_to_shortlist)


@extend_schema(tags=["shortlists"])
class ShortlistRemoveView(_EntryChangeView):
    @extend_schema(
        summary="Remove an application from an unpublished shortlist, with a reason",
        request=EntryChangeSerializer,
        responses={200: ShortlistSerializer, **BAD_VALUE, **ERRORS, **NOT_FOUND, **CONFLICT},
    )
    def post(self, request, pk: int):
        return self.change(request, pk, remove_from_shortlist)


def _export_shortlist(pk: int) -> Shortlist:
    return get_object_or_404(Shortlist.objects.select_related("round"), pk=pk)


@extend_schema(tags=["shortlists"])
class ShortlistCSVView(FileDownloadView):
    renderer_classes = [CSVRenderer]

    @extend_schema(
        summary="The shortlist as CSV (UTF-8 with a byte-order mark), streamed",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV file."),
            **ERRORS,
            **NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        return export_response(
            _export_shortlist(pk),
            "csv",
            language=request.LANGUAGE_CODE,
            actor=request.user,
            via="api",
        )


@extend_schema(tags=["shortlists"])
class ShortlistXLSXView(FileDownloadView):
    renderer_classes = [XLSXRenderer]

    @extend_schema(
        summary="The shortlist as an Excel workbook (XLSX)",
        responses={
            (200, XLSX_CONTENT_TYPE): OpenApiResponse(
                OpenApiTypes.BINARY, description="The XLSX file."
            ),
            **ERRORS,
            **NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        return export_response(
            _export_shortlist(pk),
            "xlsx",
            language=request.LANGUAGE_CODE,
            actor=request.user,
            via="api",
        )


@extend_schema(tags=["applications"])
class ApplicationDecisionView(CoordinatorAPIView, APIView):
    @extend_schema(
        summary="Decide: shortlisted, accepted, waitlisted or rejected",
        description="`note` stays internal (coordinators only); `message_to_applicant`, "
        "optional, reaches the start-up on its application page and in the decision's e-mail.",
        request=DecisionSerializer,
        responses={
            200: ApplicationSerializer,
            **BAD_VALUE,
            **ERRORS,
            **NOT_FOUND,
            **CONFLICT,
        },
    )
    def post(self, request, pk: int):
        application = get_object_or_404(
            Application.objects.select_related("startup").prefetch_related("attachments"), pk=pk
        )
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decide_application(application=application, actor=request.user, **data.validated_data)
        # The request in the context makes attachment URLs absolute, as everywhere else.
        return Response(ApplicationSerializer(application, context={"request": request}).data)


urlpatterns = [
    path("shortlists/", ShortlistListView.as_view(), name="shortlist-list"),
    path("shortlists/<int:pk>/", ShortlistDetailView.as_view(), name="shortlist-detail"),
    path("shortlists/<int:pk>/publish/", ShortlistPublishView.as_view(), name="shortlist-publish"),
    path("shortlists/<int:pk>/add/", ShortlistAddView.as_view(), name="shortlist-add"),
    path("shortlists/<int:pk>/remove/", ShortlistRemoveView.as_view(), name="shortlist-remove"),
    path("shortlists/<int:pk>/export.csv", ShortlistCSVView.as_view(), name="shortlist-csv"),
    path("shortlists/<int:pk>/export.xlsx", ShortlistXLSXView.as_view(), name="shortlist-xlsx"),
    path(
        "applications/<int:pk>/decision/",
        ApplicationDecisionView.as_view(),
        name="application-decision",
    ),
]
