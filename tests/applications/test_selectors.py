"""applications_visible_to: the one place that decides who sees which application."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from applications.selectors import (
    applications_visible_to,
    get_visible_application,
    get_visible_startup,
    startups_visible_to,
)
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


# --- Start-ups (issue 11, item 2) ----------------------------------------------------------------


def test_startups_visible_to_reviewer_are_those_of_assigned_unconflicted_applications():
    reviewer = ReviewerFactory()
    assigned = AssignmentFactory(reviewer=reviewer).application.startup
    conflicted = AssignmentFactory(reviewer=reviewer).application
    ConflictFactory(reviewer=reviewer, startup=conflicted.startup)
    AssignmentFactory()  # another reviewer's
    StartupFactory()  # never applied
    assert [s.pk for s in startups_visible_to(user=reviewer)] == [assigned.pk]


def test_startups_visible_to_reviewer_who_is_also_a_founder_once_each():
    reviewer = ReviewerFactory()
    own = StartupFactory(members=[reviewer])
    assignment = AssignmentFactory(reviewer=reviewer)
    # Two applications of the same start-up, both assigned: listed once.
    AssignmentFactory(
        reviewer=reviewer,
        application__startup=assignment.application.startup,
    )
    visible = list(startups_visible_to(user=reviewer))
    assert sorted(s.pk for s in visible) == sorted([own.pk, assignment.application.startup_id])


def test_startups_visible_to_coordinator_all_anonymous_none():
    startups = StartupFactory.create_batch(2)
    assert set(startups_visible_to(user=CoordinatorFactory())) == set(startups)
    assert list(startups_visible_to(user=AnonymousUser())) == []


def test_get_visible_startup_404_for_a_reviewer_outside_their_assignments():
    reviewer = ReviewerFactory()
    with pytest.raises(Http404):
        get_visible_startup(user=reviewer, pk=StartupFactory().pk)
