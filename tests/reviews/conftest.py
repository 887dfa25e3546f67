import pytest
from rest_framework.test import APIClient

from applications.enums import ApplicationStatus
from incubator.models import Criterion
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
    StartupFactory,
    UserFactory,
)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def reviewing_round():
    """A round with two criteria and one application reviewed by three reviewers."""
    round_ = RoundFactory(name="Autumn")
    team = Criterion.objects.create(round=round_, name="Team", weight=2, max_score=10, order=1)
    market = Criterion.objects.create(round=round_, name="Market", weight=1, max_score=5, order=2)
    application = ApplicationFactory(round=round_, status=ApplicationStatus.UNDER_REVIEW)
    reviewers = [ReviewerFactory(username=name) for name in ("alice", "bob", "carol")]
    reviews = [
        ReviewFactory(assignment=AssignmentFactory(application=application, reviewer=reviewer))
        for reviewer in reviewers
    ]
    return {
        "round": round_,
        "criteria": (team, market),
        "application": application,
        "reviewers": reviewers,
        "reviews": reviews,
    }


@pytest.fixture
def roles(coordinator):
    """One user per role: coordinator, reviewer (without assignments), startup member."""
    member = UserFactory(username="founder")
    StartupFactory(members=[member])
    return {"coordinator": coordinator, "reviewer": ReviewerFactory(), "member": member}
