"""The ranking and reviewer statistics against a plain-Python reading of DESIGN.md section 5."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications.enums import ApplicationStatus
from incubator.enums import Region, ServiceKind, Track
from incubator.models import Criterion
from reviews import scoring
from reviews.enums import ReviewStatus
from reviews.models import Assignment, Review, Score
from reviews.scoring import ensure_calibration
from reviews.selectors import (
    other_reviews,
    reviewer_statistics,
    reviews_with_totals,
    round_ranking,
)
from reviews.services import withdraw_assignment
from tests.factories import (
    ApplicationFactory,
    ReviewerFactory,
    RoundFactory,
    StartupFactory,
)
from tests.reviews.ranking_reference import ReviewRow, reference_ranking
from tests.reviews.scoring import scored_application

TOLERANCE = 1e-9


def build_round(*, criteria, applications, reviewers, reviews):
    """criteria: [(weight, max)]; reviews: [(app index, reviewer index, [scores], submitted)]."""
    round_ = RoundFactory()
    rubric = [
        Criterion.objects.create(
            round=round_, name=f"C{i}", weight=Decimal(str(w)), max_score=m, order=i
        )
        for i, (w, m) in enumerate(criteria)
    ]
    apps = [
        ApplicationFactory(round=round_, status=ApplicationStatus.UNDER_REVIEW)
        for _ in range(applications)
    ]
    users = [ReviewerFactory() for _ in range(reviewers)]
    rows = []
    for app_index, reviewer_index, values, submitted in reviews:
        assignment = Assignment.objects.create(
            application=apps[app_index],
            reviewer=users[reviewer_index],
            due_at=round_.review_deadline,
        )
        review = Review.objects.create(
            assignment=assignment,
            status=ReviewStatus.SUBMITTED if submitted else ReviewStatus.DRAFT,
        )
        Score.objects.bulk_create(
            Score(review=review, criterion=criterion, value=value)
            for criterion, value in zip(rubric, values, strict=True)
        )
        if submitted:
            rows.append(
                ReviewRow(
                    application=apps[app_index].pk,
                    reviewer=users[reviewer_index].pk,
                    scores=tuple(
                        (float(w), m, v) for (w, m), v in zip(criteria, values, strict=True)
                    ),
                )
            )
    return round_, apps, users, rows


@st.composite
def random_rounds(draw):
    criteria = draw(
        st.lists(
            st.tuples(
                st.decimals(min_value="0.25", max_value="5", places=2).map(float),
                st.integers(min_value=1, max_value=10),
            ),
            min_size=1,
            max_size=4,
        )
    )
    applications = draw(st.integers(min_value=1, max_value=7))
    reviewers = draw(st.integers(min_value=1, max_value=5))
    pairs = draw(
        st.sets(
            st.tuples(
                st.integers(min_value=0, max_value=applications - 1),
                st.integers(min_value=0, max_value=reviewers - 1),
            ),
            max_size=applications * reviewers,
        )
    )
    reviews = []
    for app_index, reviewer_index in sorted(pairs):
        values = [draw(st.integers(min_value=1, max_value=m)) for _, m in criteria]
        submitted = draw(st.booleans() | st.just(True))
        reviews.append((app_index, reviewer_index, values, submitted))
    return {
        "criteria": criteria,
        "applications": applications,
        "reviewers": reviewers,
        "reviews": reviews,
    }


def assert_matches_reference(spec, method):
    round_, apps, _users, rows = build_round(**spec)
    order, expected, _ = reference_ranking([a.pk for a in apps], rows, method)
    ranking = list(round_ranking(round=round_, method=method))
    assert [row.rank for row in ranking] == list(range(1, len(apps) + 1))
    for row in ranking:
        want = expected[row.pk]
        assert row.review_count == want["review_count"]
        assert row.flagged == want["flagged"]
        for field in ("raw_score", "normalized_score", "spread"):
            got = getattr(row, field)
            if want[field] is None:
                assert got is None
            else:
                assert got == pytest.approx(want[field], abs=TOLERANCE)
    # The order matches, except where two scores are equal up to floating-point noise.
    primary = "raw_score" if method == "raw" else "normalized_score"
    for position, (row, expected_pk) in enumerate(zip(ranking, order, strict=True)):
        if row.pk != expected_pk:
            mine, theirs = expected[row.pk], expected[expected_pk]
            assert mine[primary] == pytest.approx(theirs[primary], abs=TOLERANCE), position


HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.django_db
@HYPOTHESIS
@given(spec=random_rounds(), method=st.sampled_from(["raw", "normalized"]))
def test_round_ranking_matches_reference_on_random_scores(spec, method):
    assert_matches_reference(spec, method)


@pytest.mark.postgres
@pytest.mark.django_db
@HYPOTHESIS
@given(spec=random_rounds(), method=st.sampled_from(["raw", "normalized"]))
def test_round_ranking_matches_reference_on_postgres(spec, method):
    assert_matches_reference(spec, method)


@pytest.mark.postgres
@pytest.mark.django_db
@HYPOTHESIS
@given(spec=random_rounds(), method=st.sampled_from(["raw", "normalized", "calibrated"]))
def test_stored_ranking_equals_the_live_one(spec, method):
    """The ranking the API and admin read (scores stored by the round's fit) gives the live
    ranking's rows, numbers and order, up to exact ties."""
    round_, _apps, _users, _rows = build_round(**spec)
    ensure_calibration(round_)  # round_ranking reads its calibrated scores too
    live = list(round_ranking(round=round_, method=method))
    stored = list(scoring.ranking(round=round_, method=method))
    assert [row.rank for row in stored] == list(range(1, len(live) + 1))
    by_pk = {row.pk: row for row in live}
    assert set(by_pk) == {row.pk for row in stored}
    for row in stored:
        theirs = by_pk[row.pk]
        assert row.review_count == theirs.review_count
        assert row.flagged == theirs.flagged
        for field in ("raw_score", "normalized_score", "calibrated_score", "spread"):
            mine, want = getattr(row, field), getattr(theirs, field)
            assert (mine is None) == (want is None), field
            if want is not None:
                assert mine == pytest.approx(want, abs=TOLERANCE), field
    primary = {"raw": "raw_score", "normalized": "normalized_score"}.get(method, "calibrated_score")
    for mine, theirs in zip(stored, live, strict=True):
        if mine.pk != theirs.pk:
            a, b = getattr(mine, primary), getattr(theirs, primary)
            assert a == pytest.approx(b, abs=TOLERANCE)


@pytest.mark.django_db
def test_round_ranking_worked_example():
    # Two criteria, weights 1 and 3, scales 10 and 5.
    spec = {
        "criteria": [(1, 10), (3, 5)],
        "applications": 3,
        "reviewers": 2,
        "reviews": [
            (0, 0, [10, 5], True),  # 100
            (1, 0, [5, 1], True),  # (0.5 + 0.6) / 4 * 100 = 27.5
            (0, 1, [2, 3], True),  # (0.2 + 1.8) / 4 * 100 = 50
            (1, 1, [4, 2], False),  # draft: not counted
        ],
    }
    round_, apps, _users, _rows = build_round(**spec)
    ranking = list(round_ranking(round=round_))
    assert [row.pk for row in ranking] == [apps[0].pk, apps[1].pk, apps[2].pk]
    first, second, third = ranking
    assert first.raw_score == pytest.approx(75.0)
    assert first.spread == pytest.approx(25.0)
    assert first.review_count == 2
    assert first.flagged is True
    # Reviewer 0 has 100 and 27.5 (z = +1, -1); reviewer 1 has one review (z = 0).
    assert first.normalized_score == pytest.approx(0.5)
    assert second.raw_score == pytest.approx(27.5)
    assert second.normalized_score == pytest.approx(-1.0)
    assert second.flagged is False
    assert (third.raw_score, third.normalized_score, third.spread) == (None, None, None)
    assert (third.review_count, third.flagged, third.rank) == (0, False, 3)
    assert first.startup.name == apps[0].startup.name


@pytest.mark.django_db
def test_round_ranking_filters_narrow_rows_and_rerank():
    round_ = RoundFactory()
    Criterion.objects.create(round=round_, name="Team", weight=1, max_score=10)
    wanted = ApplicationFactory(
        round=round_,
        status=ApplicationStatus.UNDER_REVIEW,
        track=Track.HEALTHCARE,
        startup=StartupFactory(region=Region.MACAU),
        needs_fund=False,
        needs_testing=True,
    )
    ApplicationFactory(round=round_, status=ApplicationStatus.UNDER_REVIEW)
    ApplicationFactory(round=round_, status=ApplicationStatus.DRAFT)
    ApplicationFactory(round=round_, status=ApplicationStatus.WITHDRAWN)
    ApplicationFactory(status=ApplicationStatus.UNDER_REVIEW)  # another round
    assert round_ranking(round=round_).count() == 2
    for filters in (
        {"track": Track.HEALTHCARE},
        {"region": Region.MACAU},
        {"needs": ServiceKind.TESTING},
        {"track": "healthcare", "region": "macau", "needs": "testing"},
    ):
        rows = list(round_ranking(round=round_, **filters))
        assert [(row.pk, row.rank) for row in rows] == [(wanted.pk, 1)]
    assert round_ranking(round=round_, status=ApplicationStatus.DRAFT).count() == 1
    assert list(round_ranking(round=round_, min_reviews=1)) == []


@pytest.mark.django_db
def test_round_ranking_chains_like_a_queryset():
    spec = {
        "criteria": [(1, 10)],
        "applications": 4,
        "reviewers": 1,
        "reviews": [(i, 0, [i + 1], True) for i in range(4)],
    }
    round_, apps, _users, _rows = build_round(**spec)
    ranking = round_ranking(round=round_, min_reviews=1)
    assert ranking.count() == 4
    assert [row.pk for row in ranking[:2]] == [apps[3].pk, apps[2].pk]
    assert [row.pk for row in ranking.filter(rank__lte=2)] == [apps[3].pk, apps[2].pk]
    assert [row.pk for row in ranking.filter(raw_score__gte=30)] == [apps[3].pk, apps[2].pk]
    # Like the named filters, a filter on a column narrows the rows before they are numbered.
    assert ranking.get(pk=apps[0].pk).rank == 1
    assert [row.rank for row in ranking if row.pk == apps[0].pk] == [4]


@pytest.mark.django_db
def test_round_ranking_rejects_unknown_method_and_filter_values():
    round_ = RoundFactory()
    with pytest.raises(ValueError, match="best"):
        round_ranking(round=round_, method="best")
    with pytest.raises(ValueError, match="mars"):
        round_ranking(round=round_, region="mars")


@pytest.mark.django_db
def test_reviewer_statistics_shows_leniency():
    spec = {
        "criteria": [(1, 10)],
        "applications": 2,
        "reviewers": 3,
        "reviews": [
            (0, 0, [9], True),  # 90; others on app 0: 50 → +40
            (0, 1, [5], True),  # 50; others: 90 → -40
            (1, 0, [7], True),  # 70; others on app 1: 30 → +40
            (1, 1, [3], True),  # 30 → -40
            (1, 2, [5], False),  # draft
        ],
    }
    round_, _apps, users, _rows = build_round(**spec)
    stats = {user.pk: user for user in reviewer_statistics(round=round_)}
    lenient, harsh, idle = (stats[u.pk] for u in users)
    assert (lenient.assignment_count, lenient.submitted_count) == (2, 2)
    assert lenient.mean_total == pytest.approx(80.0)
    assert lenient.sd_total == pytest.approx(10.0)
    assert lenient.leniency == pytest.approx(40.0)
    assert harsh.leniency == pytest.approx(-40.0)
    assert (idle.assignment_count, idle.submitted_count) == (1, 0)
    assert (idle.mean_total, idle.sd_total, idle.leniency) == (None, None, None)


@pytest.mark.django_db
def test_reviews_with_totals_null_until_every_criterion_is_scored():
    spec = {"criteria": [(1, 10), (1, 10)], "applications": 1, "reviewers": 1, "reviews": []}
    round_, apps, users, _rows = build_round(**spec)
    assignment = Assignment.objects.create(
        application=apps[0], reviewer=users[0], due_at=round_.review_deadline
    )
    review = Review.objects.create(assignment=assignment)
    first, second = round_.criteria.all()
    Score.objects.create(review=review, criterion=first, value=10)
    assert reviews_with_totals().get(pk=review.pk).total is None
    Score.objects.create(review=review, criterion=second, value=5)
    assert reviews_with_totals().get(pk=review.pk).total == pytest.approx(75.0)


# --- Withdrawn assignments (issue 11, item 4) ---------------------------------------------------


@pytest.mark.django_db
def test_round_ranking_leaves_out_the_review_of_a_withdrawn_assignment(coordinator):
    round_ = RoundFactory()
    application = scored_application(round_, [9, 5])
    kept, withdrawn = application.assignments.order_by("pk")

    withdraw_assignment(assignment=withdrawn, actor=coordinator, reason="Undisclosed conflict.")

    row = round_ranking(round=round_).get()
    assert (row.raw_score, row.review_count) == (90.0, 1)
    stats = {user.pk: user for user in reviewer_statistics(round=round_)}
    assert (stats[kept.reviewer_id].submitted_count, stats[kept.reviewer_id].mean_total) == (
        1,
        90.0,
    )
    # A reviewer whose only assignment of the round was withdrawn has nothing to show there.
    assert withdrawn.reviewer_id not in stats


@pytest.mark.django_db
def test_other_reviews_leave_out_a_withdrawn_one(coordinator):
    application = scored_application(RoundFactory(), [9, 5, 7])
    first, second, _third = (a.review for a in application.assignments.order_by("pk"))
    withdraw_assignment(assignment=second.assignment, actor=coordinator, reason="Left the panel.")

    # The labels stay as they were: "Reviewer 3" is still the third reviewer.
    assert [label for label, _review in other_reviews(review=first)] == ["Reviewer 3"]
