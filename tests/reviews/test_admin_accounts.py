"""Reviewer accounts in the admin: what a coordinator may do with them and nothing more
(issue 11, item 1)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

from incubator.permissions import COORDINATORS_GROUP, REVIEWERS_GROUP
from reviews.models import ReviewerProfile
from reviews.services import update_reviewer
from tests.factories import CoordinatorFactory, ReviewerFactory, StartupFactory, UserFactory
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db

LIST = "/admin/reviews/revieweraccount/"
User = get_user_model()


def change_url(user) -> str:
    return f"{LIST}{user.pk}/change/"


def password_url(user) -> str:
    return f"{LIST}{user.pk}/password/"


@pytest.fixture
def grace(client):
    user = CoordinatorFactory(username="grace")
    force_login_verified(client, user)
    return user


@pytest.fixture
def mei():
    user = ReviewerFactory(username="mei", email="mei@example.org")
    ReviewerProfile.objects.filter(user=user).update(expertise=["finance"], max_load=4)
    return user


def change_form(**overrides) -> dict:
    data = {
        "first_name": "Mei",
        "last_name": "Chan",
        "email": "mei@example.org",
        "is_active": "on",
        "expertise": ["finance"],
        "max_load": "4",
        "language": "en",
    }
    data.update(overrides)
    return data


def test_coordinator_lists_reviewers_only(client, grace, mei):
    CoordinatorFactory(username="ada")
    UserFactory(username="root", is_superuser=True, is_staff=True)
    UserFactory(username="founder")
    both = ReviewerFactory(username="both")
    both.groups.add(Group.objects.get(name=COORDINATORS_GROUP))

    page = client.get(LIST)

    assert page.status_code == 200
    assert [u.username for u in page.context["cl"].result_list] == ["mei"]


@pytest.mark.parametrize("who", ["coordinator", "superuser", "both", "founder", "self"])
def test_coordinator_cannot_open_accounts_that_are_not_delegated(client, grace, who):
    if who == "self":
        account = grace
    elif who == "coordinator":
        account = CoordinatorFactory(username="ada")
    elif who == "superuser":
        account = ReviewerFactory(username="root", is_superuser=True)
    elif who == "both":
        account = ReviewerFactory(username="both")
        account.groups.add(Group.objects.get(name=COORDINATORS_GROUP))
    else:
        account = UserFactory(username="founder")

    assert client.get(change_url(account)).status_code == 404
    assert client.post(change_url(account), change_form(email="x@example.org")).status_code == 404
    assert client.get(password_url(account)).status_code == 404
    response = client.post(
        password_url(account),
        {"new_password1": "Harbour-Ledger-2026", "new_password2": "Harbour-Ledger-2026"},
    )
    assert response.status_code == 404
    account.refresh_from_db()
    assert account.check_password("pw")
    assert account.email != "x@example.org"


def test_coordinator_changes_a_reviewer_through_the_service(client, grace, mei):
    response = client.post(
        change_url(mei),
        change_form(
            email="mei.chan@example.org",
            is_active="",
            expertise=["finance", "healthcare"],
            max_load="7",
            language="zh-hant",
        ),
    )

    assert response.status_code == 302
    mei.refresh_from_db()
    profile = ReviewerProfile.objects.get(user=mei)
    assert (mei.first_name, mei.last_name, mei.email, mei.is_active) == (
        "Mei",
        "Chan",
        "mei.chan@example.org",
        False,
    )
    assert (profile.expertise, profile.max_load, profile.language) == (
        ["finance", "healthcare"],
        7,
        "zh-hant",
    )


def test_coordinator_cannot_grant_more_than_they_hold(client, grace, mei):
    coordinators = Group.objects.get(name=COORDINATORS_GROUP)
    response = client.post(
        change_url(mei),
        change_form(
            is_superuser="on",
            is_staff="",
            groups=[coordinators.pk],
            user_permissions=list(Permission.objects.values_list("pk", flat=True)[:5]),
            username="renamed",
        ),
    )

    assert response.status_code == 302
    mei.refresh_from_db()
    assert (mei.username, mei.is_superuser, mei.is_staff) == ("mei", False, True)
    assert list(mei.groups.values_list("name", flat=True)) == [REVIEWERS_GROUP]
    assert mei.user_permissions.count() == 0


def test_change_page_offers_no_role_fields(client, grace, mei):
    page = client.get(change_url(mei))

    assert page.status_code == 200
    fields = set(page.context["adminform"].form.fields)
    assert fields == {
        "first_name",
        "last_name",
        "email",
        "is_active",
        "expertise",
        "max_load",
        "jurisdiction",
        "language",
    }
    assert password_url(mei) in page.content.decode()


def test_coordinator_adds_a_reviewer(client, grace):
    response = client.post(
        f"{LIST}add/",
        {
            "username": "lin",
            "first_name": "Lin",
            "last_name": "Wong",
            "email": "lin@example.org",
            "password1": "Harbour-Ledger-2026",
            "password2": "Harbour-Ledger-2026",
            "expertise": ["supply_chain"],
            "max_load": "5",
            "language": "zh-hans",
            "jurisdiction": "macau",
            "is_superuser": "on",
            "groups": [Group.objects.get(name=COORDINATORS_GROUP).pk],
        },
    )

    assert response.status_code == 302
    lin = User.objects.get(username="lin")
    assert (lin.first_name, lin.email, lin.is_staff, lin.is_superuser) == (
        "Lin",
        "lin@example.org",
        True,
        False,
    )
    assert list(lin.groups.values_list("name", flat=True)) == [REVIEWERS_GROUP]
    assert lin.check_password("Harbour-Ledger-2026")
    profile = lin.reviewer_profile
    assert (profile.expertise, profile.max_load, profile.language, profile.jurisdiction) == (
        ["supply_chain"],
        5,
        "zh-hans",
        "macau",
    )


def test_add_refuses_a_taken_name_and_a_weak_password(client, grace, mei):
    response = client.post(
        f"{LIST}add/",
        {
            "username": "MEI",
            "email": "someone@example.org",
            "password1": "123",
            "password2": "123",
            "max_load": "5",
            "language": "en",
            "jurisdiction": "mainland",
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"username", "password2"}
    assert User.objects.filter(username__iexact="mei").count() == 1


def test_coordinator_sets_a_reviewers_password(client, grace, mei):
    page = client.get(password_url(mei))
    assert page.status_code == 200

    response = client.post(
        password_url(mei),
        {"new_password1": "Harbour-Ledger-2026", "new_password2": "Harbour-Ledger-2026"},
    )

    assert response.status_code == 302
    mei.refresh_from_db()
    assert mei.check_password("Harbour-Ledger-2026")


def test_set_password_refuses_a_mismatch(client, grace, mei):
    response = client.post(
        password_url(mei),
        {"new_password1": "Harbour-Ledger-2026", "new_password2": "Harbour-Ledger-2027"},
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"new_password2"}
    mei.refresh_from_db()
    assert mei.check_password("pw")


def test_reviewer_accounts_are_never_deleted_in_the_admin(client, grace, mei):
    assert client.get(f"{LIST}{mei.pk}/delete/").status_code == 403
    response = client.post(LIST, {"action": "delete_selected", "_selected_action": [mei.pk]})
    assert response.status_code == 200  # the action does not exist: the list again
    assert User.objects.filter(pk=mei.pk).exists()


@pytest.mark.parametrize("role", ["reviewer", "founder"])
def test_other_roles_cannot_open_reviewer_accounts(client, mei, role):
    user = ReviewerFactory(username="lin") if role == "reviewer" else UserFactory(is_staff=True)
    force_login_verified(client, user)
    assert client.get(LIST).status_code == 403
    assert client.get(change_url(mei)).status_code == 403
    assert client.get(password_url(mei)).status_code == 403


def test_superuser_manages_any_reviewer_including_a_coordinator(client, mei):
    both = ReviewerFactory(username="both")
    both.groups.add(Group.objects.get(name=COORDINATORS_GROUP))
    force_login_verified(client, UserFactory(username="root", is_superuser=True, is_staff=True))
    page = client.get(LIST)
    assert sorted(u.username for u in page.context["cl"].result_list) == ["both", "mei"]
    assert client.get(change_url(both)).status_code == 200


def test_reviewer_profile_admin_is_read_only(client, grace, mei):
    profile = ReviewerProfile.objects.get(user=mei)
    assert client.get("/admin/reviews/reviewerprofile/add/").status_code == 403
    response = client.post(
        f"/admin/reviews/reviewerprofile/{profile.pk}/change/",
        {"user": grace.pk, "max_load": "99", "language": "en"},
    )
    assert response.status_code == 403
    profile.refresh_from_db()
    assert (profile.user, profile.max_load) == (mei, 4)


def test_change_page_sets_a_missing_jurisdiction_and_leaves_it_when_empty(client, grace, mei):
    ReviewerProfile.objects.filter(user=mei).update(jurisdiction="")
    url = f"{LIST}{mei.pk}/change/"
    base = change_form()
    assert client.post(url, {**base, "jurisdiction": ""}).status_code == 302
    assert ReviewerProfile.objects.get(user=mei).jurisdiction == ""
    assert client.post(url, {**base, "jurisdiction": "hong_kong"}).status_code == 302
    assert ReviewerProfile.objects.get(user=mei).jurisdiction == "hong_kong"
    assert client.post(url, {**base, "jurisdiction": ""}).status_code == 302
    assert ReviewerProfile.objects.get(user=mei).jurisdiction == "hong_kong"


def test_a_founders_way_in_is_a_superusers_to_change(client, grace, mei):
    """Mei also belongs to a start-up's team: a coordinator still manages her reviewing, but not
    her password, e-mail address or activity, which would let them log in as the start-up."""
    StartupFactory(members=[mei])
    mei.set_password("her-own-pw")
    mei.save()

    refused = client.get(password_url(mei), follow=True)
    assert refused.redirect_chain == [(change_url(mei), 302)]
    assert "only a superuser may change its password" in refused.content.decode()
    client.post(
        password_url(mei),
        {"new_password1": "Harbour-Ledger-2026", "new_password2": "Harbour-Ledger-2026"},
    )
    page = client.get(change_url(mei))
    assert {"email", "is_active"} <= set(page.context["adminform"].readonly_fields)

    client.post(change_url(mei), change_form(email="taken@example.org", max_load="6"))
    mei.refresh_from_db()
    assert mei.check_password("her-own-pw")
    assert (mei.email, mei.is_active) == ("mei@example.org", True)
    assert ReviewerProfile.objects.get(user=mei).max_load == 6

    with pytest.raises(PermissionDenied, match="only a superuser"):
        update_reviewer(actor=grace, reviewer=mei, email="taken@example.org")
    # Re-sending the address it has is no change, and a superuser may change it.
    update_reviewer(actor=grace, reviewer=mei, email="mei@example.org", first_name="May")
    update_reviewer(actor=UserFactory(is_superuser=True), reviewer=mei, email="new@example.org")
    mei.refresh_from_db()
    assert (mei.first_name, mei.email) == ("May", "new@example.org")
