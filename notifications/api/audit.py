"""The audit trail over HTTP (DESIGN.md §13): events and verification for coordinators,
checkpoints and the public key for anyone. Here, not in `audit` (which imports nothing of ours),
because the coordinator's permission and the witnesses' webhooks live in the layers between.

Every event is shown exactly as hashed (`audit.services.hashed_fields`) with its `hash`, so anyone
can recompute each hash from these answers.
"""

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.checkpoints import ALGORITHM, SigningKeyMissing, as_dict, public_key_base64
from audit.models import AuditEvent, Checkpoint
from audit.services import hashed_fields
from audit.verification import verify_chain
from incubator.api.filters import IdFilter
from incubator.api.permissions import IsCoordinator
from incubator.api.schema import error_responses
from incubator.exceptions import WorkflowError

from ..witnesses import checkpoint_and_tell_witnesses

ERRORS = error_responses(401, 403)
BAD_REQUEST = error_responses(400)


class NoSigningKey(WorkflowError):
    """The site has no signing key: a checkpoint cannot be made now (409)."""


class AuditEventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.CharField(help_text="UTC with six digits of microseconds and Z, as hashed.")
    actor = serializers.IntegerField(allow_null=True, help_text="A user id; null for the system.")
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    data = serializers.JSONField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()

    def to_representation(self, event: AuditEvent) -> dict:
        return {**hashed_fields(event), "hash": event.hash}


class CheckpointSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    hash = serializers.CharField()
    at = serializers.CharField(help_text="The time of signing, in the events' format.")
    signature = serializers.CharField(
        help_text='Base64 Ed25519 signature of the canonical JSON of {"seq", "hash", "at"}.'
    )

    def to_representation(self, checkpoint: Checkpoint) -> dict:
        return as_dict(checkpoint)


class AuditEventFilter(django_filters.FilterSet):
    object_type = django_filters.CharFilter(help_text="application, review, round, …")
    object_id = django_filters.CharFilter(help_text="The object's id (with object_type).")
    action = django_filters.CharFilter(help_text="application.submitted, review.saved, …")
    actor = IdFilter(help_text="A user's id: the events that user caused.")
    after_seq = IdFilter(
        field_name="seq", lookup_expr="gt", help_text="Only events after this seq."
    )

    class Meta:
        model = AuditEvent
        fields = ["object_type", "object_id", "action", "actor", "after_seq"]


@extend_schema_view(
    get=extend_schema(
        summary="The audit trail's events, in seq order",
        responses={200: AuditEventSerializer(many=True), **ERRORS, **BAD_REQUEST},
    )
)
class AuditEventListView(generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticated, IsCoordinator]
    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.order_by("seq")
    filterset_class = AuditEventFilter


VERIFICATION = inline_serializer(
    "AuditVerification",
    {
        "ok": serializers.BooleanField(),
        "length": serializers.IntegerField(),
        "head": serializers.CharField(),
        "first_bad_seq": serializers.IntegerField(allow_null=True),
    },
)


class AuditVerifyView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsCoordinator]

    @extend_schema(
        summary="Recompute every hash of the chain",
        responses={200: VERIFICATION, **ERRORS},
        description="`ok`; `length`: the events read; `head`: the last hash that verified (the "
        "chain's head when ok); `first_bad_seq`: the first event that does not verify, or null.",
    )
    def get(self, request: Request) -> Response:
        return Response(verify_chain().as_dict())


class CheckpointPermission(permissions.BasePermission):
    """Anyone reads the checkpoints; only a coordinator makes one."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return IsCoordinator().has_permission(request, view)


@extend_schema_view(
    get=extend_schema(
        summary="The signed checkpoints, oldest first",
        responses={200: CheckpointSerializer(many=True), **BAD_REQUEST},
        auth=[],
    ),
    post=extend_schema(
        summary="Make a checkpoint now (and send it to the witnesses)",
        request=None,
        responses={201: CheckpointSerializer, **ERRORS, **error_responses(409)},
    ),
)
class CheckpointListView(generics.ListCreateAPIView):
    permission_classes = [CheckpointPermission]
    serializer_class = CheckpointSerializer
    queryset = Checkpoint.objects.order_by("seq", "pk")

    def create(self, request: Request, *args, **kwargs) -> Response:
        try:
            checkpoint = checkpoint_and_tell_witnesses()
        except SigningKeyMissing as error:
            raise NoSigningKey(str(error)) from error
        return Response(CheckpointSerializer(checkpoint).data, status=status.HTTP_201_CREATED)


class PublicKeyView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="The public key that checks the checkpoints' signatures",
        responses={
            200: inline_serializer(
                "AuditPublicKey",
                {"algorithm": serializers.CharField(), "public_key": serializers.CharField()},
            ),
            **error_responses(404),
        },
        auth=[],
    )
    def get(self, request: Request) -> Response:
        try:
            key = public_key_base64()
        except SigningKeyMissing:
            return Response(
                {"detail": _("The site has no signing key yet (AUDIT_SIGNING_KEY).")},
                status=status.HTTP_404_NOT_FOUND,
            )
        return Response({"algorithm": ALGORITHM, "public_key": key})
