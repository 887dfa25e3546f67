"""A reviewer saves a draft while a conflict of interest withdraws it: a 409, never a 500."""

import pytest
from rest_framework.test import APIClient

from applications.enums import ApplicationStatus
from incubator.models import Criterion
from reviews.models import Review
from reviews.services import ReviewGone, declare_conflict, submit_review
from tests.factories import ApplicationFactory, AssignmentFactory, ReviewerFactory, ReviewFactory
from tests.races import hold_open_while_another_waits

GONE = (
    "This review no longer exists: its assignment was withdrawn in the meantime "
    "(a conflict of interest was declared)."
)


@pytest.fixture
def draft_review():
    application = ApplicationFactory(status=ApplicationStatus.UNDER_REVIEW)
    Criterion.objects.create(round=application.round, name="Team", weight=1, max_score=10)
    reviewer = ReviewerFactory()
    return ReviewFactory(assignment=AssignmentFactory(application=application, reviewer=reviewer))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_save_review_while_its_reviewer_declares_a_conflict_answers_409(draft_review):
    reviewer = draft_review.assignment.reviewer
    startup = draft_review.assignment.application.startup
    criterion = Criterion.objects.get(round=draft_review.assignment.application.round)
    answers: list = []

    def declare() -> None:
        declare_conflict(reviewer=reviewer, startup=startup, reason="My brother", actor=reviewer)

    def save() -> None:
        client = APIClient()
        client.force_authenticate(reviewer)
        answers.append(
            client.put(
                f"/api/v1/reviews/{draft_review.pk}/",
                {"scores": [{"criterion": criterion.pk, "value": 7}], "comment": "Strong"},
                format="json",
            )
        )

    hold_open_while_another_waits(declare, save)

    [answer] = answers
    assert answer.status_code == 409
    assert answer.json() == {"detail": GONE}
    assert not Review.objects.filter(pk=draft_review.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_submit_review_while_its_reviewer_declares_a_conflict_is_refused_cleanly(draft_review):
    reviewer = draft_review.assignment.reviewer
    startup = draft_review.assignment.application.startup
    outcomes: list[str] = []

    def declare() -> None:
        declare_conflict(reviewer=reviewer, startup=startup, reason="My brother", actor=reviewer)

    def submit() -> None:
        try:
            submit_review(review=draft_review, actor=reviewer)
        except ReviewGone as error:
            outcomes.append(error.message)

    hold_open_while_another_waits(declare, submit)

    assert outcomes == [GONE]
