"""Who may act is decided before the body is read (DESIGN.md §6; issue 11, item 5).

Every endpoint that takes a body is listed here with each role that may not use it and the
answer that role must get — 403, or 404 where the object must stay invisible — whatever the body
holds: values of the wrong type, a body that is not JSON at all, or nothing. A 400 would tell a
forbidden user which fields the endpoint takes and that it would have let them in.

Each app's `test_api_permission_first.py` runs its own rows; `tests/incubator` checks that the
rows cover every write operation in the OpenAPI schema.
"""

import json
from dataclasses import dataclass

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from applications.enums import ApplicationStatus
from applications.teams import invite_to_startup
from notifications.enums import NotificationStatus
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CoordinatorFactory,
    NotificationFactory,
    PartnerFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
    ServiceProviderFactory,
    ShortlistFactory,
    StartupFactory,
    UserFactory,
)

# Bodies that are wrong in every way a parser or a serializer could complain of.
BAD_JSON_VALUES = {
    "round": "not an id",
    "project_name": ["a", "list"],
    "status": "maybe",
    "note": {"a": "dict"},
    "name": None,
    "startup": "x",
    "reviewer": "x",
    "reason": 7,
    "application": "x",
    "size": -1,
    "scores": "x",
    "kind": "none",
    "email": "not an address",
    "webhook_url": 5,
    "share_with": "x",
}
BODIES = {
    "bad values": ("json", BAD_JSON_VALUES),
    "not JSON": ("raw", b"{this is not json"),
    "empty": ("json", {}),
}


@dataclass(frozen=True)
class Case:
    app: str  # the app whose api/ module serves the endpoint
    method: str
    path: str  # with {names} filled from the world
    role: str
    expected: int

    @property
    def operation(self) -> tuple[str, str]:
        """(METHOD, path as the OpenAPI schema writes it)."""
        path = self.path
        for name in (
            "draft",
            "submitted",
            "startup",
            "review",
            "round",
            "shortlist",
            "provider",
            "notification",
        ):
            path = path.replace("{" + name + "}", "{id}")
        return self.method, path

    def __str__(self) -> str:
        return f"{self.method} {self.path} as {self.role}"


