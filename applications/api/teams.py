"""Teams and invitations (DESIGN.md §11, §12): a start-up's members, its owners' invitations,
a coordinator's invitations of partner users, and accepting an invitation.

Who may act is decided before the body is read: the start-up must be visible (404 otherwise),
then the role is checked (403), then the body is validated and one service called.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incubator.api.permissions import IsCoordinator
from incubator.api.schema import RETRY_AFTER, error_responses
from incubator.api.throttles import AddressRateThrottle
from incubator.models import ServiceProvider

from .. import selectors, teams
from ..enums import MembershipRole
from ..models import Invitation, Membership, Startup
from ..permissions import can_see_team, is_owner
from .serializers import UserSummarySerializer


class AcceptRateThrottle(AddressRateThrottle):
    # Accepting anonymously makes an account: the same per-address rate as registering.
    scope = "invitation-accept"


class MemberSerializer(serializers.Serializer):
    user = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.username")
    email = serializers.EmailField(source="user.email")
    role = serializers.ChoiceField(choices=MembershipRole.choices)
    joined_at = serializers.DateTimeField()


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=MembershipRole.choices)


class InviteSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    expires_at = serializers.DateTimeField()


class AcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200, trim_whitespace=True)
    username = serializers.CharField(max_length=150, required=False)
    password = serializers.CharField(
        max_length=128, required=False, write_only=True, trim_whitespace=False
    )


class AcceptedSerializer(serializers.Serializer):
    """Accepted by a logged-in user (200): what they joined."""

    user = serializers.IntegerField()
    startup = serializers.IntegerField(allow_null=True)
    provider = serializers.IntegerField(allow_null=True)


class SignedUpSerializer(serializers.Serializer):
    """Accepted anonymously (201): the new account and its API token."""

    user = UserSummarySerializer()
    token = serializers.CharField()


def _team_startup(request: Request, pk: int) -> Startup:
    """The start-up if the user may see its team: 404 when they may not know it exists, 403
    when they know it (a reviewer of its application) but are not in it."""
    startup = selectors.get_visible_startup(user=request.user, pk=pk)
    if not can_see_team(request.user, startup):
        raise PermissionDenied(_("Only the start-up's members and coordinators see its team."))
    return startup


def _owned_startup(request: Request, pk: int) -> Startup:
    startup = _team_startup(request, pk)
    if not is_owner(request.user, startup):
        raise PermissionDenied(_("Only the start-up's owners manage its team."))
    return startup


class MembersView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="startups_members_list",
        summary="A start-up's team",
        description="Members and coordinators: every member with their role and join time.",
        responses={200: MemberSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: int) -> Response:
        startup = _team_startup(request, id)
        return Response(MemberSerializer(selectors.team(startup=startup), many=True).data)


class MemberView(APIView):
    permission_classes = [IsAuthenticated]

    def _startup(self, request: Request, id: int, user: int) -> Startup:
        startup = _team_startup(request, id)
        # Leaving needs no more than membership; everything else is the owners'.
        if request.user.pk != user and not is_owner(request.user, startup):
            raise PermissionDenied(_("Only the start-up's owners manage its team."))
        return startup

    @extend_schema(
        operation_id="startups_members_destroy",
        summary="Remove a member, or leave",
        description="An owner removes any member; a member removes themself. The last owner "
        "cannot go (409).",
        responses={204: None, **error_responses(401, 403, 404, 409)},
    )
    def delete(self, request: Request, id: int, user: int) -> Response:
        startup = self._startup(request, id, user)
        try:
            teams.remove_member(actor=request.user, startup=startup, user_id=user)
        except Membership.DoesNotExist as error:
            raise Http404(_("No such member.")) from error
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="startups_members_partial_update",
        summary="Change a member's role",
        description="Owners only. Demoting the last owner answers 409.",
        request=RoleSerializer,
        responses={200: MemberSerializer, **error_responses(400, 401, 403, 404, 409, 415)},
    )
    def patch(self, request: Request, id: int, user: int) -> Response:
        startup = _owned_startup(request, id)
        serializer = RoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            membership = teams.change_member_role(
                actor=request.user,
                startup=startup,
                user_id=user,
                role=serializer.validated_data["role"],
            )
        except Membership.DoesNotExist as error:
            raise Http404(_("No such member.")) from error
        membership = Membership.objects.select_related("user").get(pk=membership.pk)
        return Response(MemberSerializer(membership).data)


class StartupInvitationsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="startups_invitations_list",
        summary="A start-up's pending invitations",
        description="Owners only: the invitations not yet accepted, revoked or expired.",
        responses={200: InvitationSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: int) -> Response:
        startup = _owned_startup(request, id)
        pending = selectors.pending_invitations(startup=startup)
        return Response(InvitationSerializer(pending, many=True).data)

    @extend_schema(
        operation_id="startups_invitations_create",
        summary="Invite someone to the team",
        description="Owners only. E-mails a one-time link, valid 7 days, in the start-up's "
        "language. An address already in the team answers 409; inviting an address again "
        "replaces its pending invitation.",
        request=InviteSerializer,
        responses={201: InvitationSerializer, **error_responses(400, 401, 403, 404, 409, 415)},
    )
    def post(self, request: Request, id: int) -> Response:
        startup = _owned_startup(request, id)
        serializer = InviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation, _token = teams.invite_to_startup(
            actor=request.user, startup=startup, email=serializer.validated_data["email"]
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class StartupInvitationView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="startups_invitations_destroy",
        summary="Revoke a pending invitation",
        description="Owners only; an invitation already used, revoked or expired answers 409.",
        responses={204: None, **error_responses(401, 403, 404, 409)},
    )
    def delete(self, request: Request, id: int, invitation: int) -> Response:
        startup = _owned_startup(request, id)
        found = get_object_or_404(Invitation, pk=invitation, startup=startup)
        teams.revoke_invitation(actor=request.user, invitation=found)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProviderInvitationsView(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(
        operation_id="providers_invitations_list",
        summary="A provider's pending invitations",
        responses={200: InvitationSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, id: int) -> Response:
        provider = get_object_or_404(ServiceProvider, pk=id)
        pending = selectors.pending_invitations(provider=provider)
        return Response(InvitationSerializer(pending, many=True).data)

    @extend_schema(
        operation_id="providers_invitations_create",
        summary="Invite a partner user for a provider",
        description="Coordinators only. E-mails a one-time link, valid 7 days, in the "
        "provider's language; accepting it makes the user a partner of this provider.",
        request=InviteSerializer,
        responses={201: InvitationSerializer, **error_responses(400, 401, 403, 404, 409, 415)},
    )
    def post(self, request: Request, id: int) -> Response:
        provider = get_object_or_404(ServiceProvider, pk=id)
        serializer = InviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation, _token = teams.invite_to_provider(
            actor=request.user, provider=provider, email=serializer.validated_data["email"]
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class ProviderInvitationView(APIView):
    permission_classes = [IsCoordinator]

    @extend_schema(
        operation_id="providers_invitations_destroy",
        summary="Revoke a provider's pending invitation",
        responses={204: None, **error_responses(401, 403, 404, 409)},
    )
    def delete(self, request: Request, id: int, invitation: int) -> Response:
        found = get_object_or_404(Invitation, pk=invitation, provider_id=id)
        teams.revoke_invitation(actor=request.user, invitation=found)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AcceptInvitationView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [AcceptRateThrottle]

    @extend_schema(
        summary="Accept an invitation",
        description='Logged in: `{"token"}` → 200, the user joins the start-up\'s team (or '
        'becomes a partner user of the provider). Anonymous: `{"token", "username", '
        '"password"}` → 201 `{"user", "token"}`, a new account with the invitation\'s '
        "address that joins at once. An unknown, expired, used or revoked token answers 400; "
        "joining a team one is in already, or a second provider, 409.",
        request=AcceptSerializer,
        responses={
            200: AcceptedSerializer,
            201: SignedUpSerializer,
            **error_responses(400, 409, 415, 429),
        },
        parameters=[RETRY_AFTER],
    )
    def post(self, request: Request) -> Response:
        serializer = AcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if request.user.is_authenticated:
            invitation, user, _created = teams.accept_invitation(
                token=data["token"], user=request.user
            )
            body = {
                "user": user.pk,
                "startup": invitation.startup_id,
                "provider": invitation.provider_id,
            }
            return Response(body)
        missing = {
            name: [_("This field is required to create your account.")]
            for name in ("username", "password")
            if not data.get(name)
        }
        if missing:
            raise serializers.ValidationError(missing)
        _invitation, user, _created = teams.accept_invitation(
            token=data["token"], username=data["username"], password=data["password"]
        )
        token, _created = Token.objects.get_or_create(user=user)
        body = {
            "user": {"id": user.pk, "username": user.username, "email": user.email},
            "token": token.key,
        }
        return Response(body, status=status.HTTP_201_CREATED)
