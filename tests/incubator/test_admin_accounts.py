"""No escalation through the admin: Django's own user, group and token pages are a superuser's
alone, and API tokens are listed without their key (issue 11, item 1)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from rest_framework.authtoken.models import Token

from incubator.permissions import COORDINATORS_GROUP
from tests.factories import CoordinatorFactory, ReviewerFactory, UserFactory
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def grace():
    return CoordinatorFactory(username="grace")


def test_coordinator_group_has_no_user_permissions():
    coordinators = Group.objects.get(name=COORDINATORS_GROUP)
    granted = coordinators.permissions.filter(content_type__app_label="auth")
    assert list(granted.values_list("codename", flat=True)) == []


@pytest.mark.parametrize(
    "path",
    [
        "/admin/auth/user/",
        "/admin/auth/user/add/",
        "/admin/auth/user/{grace}/change/",
        "/admin/auth/user/{grace}/password/",
        "/admin/auth/user/{root}/change/",
        "/admin/auth/user/{root}/password/",
        "/admin/auth/user/{mei}/change/",
        "/admin/auth/group/",
        "/admin/auth/group/add/",
        "/admin/incubator/apitoken/",
        "/admin/incubator/apitoken/{root}/change/",
        "/admin/incubator/apitoken/{root}/delete/",
    ],
)
def test_coordinator_cannot_open_user_group_or_token_pages(client, grace, superuser, path):
    mei = ReviewerFactory(username="mei")
    Token.objects.create(user=superuser)
    force_login_verified(client, grace)
    url = path.format(grace=grace.pk, root=superuser.pk, mei=mei.pk)
    assert client.get(url).status_code == 403


def test_coordinator_cannot_make_themself_superuser(client, grace):
    force_login_verified(client, grace)
    response = client.post(
        f"/admin/auth/user/{grace.pk}/change/",
        {
            "username": "grace",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [g.pk for g in Group.objects.all()],
            "user_permissions": list(Permission.objects.values_list("pk", flat=True)),
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 403
    grace.refresh_from_db()
    assert (grace.is_superuser, grace.user_permissions.count()) == (False, 0)
    assert list(grace.groups.values_list("name", flat=True)) == [COORDINATORS_GROUP]


def test_coordinator_cannot_set_another_coordinators_password(client, grace):
    ada = CoordinatorFactory(username="ada")
    force_login_verified(client, grace)
    response = client.post(
        f"/admin/auth/user/{ada.pk}/password/",
        {"password1": "Harbour-Ledger-2026", "password2": "Harbour-Ledger-2026"},
    )
    assert response.status_code == 403
    ada.refresh_from_db()
    assert ada.check_password("pw")


def test_coordinator_given_user_permissions_by_hand_still_refused(client, grace):
    # The pages ask the role, not model permissions a superuser might grant by mistake.
    grace.user_permissions.add(*Permission.objects.filter(content_type__app_label="auth"))
    force_login_verified(client, grace)
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get("/admin/auth/group/").status_code == 403


def test_superuser_keeps_the_full_user_admin(client, superuser, grace):
    force_login_verified(client, superuser)
    page = client.get(f"/admin/auth/user/{grace.pk}/change/")
    assert page.status_code == 200
    fields = set(page.context["adminform"].form.fields)
    assert {"is_superuser", "groups", "user_permissions"} <= fields
    assert client.get("/admin/auth/group/").status_code == 200


def test_admin_index_shows_coordinators_no_users_or_tokens(client, grace):
    force_login_verified(client, grace)
    page = client.get("/admin/")
    labels = {app["app_label"] for app in page.context["app_list"]}
    assert "auth" not in labels
    models = {m["object_name"] for app in page.context["app_list"] for m in app["models"]}
    assert "ApiToken" not in models
    assert "ReviewerAccount" in models


def test_stock_token_admin_is_gone(client, superuser):
    force_login_verified(client, superuser)
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404


def test_superuser_lists_tokens_without_their_key(client, superuser):
    token = Token.objects.create(user=ReviewerFactory(username="mei"))
    force_login_verified(client, superuser)

    listing = client.get("/admin/incubator/apitoken/")
    page = client.get(f"/admin/incubator/apitoken/{token.user_id}/change/")
    confirm = client.get(f"/admin/incubator/apitoken/{token.user_id}/delete/")

    for response in (listing, page, confirm):
        assert response.status_code == 200
        assert token.key not in response.content.decode()
    assert "mei" in listing.content.decode()


def test_superuser_revokes_a_token_and_the_log_keeps_no_key(client, superuser):
    token = Token.objects.create(user=ReviewerFactory(username="mei"))
    force_login_verified(client, superuser)

    response = client.post(
        f"/admin/incubator/apitoken/{token.user_id}/delete/", {"post": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert not Token.objects.filter(key=token.key).exists()
    assert token.key not in response.content.decode()
    entry = LogEntry.objects.get()
    assert entry.object_repr == "API token of mei"
    assert token.key not in client.get("/admin/").content.decode()


def test_superuser_cannot_add_or_change_a_token_in_the_admin(client, superuser):
    token = Token.objects.create(user=ReviewerFactory(username="mei"))
    force_login_verified(client, superuser)
    assert client.get("/admin/incubator/apitoken/add/").status_code == 403
    response = client.post(
        f"/admin/incubator/apitoken/{token.user_id}/change/", {"user": superuser.pk}
    )
    assert response.status_code == 403
    assert Token.objects.get(key=token.key).user.username == "mei"
