"""Build scored applications in a few lines: one criterion of 1..10, so a total is score × 10."""

from applications.enums import ApplicationStatus
from incubator.models import Criterion
from reviews.enums import ReviewStatus
from reviews.models import Assignment, Review, Score
from tests.factories import ApplicationFactory, ReviewerFactory


def rubric(round_) -> Criterion:
    criterion, _ = Criterion.objects.get_or_create(
        round=round_, name="Overall", defaults={"max_score": 10}
    )
    return criterion


def add_reviews(application, values, *, reviewers=None) -> list[Review]:
    """One submitted review per value, each by its own (or the given) reviewer."""
    criterion = rubric(application.round)
    reviewers = reviewers or [ReviewerFactory() for _ in values]
    reviews = []
    for reviewer, value in zip(reviewers, values, strict=True):
        assignment = Assignment.objects.create(
            application=application, reviewer=reviewer, due_at=application.round.review_deadline
        )
        review = Review.objects.create(assignment=assignment, status=ReviewStatus.SUBMITTED)
        Score.objects.create(review=review, criterion=criterion, value=value)
        reviews.append(review)
    return reviews


def scored_application(round_, values, *, reviewers=None, **fields):
    """An application under review with one submitted review per value (raw = mean × 10)."""
    fields.setdefault("status", ApplicationStatus.UNDER_REVIEW)
    application = ApplicationFactory(round=round_, **fields)
    add_reviews(application, values, reviewers=reviewers)
    return application
