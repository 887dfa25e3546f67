"""Each invariant the database enforces, proven by trying to break it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from notifications.models import Notification
from reviews.models import Assignment, Review, Score
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CriterionFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
    StartupFactory,
)

pytestmark = pytest.mark.django_db


def refused(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def test_application_one_per_startup_per_round():
    first = ApplicationFactory()
    assert refused(lambda: ApplicationFactory(round=first.round, startup=first.startup))
    # Another round is fine.
    ApplicationFactory(startup=first.startup)


def test_application_funding_not_negative():
    assert refused(lambda: ApplicationFactory(funding_amount=Decimal("-1.00")))


def test_application_status_must_be_known():
    assert refused(lambda: ApplicationFactory(status="approved"))


def test_assignment_one_per_reviewer_per_application():
    assignment = AssignmentFactory()
    assert refused(
        lambda: Assignment.objects.create(
            application=assignment.application,
            reviewer=assignment.reviewer,
            due_at=assignment.due_at,
        )
    )
    Assignment.objects.create(
        application=assignment.application, reviewer=ReviewerFactory(), due_at=assignment.due_at
    )


def test_review_one_per_assignment():
    review = ReviewFactory()
    assert refused(lambda: Review.objects.create(assignment=review.assignment))


def test_review_confidence_between_one_and_five():
    assert refused(lambda: ReviewFactory(confidence=6))
    assert refused(lambda: ReviewFactory(confidence=0))


def test_score_one_per_review_per_criterion():
    review = ReviewFactory()
    criterion = CriterionFactory(round=review.assignment.application.round)
    Score.objects.create(review=review, criterion=criterion, value=5)
    assert refused(lambda: Score.objects.create(review=review, criterion=criterion, value=6))


def test_score_at_least_one():
    review = ReviewFactory()
    criterion = CriterionFactory(round=review.assignment.application.round)
    assert refused(lambda: Score.objects.create(review=review, criterion=criterion, value=0))


def test_criterion_weight_positive():
    assert refused(lambda: CriterionFactory(weight=Decimal("0")))
    assert refused(lambda: CriterionFactory(weight=Decimal("-1")))


def test_criterion_max_score_at_least_one():
    assert refused(lambda: CriterionFactory(max_score=0))


def test_round_closes_after_it_opens():
    round_ = RoundFactory.build()
    assert refused(lambda: RoundFactory(opens_at=round_.opens_at, closes_at=round_.opens_at))
    assert refused(
        lambda: RoundFactory(
            opens_at=round_.opens_at, closes_at=round_.opens_at - timedelta(seconds=1)
        )
    )


def test_round_review_deadline_not_before_closing():
    round_ = RoundFactory.build()
    assert refused(
        lambda: RoundFactory(
            closes_at=round_.closes_at, review_deadline=round_.closes_at - timedelta(days=1)
        )
    )


def test_startup_region_must_be_known():
    assert refused(lambda: StartupFactory(region="taipei"))


def test_notification_deduplication_key_unique():
    fields = {
        "event": "application.submitted",
        "channel": "email",
        "recipient": "founder@example.org",
        "subject": "application:1",
        "dedup_key": "application.submitted|application:1|founder@example.org|email",
    }
    Notification.objects.create(**fields)
    assert refused(lambda: Notification.objects.create(**fields))
