"""applications_visible_to: the one place that decides who sees which application."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from applications.selectors import applications_visible_to, get_visible_application
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    ConflictFactory,
    CoordinatorFactory,
    ReviewerFactory,
    StartupFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_visible_anonymous_none():
    ApplicationFactory()
    assert list(applications_visible_to(user=AnonymousUser())) == []


def test_visible_superuser_and_coordinator_all():
    applications = ApplicationFactory.create_batch(3)
    superuser = UserFactory(username="root", is_superuser=True)
    for user in (superuser, CoordinatorFactory()):
        assert set(applications_visible_to(user=user)) == set(applications)


def test_visible_member_of_two_startups_sees_both_once():
    user = UserFactory()
    own = [ApplicationFactory(startup=StartupFactory(members=[user])) for _ in range(2)]
    ApplicationFactory()
    visible = list(applications_visible_to(user=user))
    assert sorted(a.pk for a in visible) == sorted(a.pk for a in own)


def test_visible_reviewer_who_is_also_a_founder():
    reviewer = ReviewerFactory()
    own = ApplicationFactory(startup=StartupFactory(members=[reviewer]))
    assigned = AssignmentFactory(reviewer=reviewer).application
    conflicted = AssignmentFactory(reviewer=reviewer).application
    ConflictFactory(reviewer=reviewer, startup=conflicted.startup)
    assert {a.pk for a in applications_visible_to(user=reviewer)} == {own.pk, assigned.pk}


def test_get_visible_application_404_for_missing_forbidden_and_garbage():
    application = ApplicationFactory()
    stranger = UserFactory()
    for pk in (application.pk, 10**6, "abc", None):
        with pytest.raises(Http404):
            get_visible_application(user=stranger, pk=pk)