CASES = [
    # applications/api
    Case("applications", "POST", "/api/v1/applications/", "reviewer", 403),
    Case("applications", "POST", "/api/v1/applications/", "coordinator", 403),
    Case("applications", "PATCH", "/api/v1/applications/{draft}/", "other_founder", 404),
    Case("applications", "PATCH", "/api/v1/applications/{draft}/", "reviewer", 404),
    Case("applications", "PATCH", "/api/v1/applications/{submitted}/", "reviewer", 403),
    Case("applications", "PATCH", "/api/v1/applications/{draft}/", "coordinator", 403),
    Case("applications", "DELETE", "/api/v1/applications/{draft}/", "coordinator", 403),
    Case("applications", "DELETE", "/api/v1/applications/{draft}/", "other_founder", 404),
    Case("applications", "POST", "/api/v1/applications/{submitted}/submit/", "reviewer", 403),
    Case("applications", "POST", "/api/v1/applications/{draft}/submit/", "coordinator", 403),
    Case("applications", "POST", "/api/v1/applications/{submitted}/withdraw/", "reviewer", 403),
    Case("applications", "POST", "/api/v1/applications/{submitted}/withdraw/", "coordinator", 403),
    Case("applications", "POST", "/api/v1/applications/{draft}/withdraw/", "other_founder", 404),
    Case("applications", "POST", "/api/v1/applications/{draft}/attachments/", "coordinator", 403),
    Case("applications", "POST", "/api/v1/applications/{draft}/attachments/", "other_founder", 404),
    Case("applications", "PATCH", "/api/v1/startups/{startup}/", "coordinator", 403),
    Case("applications", "PATCH", "/api/v1/startups/{startup}/", "reviewer", 403),
    Case("applications", "PATCH", "/api/v1/startups/{startup}/", "other_founder", 404),
    # Teams (DESIGN.md §11): owners manage; a teammate (member, not owner) may only leave.
    Case("applications", "POST", "/api/v1/startups/{startup}/invitations/", "teammate", 403),
    Case("applications", "POST", "/api/v1/startups/{startup}/invitations/", "coordinator", 403),
    Case("applications", "POST", "/api/v1/startups/{startup}/invitations/", "reviewer", 403),
    Case("applications", "POST", "/api/v1/startups/{startup}/invitations/", "other_founder", 404),
    Case("applications", "POST", "/api/v1/startups/{startup}/invitations/", "partner", 404),
    Case(
        "applications",
        "DELETE",
        "/api/v1/startups/{startup}/invitations/{invitation}/",
        "teammate",
        403,
    ),
    Case(
        "applications",
        "DELETE",
        "/api/v1/startups/{startup}/invitations/{invitation}/",
        "other_founder",
        404,
    ),
    Case("applications", "DELETE", "/api/v1/startups/{startup}/members/{user}/", "teammate", 403),
    Case(
        "applications", "DELETE", "/api/v1/startups/{startup}/members/{user}/", "coordinator", 403
    ),
    Case(
        "applications", "DELETE", "/api/v1/startups/{startup}/members/{user}/", "other_founder", 404
    ),
    Case("applications", "PATCH", "/api/v1/startups/{startup}/members/{user}/", "teammate", 403),
    Case("applications", "PATCH", "/api/v1/startups/{startup}/members/{user}/", "reviewer", 403),
    Case(
        "applications", "PATCH", "/api/v1/startups/{startup}/members/{user}/", "other_founder", 404
    ),
    Case("applications", "POST", "/api/v1/providers/{provider}/invitations/", "founder", 403),
    Case("applications", "POST", "/api/v1/providers/{provider}/invitations/", "reviewer", 403),
    Case("applications", "POST", "/api/v1/providers/{provider}/invitations/", "partner", 403),
    Case(
        "applications",
        "DELETE",
        "/api/v1/providers/{provider}/invitations/{invitation}/",
        "founder",
        403,
    ),
    Case("applications", "POST", "/api/v1/applications/{draft}/consent/", "other_founder", 404),
    Case("applications", "POST", "/api/v1/applications/{draft}/consent/", "reviewer", 404),
    Case("applications", "POST", "/api/v1/applications/{draft}/consent/", "coordinator", 403),
    # The partner column (DESIGN.md §6): no application, start-up or staff endpoint is theirs.
    Case("applications", "POST", "/api/v1/applications/", "partner", 403),
    Case("applications", "PATCH", "/api/v1/applications/{draft}/", "partner", 404),
    Case("applications", "DELETE", "/api/v1/applications/{draft}/", "partner", 404),
    Case("applications", "POST", "/api/v1/applications/{draft}/submit/", "partner", 404),
    Case("applications", "POST", "/api/v1/applications/{submitted}/withdraw/", "partner", 404),
    Case("applications", "POST", "/api/v1/applications/{draft}/attachments/", "partner", 404),
    Case("applications", "POST", "/api/v1/applications/{draft}/consent/", "partner", 404),
    Case("applications", "PATCH", "/api/v1/startups/{startup}/", "partner", 404),
    # reviews/api
    Case("reviews", "POST", "/api/v1/applications/{submitted}/decision/", "reviewer", 403),
    Case("reviews", "POST", "/api/v1/applications/{submitted}/decision/", "founder", 403),
    Case("reviews", "POST", "/api/v1/conflicts/", "founder", 403),
    Case("reviews", "PUT", "/api/v1/reviews/{review}/", "coordinator", 403),
    Case("reviews", "PUT", "/api/v1/reviews/{review}/", "other_reviewer", 404),
    Case("reviews", "PUT", "/api/v1/reviews/{review}/", "founder", 403),
    Case("reviews", "POST", "/api/v1/reviews/{review}/submit/", "coordinator", 403),
    Case("reviews", "POST", "/api/v1/reviews/{review}/submit/", "other_reviewer", 404),
    Case("reviews", "POST", "/api/v1/reviewers/", "reviewer", 403),
    Case("reviews", "POST", "/api/v1/reviewers/", "founder", 403),
    Case("reviews", "POST", "/api/v1/rounds/{round}/assign/", "reviewer", 403),
    Case("reviews", "POST", "/api/v1/shortlists/", "reviewer", 403),
    Case("reviews", "POST", "/api/v1/shortlists/", "founder", 403),
    Case("reviews", "POST", "/api/v1/shortlists/{shortlist}/add/", "reviewer", 403),
    Case("reviews", "POST", "/api/v1/shortlists/{shortlist}/remove/", "reviewer", 403),
    Case("reviews", "POST", "/api/v1/shortlists/{shortlist}/publish/", "founder", 403),
    Case("reviews", "POST", "/api/v1/reviews/{review}/reopen/", "reviewer", 403),
    Case("reviews", "POST", "/api/v1/reviews/{review}/reopen/", "founder", 403),
    # The discussion: outside the panel the application stays invisible; its reviewer, whose
    # review is still a draft, may know it exists.
    Case("reviews", "POST", "/api/v1/applications/{submitted}/comments/", "founder", 404),
    Case("reviews", "POST", "/api/v1/applications/{submitted}/comments/", "other_reviewer", 404),
    Case("reviews", "POST", "/api/v1/applications/{submitted}/comments/", "reviewer", 403),
    Case("reviews", "POST", "/api/v1/applications/{submitted}/decision/", "partner", 403),
    Case("reviews", "POST", "/api/v1/conflicts/", "partner", 403),
    Case("reviews", "PUT", "/api/v1/reviews/{review}/", "partner", 403),
    Case("reviews", "POST", "/api/v1/reviews/{review}/submit/", "partner", 403),
    Case("reviews", "POST", "/api/v1/reviewers/", "partner", 403),
    Case("reviews", "POST", "/api/v1/rounds/{round}/assign/", "partner", 403),
    Case("reviews", "POST", "/api/v1/shortlists/", "partner", 403),
    Case("reviews", "POST", "/api/v1/shortlists/{shortlist}/add/", "partner", 403),
    Case("reviews", "POST", "/api/v1/shortlists/{shortlist}/remove/", "partner", 403),
    Case("reviews", "POST", "/api/v1/shortlists/{shortlist}/publish/", "partner", 403),
    # incubator/api
    Case("incubator", "POST", "/api/v1/rounds/", "reviewer", 403),
    Case("incubator", "POST", "/api/v1/rounds/", "founder", 403),
    Case("incubator", "PATCH", "/api/v1/rounds/{round}/", "reviewer", 403),
    Case("incubator", "POST", "/api/v1/rounds/", "partner", 403),
    Case("incubator", "PATCH", "/api/v1/rounds/{round}/", "partner", 403),
    # notifications/api
    Case("notifications", "POST", "/api/v1/providers/", "reviewer", 403),
    Case("notifications", "POST", "/api/v1/providers/", "founder", 403),
    Case("notifications", "PATCH", "/api/v1/providers/{provider}/", "reviewer", 403),
    Case("notifications", "POST", "/api/v1/providers/{provider}/rotate-secret/", "founder", 403),
    Case("notifications", "POST", "/api/v1/notifications/{notification}/retry/", "reviewer", 403),
    Case("notifications", "POST", "/api/v1/audit/checkpoints/", "reviewer", 403),
    Case("notifications", "POST", "/api/v1/audit/checkpoints/", "founder", 403),
    Case("notifications", "POST", "/api/v1/providers/", "partner", 403),
    Case("notifications", "PATCH", "/api/v1/providers/{provider}/", "partner", 403),
    Case("notifications", "POST", "/api/v1/providers/{provider}/rotate-secret/", "partner", 403),
    Case("notifications", "POST", "/api/v1/notifications/{notification}/retry/", "partner", 403),
    # partners/api: partner users only
    *[
        Case("partners", "POST", "/api/v1/partner/startups/{application}/interest/", role, 403)
        for role in ["founder", "reviewer", "coordinator"]
    ],
]

