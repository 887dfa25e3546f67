"""The partner column of the role matrix (DESIGN.md §6): every read endpoint and every admin page
answers a partner user as the matrix says. (Writes: tests/api_permission_first.py.)"""

import pytest
from django.contrib import admin
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from tests.api_permission_first import build_world
from tests.applications.conftest import client_for

pytestmark = pytest.mark.django_db

# Path (as the schema writes it) → what a partner gets. Applications and start-ups stay invisible
# (an empty list, 404 for one); reviews 403 or 404 like for a start-up; ranking, shortlists,
# exports, reviewers, providers and notifications 403; rounds are public; their own endpoints 200.
PARTNER_READS = {
    "/api/v1/applications/": 200,
    "/api/v1/applications/{id}/": 404,
    "/api/v1/applications/{id}/audit/": 404,
    "/api/v1/applications/{id}/comments/": 404,
    "/api/v1/applications/{id}/consent/": 404,
    "/api/v1/applications/{id}/history/": 404,
    "/api/v1/assignments/": 403,
    # The audit trail: its checkpoints and key are public, its events and verification are the
    # coordinators'.
    "/api/v1/audit/checkpoints/": 200,
    "/api/v1/audit/events/": 403,
    "/api/v1/audit/public-key/": 200,
    "/api/v1/audit/verify/": 403,
    "/api/v1/notifications/": 403,
    "/api/v1/partner/me/": 200,
    "/api/v1/partner/startups/": 200,
    "/api/v1/partner/startups/{application}/": 404,
    "/api/v1/providers/": 403,
    "/api/v1/providers/{id}/": 403,
    "/api/v1/providers/{id}/invitations/": 403,
    "/api/v1/reviewers/": 403,
    "/api/v1/reviews/{id}/": 403,
    "/api/v1/rounds/": 200,
    "/api/v1/rounds/{id}/": 200,
    "/api/v1/rounds/{id}/partners/": 403,
    "/api/v1/rounds/{id}/ranking/": 403,
    "/api/v1/rounds/{id}/reviewer-statistics/": 403,
    "/api/v1/shortlists/": 403,
    "/api/v1/shortlists/{id}/": 403,
    "/api/v1/shortlists/{id}/export.csv": 403,
    "/api/v1/shortlists/{id}/export.xlsx": 403,
    "/api/v1/startups/": 200,
    "/api/v1/startups/{id}/": 404,
    "/api/v1/startups/{id}/export/": 404,
    "/api/v1/startups/{id}/invitations/": 404,
    "/api/v1/startups/{id}/members/": 404,
}

# Which object each `{id}` of a path stands for.
OBJECT_OF = {
    "applications": "draft",
    "providers": "provider",
    "reviews": "review",
    "rounds": "round",
    "shortlists": "shortlist",
    "startups": "startup",
}


def test_partner_reads_cover_every_read_endpoint():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    reads = {path for path, operations in schema["paths"].items() if "get" in operations}
    assert reads == set(PARTNER_READS)


def fill(path: str, objects: dict) -> str:
    if "{id}" in path:
        collection = path.split("/")[3]
        path = path.replace("{id}", str(objects[OBJECT_OF[collection]]))
    return path.replace("{application}", str(objects["draft"]))


@pytest.mark.parametrize(("path", "expected"), sorted(PARTNER_READS.items()))
def test_partner_read(path, expected):
    world = build_world()
    response = client_for(world["users"]["partner"]).get(fill(path, world["objects"]))
    assert response.status_code == expected, response.content
    if path in {"/api/v1/applications/", "/api/v1/startups/"}:
        assert response.json()["count"] == 0


def admin_urls() -> list[str]:
    urls = [reverse("admin:index"), reverse("coordinator-dashboard")]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    return urls


def test_partner_reaches_no_admin_page(client):
    """Not staff: every admin page answers as for a non-staff user (to the admin's log-in)."""
    world = build_world()
    partner = world["users"]["partner"]
    assert partner.is_staff is False
    founder = world["users"]["founder"]
    for url in admin_urls():
        client.force_login(founder)
        as_founder = client.get(url)
        client.force_login(partner)
        as_partner = client.get(url)
        assert as_partner.status_code in {302, 403}, url
        assert (as_partner.status_code, as_partner.get("Location")) == (
            as_founder.status_code,
            as_founder.get("Location"),
        ), url
