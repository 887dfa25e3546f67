"""Conflicts and reviews: the rules of reviews/services.py one by one."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from applications.enums import ApplicationStatus
from incubator.exceptions import WorkflowError
from incubator.models import Criterion
from reviews.enums import ReviewStatus
from reviews.models import Assignment, ConflictOfInterest, Review, Score
from reviews.services import (
    AssignmentWithdrawn,
    ReviewLocked,
    assign_reviewer,
    assign_reviewers,
    declare_conflict,
    save_review,
    submit_review,
    update_reviewer,
    withdraw_assignment,
)
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CoordinatorFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
    StartupFactory,
    UserFactory,
)


@pytest.fixture
def review():
    round_ = RoundFactory()
    Criterion.objects.create(round=round_, name="Team", weight=2, max_score=10, order=1)
    Criterion.objects.create(round=round_, name="Market", weight=1, max_score=5, order=2)
    application = ApplicationFactory(round=round_, status=ApplicationStatus.UNDER_REVIEW)
    return ReviewFactory(assignment=AssignmentFactory(application=application))


def criteria_of(review):
    return list(Criterion.objects.filter(round=review.assignment.application.round))


@pytest.mark.django_db
def test_declare_conflict_withdraws_draft_and_keeps_submitted():
    reviewer = ReviewerFactory()
    startup = StartupFactory()
    draft = ReviewFactory(
        assignment=AssignmentFactory(
            reviewer=reviewer,
            application=ApplicationFactory(startup=startup, status="under_review"),
        )
    )
    Score.objects.create(
        review=draft,
        criterion=Criterion.objects.create(round=draft.assignment.application.round, name="T"),
        value=3,
    )
    submitted = ReviewFactory(
        status=ReviewStatus.SUBMITTED,
        assignment=AssignmentFactory(
            reviewer=reviewer,
            application=ApplicationFactory(startup=startup, status="under_review"),
        ),
    )
    unrelated = ReviewFactory(assignment=AssignmentFactory(reviewer=reviewer))
    result = declare_conflict(
        reviewer=reviewer, startup=startup, reason="I advise them.", actor=reviewer
    )
    assert result.created is True
    assert result.withdrawn == 1
    assert result.kept_submitted == [submitted.assignment]
    assert set(Assignment.objects.values_list("pk", flat=True)) == {
        submitted.assignment_id,
        unrelated.assignment_id,
    }
    assert not Score.objects.exists()
    conflict = ConflictOfInterest.objects.get()
    assert (conflict.reason, conflict.declared_by) == ("I advise them.", reviewer)
    again = declare_conflict(reviewer=reviewer, startup=startup, reason="Again.", actor=reviewer)
    assert (again.created, again.withdrawn) == (False, 0)


@pytest.mark.django_db
def test_declare_conflict_for_another_needs_a_coordinator():
    reviewer, someone = ReviewerFactory(), ReviewerFactory()
    startup = StartupFactory()
    with pytest.raises(PermissionDenied):
        declare_conflict(reviewer=reviewer, startup=startup, reason="x", actor=someone)
    declare_conflict(reviewer=reviewer, startup=startup, reason="x", actor=CoordinatorFactory())
    assert ConflictOfInterest.objects.count() == 1


@pytest.mark.django_db
def test_declare_conflict_needs_reason_and_a_reviewer():
    startup = StartupFactory()
    reviewer = ReviewerFactory()
    with pytest.raises(ValidationError) as error:
        declare_conflict(reviewer=reviewer, startup=startup, reason="  ", actor=reviewer)
    assert error.value.message_dict == {"reason": ["Say why there is a conflict of interest."]}
    plain = UserFactory()
    with pytest.raises(ValidationError) as error:
        declare_conflict(reviewer=plain, startup=startup, reason="x", actor=CoordinatorFactory())
    assert error.value.message_dict == {"reviewer": ["This user is not a reviewer."]}


@pytest.mark.django_db
def test_save_review_stores_scores_and_fields(review):
    team, market = criteria_of(review)
    reviewer = review.assignment.reviewer
    save_review(
        review=review,
        actor=reviewer,
        scores={team.pk: 8, str(market.pk): "4"},
        recommendation="accept",
        confidence=4,
        comment="Solid team.",
    )
    assert dict(Score.objects.values_list("criterion_id", "value")) == {team.pk: 8, market.pk: 4}
    save_review(review=review, actor=reviewer, scores={team.pk: None, market.pk: 5})
    assert dict(Score.objects.values_list("criterion_id", "value")) == {market.pk: 5}
    review.refresh_from_db()
    assert (review.recommendation, review.confidence, review.comment) == (
        "accept",
        4,
        "Solid team.",
    )


@pytest.mark.django_db
def test_save_review_refuses_out_of_scale_and_changes_nothing(review):
    team, market = criteria_of(review)
    with pytest.raises(ValidationError) as error:
        save_review(
            review=review,
            actor=review.assignment.reviewer,
            scores={team.pk: 7, market.pk: 6, 99999: 1},
            confidence=9,
            recommendation="maybe",
        )
    assert error.value.message_dict == {
        "scores": [
            "“Market” takes a whole number from 1 to 5; got 6.",
            "Criterion 99999 is not part of this round's rubric.",
        ],
        "recommendation": [
            "Choose one of: strong_accept, accept, neutral, reject, strong_reject; got 'maybe'."
        ],
        "confidence": ["Confidence is a whole number from 1 to 5; got 9."],
    }
    assert not Score.objects.exists()


@pytest.mark.django_db
def test_save_review_by_someone_else_is_refused(review):
    with pytest.raises(PermissionDenied):
        save_review(review=review, actor=ReviewerFactory(), comment="hi")


@pytest.mark.django_db
def test_submit_review_needs_every_criterion_then_locks(review):
    team, market = criteria_of(review)
    reviewer = review.assignment.reviewer
    save_review(review=review, actor=reviewer, scores={team.pk: 8})
    with pytest.raises(ValidationError) as error:
        submit_review(review=review, actor=reviewer)
    assert error.value.message_dict == {
        "scores": ["Score every criterion before submitting; missing: “Market”."]
    }
    save_review(review=review, actor=reviewer, scores={market.pk: 2})
    submitted = submit_review(review=review, actor=reviewer)
    assert submitted.status == ReviewStatus.SUBMITTED
    assert submitted.submitted_at is not None
    with pytest.raises(ReviewLocked, match="submitted and can no longer be changed"):
        save_review(review=review, actor=reviewer, scores={team.pk: 1})
    with pytest.raises(ReviewLocked):
        submit_review(review=review, actor=reviewer)
    assert Review.objects.get().status == ReviewStatus.SUBMITTED
    assert dict(Score.objects.values_list("criterion_id", "value")) == {team.pk: 8, market.pk: 2}


# --- Reviewer accounts (issue 11) ---------------------------------------------------------------


@pytest.mark.django_db
def test_update_reviewer_changes_account_and_profile():
    coordinator, mei = CoordinatorFactory(), ReviewerFactory(username="mei")

    update_reviewer(
        actor=coordinator,
        reviewer=mei,
        email="mei@example.org",
        expertise=["finance", "finance", "education"],
        max_load=3,
        language="zh-hans",
    )

    mei.refresh_from_db()
    profile = mei.reviewer_profile
    assert (mei.email, profile.expertise, profile.max_load, profile.language) == (
        "mei@example.org",
        ["finance", "education"],
        3,
        "zh-hans",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("expertise", ["mining"]), ("max_load", 0), ("max_load", True), ("language", "fr")],
)
def test_update_reviewer_refuses_a_bad_profile_value(field, value):
    coordinator, mei = CoordinatorFactory(), ReviewerFactory(username="mei")

    with pytest.raises(ValidationError) as error:
        update_reviewer(actor=coordinator, reviewer=mei, email="new@example.org", **{field: value})

    assert list(error.value.message_dict) == [field]
    mei.refresh_from_db()
    assert (mei.email, mei.reviewer_profile.max_load) == ("mei@example.org", 10)


@pytest.mark.django_db
def test_update_reviewer_refuses_a_coordinators_account():
    coordinator = CoordinatorFactory()
    other = CoordinatorFactory(username="ada")
    other.groups.add(*ReviewerFactory().groups.all())

    with pytest.raises(PermissionDenied):
        update_reviewer(actor=coordinator, reviewer=other, max_load=1)


# --- Withdrawing an assignment (issue 11, item 4) -----------------------------------------------


@pytest.mark.django_db
def test_withdraw_assignment_records_who_when_and_why(review, django_capture_on_commit_callbacks):
    coordinator = CoordinatorFactory()
    assignment = review.assignment

    withdrawn = withdraw_assignment(
        assignment=assignment, actor=coordinator, reason="  Reviewer on leave.  "
    )

    assignment.refresh_from_db()
    assert (assignment.withdrawn_by, assignment.withdrawal_reason) == (
        coordinator,
        "Reviewer on leave.",
    )
    assert assignment.withdrawn_at is not None
    assert withdrawn.pk == assignment.pk
    # The draft review goes with it: kept as a record, no longer the reviewer's to write.
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    with pytest.raises(AssignmentWithdrawn):
        save_review(review=review, actor=assignment.reviewer, comment="Still here?")
    with pytest.raises(AssignmentWithdrawn):
        submit_review(review=review, actor=assignment.reviewer)


@pytest.mark.django_db
def test_withdraw_assignment_keeps_a_submitted_review(review):
    reviewer = review.assignment.reviewer
    save_review(
        review=review, actor=reviewer, scores={c.pk: 1 for c in criteria_of(review)}, comment="x"
    )
    submit_review(review=review, actor=reviewer)

    withdraw_assignment(assignment=review.assignment, actor=CoordinatorFactory(), reason="COI.")

    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert Score.objects.filter(review=review).count() == 2


@pytest.mark.django_db
def test_withdraw_assignment_twice_is_refused(review):
    coordinator = CoordinatorFactory()
    withdraw_assignment(assignment=review.assignment, actor=coordinator, reason="Once.")

    with pytest.raises(AssignmentWithdrawn):
        withdraw_assignment(assignment=review.assignment, actor=coordinator, reason="Twice.")

    review.assignment.refresh_from_db()
    assert review.assignment.withdrawal_reason == "Once."


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", "x" * 501, "a\x00b"])
def test_withdraw_assignment_needs_a_reason(review, reason):
    with pytest.raises(ValidationError) as error:
        withdraw_assignment(assignment=review.assignment, actor=CoordinatorFactory(), reason=reason)

    assert list(error.value.message_dict) == ["reason"]
    review.assignment.refresh_from_db()
    assert review.assignment.withdrawn_at is None


@pytest.mark.django_db
def test_withdraw_assignment_only_by_a_coordinator(review):
    for actor in (review.assignment.reviewer, UserFactory()):
        with pytest.raises(PermissionDenied):
            withdraw_assignment(assignment=review.assignment, actor=actor, reason="Mine.")

    review.assignment.refresh_from_db()
    assert review.assignment.withdrawn_at is None


@pytest.mark.django_db
def test_withdrawn_pair_is_not_assigned_again_and_frees_a_place(review):
    coordinator = CoordinatorFactory()
    assignment = review.assignment
    application = assignment.application
    withdraw_assignment(assignment=assignment, actor=coordinator, reason="On leave.")

    with pytest.raises(WorkflowError, match="withdrawn"):
        assign_reviewer(application=application, reviewer=assignment.reviewer, actor=coordinator)

    others = [ReviewerFactory() for _ in range(3)]
    result = assign_reviewers(round=application.round, actor=coordinator)

    # Three reviewers are needed again, and the withdrawn one is not among them.
    assert result.created == 3
    active = Assignment.objects.filter(application=application, withdrawn_at__isnull=True)
    assert sorted(active.values_list("reviewer_id", flat=True)) == sorted(o.pk for o in others)