# Write operations anyone may call: there is no forbidden role to try.
OPEN_TO_ANYONE = {
    ("POST", "/api/v1/auth/register/"),
    ("POST", "/api/v1/auth/token/"),
    # Anyone holding an invitation's token; the token decides (400 when it is not usable).
    ("POST", "/api/v1/invitations/accept/"),
}


def build_world() -> dict:
    """One of everything the endpoints act on, and one user per role."""
    founder = UserFactory(username="founder")
    startup = StartupFactory(members=[founder])
    round_ = RoundFactory()
    draft = ApplicationFactory(startup=startup, round=round_)
    submitted = ApplicationFactory(
        startup=startup, round=RoundFactory(), status=ApplicationStatus.UNDER_REVIEW
    )
    reviewer = ReviewerFactory(username="mei")
    review = ReviewFactory(assignment=AssignmentFactory(application=submitted, reviewer=reviewer))
    other_founder = UserFactory(username="rival")
    StartupFactory(members=[other_founder])
    teammate = UserFactory(username="teammate")
    startup.members.add(teammate)
    invitation, _token = invite_to_startup(actor=founder, startup=startup, email="x@example.org")
    users = {
        "founder": founder,
        "other_founder": other_founder,
        "reviewer": reviewer,
        "other_reviewer": ReviewerFactory(username="lin"),
        "coordinator": CoordinatorFactory(username="grace"),
        "teammate": teammate,
        "partner": PartnerFactory(username="fund-analyst"),
    }
    objects = {
        "draft": draft.pk,
        "submitted": submitted.pk,
        "startup": startup.pk,
        "review": review.pk,
        "round": round_.pk,
        "shortlist": ShortlistFactory(round=round_).pk,
        "provider": ServiceProviderFactory().pk,
        "notification": NotificationFactory(status=NotificationStatus.FAILED).pk,
        "invitation": invitation.pk,
        "user": founder.pk,
        # The partner API names an application `{application}` (DESIGN.md §12).
        "application": draft.pk,
    }
    return {"users": users, "objects": objects}


def call(case: Case, world: dict, body: str):
    """Send the case's request with one of BODIES, authenticated by a token as the role."""
    user = world["users"][case.role]
    token, _created = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    path = case.path.format(**world["objects"])
    kind, content = BODIES[body]
    if kind == "json":
        content = json.dumps(content)
    return client.generic(case.method, path, data=content, content_type="application/json")
