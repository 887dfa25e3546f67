from django.urls import path
from rest_framework.routers import SimpleRouter

from . import teams
from .views import ApplicationViewSet, RegisterView, StartupViewSet

router = SimpleRouter(trailing_slash=True, use_regex_path=False)
router.register("applications", ApplicationViewSet, basename="application")
router.register("startups", StartupViewSet, basename="startup")

urlpatterns = [
    path("auth/register/", RegisterView.as_view(), name="auth-register"),
    *router.urls,
    path("startups/<int:id>/members/", teams.MembersView.as_view(), name="startup-members"),
    path(
        "startups/<int:id>/members/<int:user>/",
        teams.MemberView.as_view(),
        name="startup-member",
    ),
    path(
        "startups/<int:id>/invitations/",
        teams.StartupInvitationsView.as_view(),
        name="startup-invitations",
    ),
    path(
        "startups/<int:id>/invitations/<int:invitation>/",
        teams.StartupInvitationView.as_view(),
        name="startup-invitation",
    ),
    path(
        "providers/<int:id>/invitations/",
        teams.ProviderInvitationsView.as_view(),
        name="provider-invitations",
    ),
    path(
        "providers/<int:id>/invitations/<int:invitation>/",
        teams.ProviderInvitationView.as_view(),
        name="provider-invitation",
    ),
    path("invitations/accept/", teams.AcceptInvitationView.as_view(), name="invitation-accept"),
]
