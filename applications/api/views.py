"""Start-up and application endpoints: authenticate, check, validate, call one service."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incubator.api.schema import RETRY_AFTER, error_responses
from incubator.api.throttles import RegisterRateThrottle
from incubator.permissions import is_coordinator
from incubator.uploads import declared_body_too_large, limit_uploads, too_large_message
from notifications.api.audit import AuditEventSerializer

from .. import consent, governance, selectors, services
from ..models import Application
from ..permissions import (
    can_act_for_application,
    can_change_startup,
    can_export_startup,
    can_read_internal_notes,
    history_actor_label,
)
from .filters import ApplicationFilter
from .serializers import (
    ApplicationCreateSerializer,
    ApplicationFieldsSerializer,
    ApplicationSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    ConsentInputSerializer,
    ConsentStateSerializer,
    RegisteredSerializer,
    RegisterSerializer,
    StartupSerializer,
    StartupUpdateSerializer,
    StatusChangeSerializer,
    WithdrawSerializer,
)


class UploadTooLarge(APIException):
    # A bad value of `file`, so a 400 naming it, as DESIGN.md §8 gives for a wrong size.
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "too_large"

    def __init__(self) -> None:
        super().__init__({"file": [too_large_message()]})


@extend_schema_view(
    list=extend_schema(
        summary="Applications visible to the user",
        description="Start-up members see their own start-ups' applications, reviewers those "
        "assigned to them, coordinators all.",
        responses={200: ApplicationSerializer(many=True), **error_responses(400, 401, 404)},
    ),
    retrieve=extend_schema(
        summary="One application",
        responses={200: ApplicationSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="Start a draft application",
        description="The round must be open now; one application per start-up per round.",
        request=ApplicationCreateSerializer,
        responses={201: ApplicationSerializer, **error_responses(400, 401, 403, 409, 415)},
    ),
    partial_update=extend_schema(
        summary="Change a draft",
        request=ApplicationFieldsSerializer(partial=True),
        responses={200: ApplicationSerializer, **error_responses(400, 401, 403, 404, 409, 415)},
    ),
    destroy=extend_schema(
        summary="Delete a draft",
        responses={204: None, **error_responses(401, 403, 404, 409)},
    ),
)
class ApplicationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    # Ids are integers in the URL (a malformed one gets the API's JSON 404) and in the schema.
    lookup_value_converter = "int"
    queryset = Application.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self):
        return selectors.application_list(user=self.request.user)

    def initial(self, request: Request, *args, **kwargs) -> None:
        if self.action == "attachments":
            # Before anything reads the body (a session's CSRF check reads the form): refuse
            # by the declared length, and stop reading once the files pass the limit.
            if declared_body_too_large(request):
                raise UploadTooLarge
            self.upload_limit = limit_uploads(request)
        super().initial(request, *args, **kwargs)

    def get_object(self) -> Application:
        application = selectors.get_visible_application(
            user=self.request.user, pk=self.kwargs["pk"]
        )
        self.check_object_permissions(self.request, application)
        return application

    def _owned(self) -> Application:
        """A visible application that the user may also change (a member of its start-up)."""
        application = self.get_object()
        if not can_act_for_application(self.request.user, application):
            raise PermissionDenied(
                _("Only the start-up's own members may change its applications.")
            )
        return application

    def _answer(self, application: Application, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.application_list(user=self.request.user).get(pk=application.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    def create(self, request: Request) -> Response:
        # Who may apply is decided before the body is read: only start-up members, so anyone
        # else gets 403 whatever they send (DESIGN.md §6).
        startups = list(request.user.startups.all()[:2])
        if not startups:
            raise PermissionDenied(_("Only start-up members can apply."))
        serializer = ApplicationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        startup = data.pop("startup", None)
        if startup is None:
            if len(startups) > 1:
                return Response(
                    {"startup": [_("You belong to several start-ups: say which one applies.")]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
            startup = startups[0]
        application = services.create_draft(actor=request.user, startup=startup, **data)
        return self._answer(application, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        application = self._owned()
        serializer = ApplicationFieldsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        application = services.update_draft(
            actor=request.user, application=application, **serializer.validated_data
        )
        return self._answer(application)

    def destroy(self, request: Request, pk: str) -> Response:
        services.delete_draft(actor=request.user, application=self._owned())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Submit a draft",
        description="Needs the round open now, track, stage, summary, funding amount and "
        "currency, at least one need, an answer to every required question of the round and a "
        "pitch deck; a 409 names everything missing (answers as `answers.<key>`).",
        request=None,
        responses={200: ApplicationSerializer, **error_responses(401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        application = services.submit_application(actor=request.user, application=self._owned())
        return self._answer(application)

    @extend_schema(
        summary="Withdraw an application",
        description="Possible until a decision has been made.",
        request=WithdrawSerializer,
        responses={200: ApplicationSerializer, **error_responses(400, 401, 403, 404, 409, 415)},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        application = self._owned()
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = services.withdraw_application(
            actor=request.user, application=application, note=serializer.validated_data["note"]
        )
        return self._answer(application)

    @extend_schema(
        summary="The application's consent to share with providers",
        description="DESIGN.md §12. GET: who may see the application. POST (the start-up's "
        "members only): `share_with`, each among the needs; narrowing or withdrawing at any "
        "time, widening until a decision (409 after). Every change is recorded with its time, "
        "actor and consent text version; a withdrawal tells the providers that received the "
        "start-up (webhook `consent.withdrawn`).",
        request=ConsentInputSerializer,
        responses={
            200: ConsentStateSerializer,
            **error_responses(400, 401, 403, 404, 409, 415),
        },
    )
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=None,
        filter_backends=[],
        serializer_class=ConsentStateSerializer,
    )
    def consent(self, request: Request, pk: str) -> Response:
        if request.method == "POST":
            application = self._owned()
            serializer = ConsentInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            application = consent.change_consent(
                actor=request.user,
                application=application,
                share_with=serializer.validated_data["share_with"],
            )
        else:
            application = self.get_object()
        history = consent.consent_history(application)
        return Response(ConsentStateSerializer(application, context={"history": history}).data)

    @extend_schema(
        summary="The application's status history",
        description="Every status change, oldest first, for whoever may see the application. "
        "`message_to_applicant` is what the coordinators told the start-up; `note`, internal, "
        "is present for coordinators only. Staff and automatic changes are labelled "
        '"The programme" for everyone but coordinators.',
        responses={200: StatusChangeSerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: str) -> Response:
        application = self.get_object()
        user = request.user
        reader_is_member = can_act_for_application(user, application)
        changes = list(selectors.application_history(application=application))
        for change in changes:
            change.actor_label = history_actor_label(
                change, reader=user, reader_is_member=reader_is_member
            )
        context = {"internal_notes": can_read_internal_notes(user)}
        return Response(StatusChangeSerializer(changes, many=True, context=context).data)

    @extend_schema(
        summary="The application's audit events, in seq order",
        description="Coordinators read every event about the application (its assignments and "
        "reviews included); the start-up's members read the application's and its files' "
        "events only, exactly as hashed (personal data as HMACs, actors as user ids). Anyone "
        "else who may see the application (an assigned reviewer) gets 403.",
        responses={200: AuditEventSerializer(many=True), **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def audit(self, request: Request, pk: str) -> Response:
        application = self.get_object()
        user = request.user
        if not (is_coordinator(user) or can_act_for_application(user, application)):
            raise PermissionDenied(
                _("Only the start-up's members and coordinators read its audit trail.")
            )
        events = governance.application_events(application=application, reader=user)
        page = self.paginate_queryset(events)
        return self.get_paginated_response([governance.event_dict(e) for e in page])

    @extend_schema(
        summary="Attach a file to a draft",
        description="The type is decided from the file's bytes; the name's extension must "
        "agree. A new pitch deck or business licence replaces the previous one. A file larger "
        "than MAX_UPLOAD_MB answers 400 naming `file`, refused by the declared length before the "
        "body is read (or as soon as the reading passes the limit).",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={
            201: AttachmentSerializer,
            **error_responses(400, 401, 403, 404, 409, 415),
        },
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def attachments(self, request: Request, pk: str) -> Response:
        application = self._owned()
        data = request.data
        if self.upload_limit.exceeded:
            raise UploadTooLarge
        serializer = AttachmentUploadSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        attachment = services.add_attachment(
            actor=request.user,
            application=application,
            kind=serializer.validated_data["kind"],
            uploaded=serializer.validated_data["file"],
        )
        return Response(
            AttachmentSerializer(attachment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    list=extend_schema(
        summary="Start-ups",
        description="Members see their own and coordinators all, in full; reviewers see the "
        "start-ups of their assigned, non-conflicted applications: `id`, `name`, `region`, "
        "`website` and `team_size` only.",
        responses={200: StartupSerializer(many=True), **error_responses(401, 404)},
    ),
    retrieve=extend_schema(
        summary="One start-up", responses={200: StartupSerializer, **error_responses(401, 404)}
    ),
    partial_update=extend_schema(
        summary="Change a start-up's profile (its members only)",
        request=StartupUpdateSerializer,
        responses={200: StartupSerializer, **error_responses(400, 401, 403, 404, 415)},
    ),
)
class StartupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = StartupSerializer
    http_method_names = ["get", "patch", "head", "options"]
    lookup_value_converter = "int"

    def get_queryset(self):
        return selectors.startups_visible_to(user=self.request.user).order_by("name", "pk")

    def get_object(self):
        return selectors.get_visible_startup(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(
        summary="Everything held about the start-up, as JSON",
        description="Its owner only: `profile`, `members`, `applications` (each with its "
        "attachments' metadata and status history), `notifications` (sent to its contact "
        "address or its members) and `audit_events` (its applications' and files').",
        responses={200: OpenApiTypes.OBJECT, **error_responses(401, 403, 404)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def export(self, request: Request, pk: str) -> Response:
        startup = self.get_object()
        if not can_export_startup(request.user, startup):
            raise PermissionDenied(_("Only the start-up's owner may export its data."))
        return Response(governance.startup_export(startup))

    def partial_update(self, request: Request, pk: str) -> Response:
        startup = self.get_object()
        if not can_change_startup(request.user, startup):
            raise PermissionDenied(_("Only the start-up's own members may change its profile."))
        serializer = StartupUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.update_startup_profile(
            actor=request.user, startup=startup, **serializer.validated_data
        )
        fresh = selectors.get_visible_startup(user=request.user, pk=startup.pk)
        return Response(StartupSerializer(fresh).data)


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [RegisterRateThrottle]

    @extend_schema(
        summary="Register a start-up and its first user",
        description="Requests from one address are limited to `THROTTLE_AUTH` (429).",
        request=RegisterSerializer,
        responses={201: RegisteredSerializer, **error_responses(400, 415, 429)},
        parameters=[RETRY_AFTER],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, startup = services.register_startup(
            **serializer.validated_data, language=get_language()
        )
        token, _created = Token.objects.get_or_create(user=user)
        body = {
            "user": {"id": user.pk, "username": user.username, "email": user.email},
            "startup": {"id": startup.pk, "name": startup.name, "region": startup.region},
            "token": token.key,
        }
        return Response(body, status=status.HTTP_201_CREATED)
