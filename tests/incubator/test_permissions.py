"""The role predicates of the kernel: who may manage whose account (DESIGN.md §6)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group, Permission

from incubator.permissions import (
    COORDINATORS_GROUP,
    accounts_managed_by,
    can_manage_account,
)
from tests.factories import CoordinatorFactory, ReviewerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    coordinator = CoordinatorFactory(username="grace")
    other_coordinator = CoordinatorFactory(username="ada")
    reviewer = ReviewerFactory(username="mei")
    # A reviewer who is a coordinator too is a coordinator's account: not delegated.
    both = ReviewerFactory(username="both")
    both.groups.add(Group.objects.get(name=COORDINATORS_GROUP))
    # A reviewer a superuser gave a permission of their own.
    privileged = ReviewerFactory(username="privileged")
    privileged.user_permissions.add(Permission.objects.get(codename="change_user"))
    superuser_reviewer = ReviewerFactory(username="root2", is_superuser=True)
    founder = UserFactory(username="founder")
    return {
        "superuser": superuser,
        "coordinator": coordinator,
        "other_coordinator": other_coordinator,
        "reviewer": reviewer,
        "both": both,
        "privileged": privileged,
        "superuser_reviewer": superuser_reviewer,
        "founder": founder,
    }


@pytest.mark.parametrize(
    ("actor", "account", "allowed"),
    [
        ("superuser", "coordinator", True),
        ("superuser", "superuser_reviewer", True),
        ("superuser", "founder", True),
        ("coordinator", "reviewer", True),
        ("coordinator", "other_coordinator", False),
        ("coordinator", "coordinator", False),
        ("coordinator", "both", False),
        ("coordinator", "privileged", False),
        ("coordinator", "superuser_reviewer", False),
        ("coordinator", "superuser", False),
        ("coordinator", "founder", False),
        ("reviewer", "reviewer", False),
        ("reviewer", "founder", False),
        ("founder", "reviewer", False),
    ],
)
def test_can_manage_account_follows_the_role_matrix(people, actor, account, allowed):
    assert can_manage_account(people[actor], people[account]) is allowed


def test_can_manage_account_anonymous_never():
    assert can_manage_account(AnonymousUser(), ReviewerFactory()) is False


def test_can_manage_account_inactive_coordinator_never(people):
    people["coordinator"].is_active = False
    assert can_manage_account(people["coordinator"], people["reviewer"]) is False


def test_accounts_managed_by_coordinator_is_the_plain_reviewers(people):
    managed = accounts_managed_by(people["coordinator"])
    assert sorted(managed.values_list("username", flat=True)) == ["mei"]


def test_accounts_managed_by_superuser_is_everyone(people):
    assert accounts_managed_by(people["superuser"]).count() == get_user_model().objects.count()


@pytest.mark.parametrize("actor", ["reviewer", "founder"])
def test_accounts_managed_by_other_roles_is_nobody(people, actor):
    assert accounts_managed_by(people[actor]).count() == 0
