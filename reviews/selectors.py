"""Reads of the reviewing part: the ranking and the reviewer statistics (DESIGN.md section 5).

Every number here is computed by the database in one query built with the ORM: common table
expressions (django-cte) for the stages, aggregates and window functions inside them. Nothing
loops over scores in Python. The same code runs on PostgreSQL and SQLite.

The stages, all restricted to the round's submitted reviews:

1. `review_totals`: one row per review, its total on 0-100
   (Σ weight × score / max_score / Σ weight × 100).
2. `review_means`: + per reviewer the count, mean and (PostgreSQL) population variance of
   their totals, as windows; per application count and sum where a two-pass spread needs them.
3. `review_spreads` (SQLite only, which has no window VAR_POP): the reviewer's variance as the
   window mean of squared deviations from stage 2's mean.

The ranking then left-joins the round's applications to the last stage and groups there, in
the outer query: raw score (mean total), normalised score (mean z-score; a reviewer with fewer
than two reviews or no spread counts 0), spread (population SD) and count, numbered by a
RowNumber window. Grouping in the outer query keeps PostgreSQL's row estimates honest (a join
to an already-grouped stage is guessed at 200 rows and drew a nested loop at 50,000
applications). An application without a submitted review is ranked last with null scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    StdDev,
    Subquery,
    Sum,
    Value,
    Variance,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, RowNumber, Sqrt
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual, IsNull
from django.db.models.sql.constants import LOUTER
from django_cte import CTE, with_cte

from applications.enums import ApplicationStatus
from applications.models import Application
from incubator.enums import Region, ServiceKind, Track
from incubator.models import Criterion, Round

from .enums import RankingMethod, ReviewStatus
from .models import Assignment, Review, ReviewerLeniency, Score
from .permissions import assignments_visible_to

# An application with at least this many submitted reviews and at least this spread is flagged
# for discussion (DESIGN.md section 8).
FLAG_MIN_REVIEWS = 2
FLAG_MIN_SPREAD = 15.0
# A reviewer whose totals differ by less than this has "no spread": their z-scores count 0.
# Totals are rationals of small integers, so real differences are many orders larger.
NO_SPREAD_BELOW = 1e-9

RANKING_FILTERS = ("track", "region", "needs", "min_reviews", "status")
# The score a method ranks by, then the one that breaks its ties (then the earlier id).
_ORDER = {
    RankingMethod.RAW: ("raw_score", "normalized_score"),
    RankingMethod.NORMALIZED: ("normalized_score", "raw_score"),
    RankingMethod.CALIBRATED: ("calibrated_score", "raw_score"),
}


def _float(expression) -> Cast:
    return Cast(expression, output_field=FloatField())


def weighted_points(prefix: str = "") -> ExpressionWrapper:
    """weight × score / max_score of one Score row (`prefix` reaches Score from another model)."""
    return ExpressionWrapper(
        _float(F(f"{prefix}criterion__weight"))
        * _float(F(f"{prefix}value"))
        / _float(F(f"{prefix}criterion__max_score")),
        output_field=FloatField(),
    )


def review_total_expression(prefix: str = ""):
    """The review's total on 0-100 as an aggregate over its scores (Score rows reached by
    `prefix`); DESIGN.md section 5."""
    return ExpressionWrapper(
        Sum(weighted_points(prefix)) / Sum(_float(F(f"{prefix}criterion__weight"))) * 100.0,
        output_field=FloatField(),
    )


def review_total_subquery() -> Case:
    """A Review annotation: the total, or null until every criterion of the round is scored."""
    own_scores = Score.objects.filter(review=OuterRef("pk")).order_by().values("review")
    total = own_scores.annotate(total=review_total_expression()).values("total")
    scored = own_scores.annotate(n=Count("id")).values("n")
    needed = (
        Criterion.objects.filter(round=OuterRef("assignment__application__round"))
        .order_by()
        .values("round")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Case(
        When(
            Exact(
                Subquery(scored, output_field=IntegerField()),
                Subquery(needed, output_field=IntegerField()),
            ),
            then=Subquery(total, output_field=FloatField()),
        ),
        default=None,
        output_field=FloatField(),
    )


def _review_stage_ctes(round_: Round, *, per_application: bool = False) -> tuple[CTE, CTE, CTE]:
    """Stages 1-3 of the module docstring for one round."""
    totals = CTE(
        Score.objects.filter(
            review__status=ReviewStatus.SUBMITTED,
            review__assignment__application__round=round_,
            # The review of a withdrawn assignment is kept, and no longer counts.
            review__assignment__withdrawn_at__isnull=True,
        )
        .order_by()
        .values(
            review_ref=F("review_id"),
            reviewer_ref=F("review__assignment__reviewer_id"),
            application_ref=F("review__assignment__application_id"),
        )
        .annotate(total=review_total_expression()),
        name="review_totals",
    )
    by_reviewer = {"partition_by": [totals.col.reviewer_ref]}
    by_application = {"partition_by": [totals.col.application_ref]}
    windows = {
        "reviewer_count": Window(Count("*"), **by_reviewer),
        "reviewer_mean": Window(Avg(totals.col.total), **by_reviewer),
    }
    if per_application:
        windows["application_count"] = Window(Count("*"), **by_application)
        windows["application_sum"] = Window(Sum(totals.col.total), **by_application)
    one_pass = connection.vendor == "postgresql"
    if one_pass:
        # PostgreSQL's VAR_POP window is numerically stable (Youngs-Cramer): one stage less.
        windows["reviewer_variance"] = Window(
            Variance(totals.col.total, sample=False), **by_reviewer
        )
    means = CTE(totals.queryset().order_by().annotate(**windows), name="review_means")
    if one_pass:
        return totals, means, means
    # SQLite has no window VAR_POP: a second pass over the deviations from the mean.
    deviation = means.col.total - means.col.reviewer_mean
    spreads = CTE(
        means.queryset()
        .order_by()
        .annotate(
            reviewer_variance=Window(
                Avg(deviation * deviation), partition_by=[means.col.reviewer_ref]
            ),
        ),
        name="review_spreads",
    )
    return totals, means, spreads


def _z_score(spreads: CTE):
    """The review's z-score within its reviewer's totals; 0 without two reviews or spread."""
    reviewer_sd = Sqrt(spreads.col.reviewer_variance)
    return Case(
        # An application without a submitted review has no review row (the left join's nulls).
        When(IsNull(spreads.col.review_ref, True), then=None),
        When(
            GreaterThanOrEqual(spreads.col.reviewer_count, 2)
            & GreaterThan(spreads.col.reviewer_variance, NO_SPREAD_BELOW**2),
            then=(spreads.col.total - spreads.col.reviewer_mean) / reviewer_sd,
        ),
        default=Value(0.0),
        output_field=FloatField(),
    )


def _ranked_applications(
    *,
    round_: Round,
    track: str | None,
    region: str | None,
    needs: str | None,
    status: str | None,
) -> QuerySet[Application]:
    applications = Application.objects.filter(round=round_)
    if status:
        applications = applications.filter(status=ApplicationStatus(status))
    else:
        applications = applications.submitted()
    if track:
        applications = applications.filter(track=Track(track))
    if region:
        applications = applications.filter(startup__region=Region(region))
    if needs:
        applications = applications.needing(ServiceKind(needs).value)
    return applications


def ranking_count(
    *,
    round: Round,
    method: str = "raw",
    track: str | None = None,
    region: str | None = None,
    needs: str | None = None,
    min_reviews: int | None = None,
    status: str | None = None,
) -> int:
    """How many rows `round_ranking` gives with these filters, without ranking anything: the
    filtered applications, and with `min_reviews` only those with that many counted reviews.
    A page of the ranking then computes the ranking once, not twice (count and page)."""
    applications = _ranked_applications(
        round_=round, track=track, region=region, needs=needs, status=status
    )
    if min_reviews:
        counted = (
            Review.objects.filter(
                status=ReviewStatus.SUBMITTED,
                assignment__withdrawn_at__isnull=True,
                assignment__application=OuterRef("pk"),
            )
            .order_by()
            .values("assignment__application")
            .annotate(n=Count("id"))
            .values("n")
        )
        applications = applications.annotate(
            counted=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))
        ).filter(counted__gte=int(min_reviews))
    return applications.count()


class CountedRanking:
    """A ranking queryset whose count() is `ranking_count`'s (for Django's Paginator): slicing
    and iterating go to the queryset."""

    ordered = True

    def __init__(self, queryset: QuerySet[Application], count: int | None = None, **filters):
        self.queryset = queryset
        self._count = count
        self._filters = filters

    def count(self) -> int:
        if self._count is None:
            self._count = ranking_count(**self._filters)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        return self.queryset[key]

    def __iter__(self):
        return iter(self.queryset)


def _flag_and_rank(
    ranked: QuerySet[Application], *, method: RankingMethod, min_reviews: int | None
) -> QuerySet[Application]:
    """The last stage both rankings share: the `min_reviews` filter on the scored rows, then
    `flagged` (DESIGN.md section 5) and `rank` by the method's score, the other score, the id."""
    if min_reviews:
        ranked = ranked.filter(review_count__gte=int(min_reviews))
    primary, secondary = _ORDER[method]
    return ranked.annotate(
        flagged=Case(
            When(
                Q(review_count__gte=FLAG_MIN_REVIEWS) & Q(spread__gte=FLAG_MIN_SPREAD),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        ),
        rank=Window(
            RowNumber(),
            order_by=[
                F(primary).desc(nulls_last=True),
                F(secondary).desc(nulls_last=True),
                F("id").asc(),
            ],
        ),
    )


def round_ranking(
    *,
    round: Round,
    method: str = "raw",
    track: str | None = None,
    region: str | None = None,
    needs: str | None = None,
    min_reviews: int | None = None,
    status: str | None = None,
) -> QuerySet[Application]:
    """The round's applications ranked by raw, normalised or calibrated score, best first.

    Each row is annotated with `raw_score`, `normalized_score`, `calibrated_score`, `spread`
    (floats, null without a submitted review), `review_count`, `flagged` and `rank` (1-based).
    Ties are broken by the other method's score (the raw one for calibrated), then by the
    earlier application (id). `calibrated_score` is the stored fit: callers make sure it is
    current first with `reviews.scoring.ensure_calibration` (or rank through
    `reviews.scoring.ranking`). Filters narrow the rows and
    the ranks are those within the filtered list; normalised scores never depend on the
    filters (a reviewer's z-scores use all their submitted reviews of the round). Without
    `status`, drafts and withdrawn applications are left out.
    """
    method = RankingMethod(method)
    on_postgres = connection.vendor == "postgresql"
    # SQLite's STDDEV_POP (Django's own) fails on no rows: there, a two-pass spread instead.
    totals, means, spreads = _review_stage_ctes(round, per_application=not on_postgres)
    ctes = [totals, means] if spreads is means else [totals, means, spreads]
    if on_postgres:
        spread = StdDev(spreads.col.total, sample=False)
    else:
        deviation = spreads.col.total - spreads.col.application_sum / _float(
            spreads.col.application_count
        )
        spread = Sqrt(Avg(deviation * deviation))

    applications = _ranked_applications(
        round_=round, track=track, region=region, needs=needs, status=status
    )

    # The applications are grouped with their reviews' rows here, in the outer query: a join
    # to an already-grouped stage would leave PostgreSQL guessing its size (200 rows) and, at
    # 50,000 applications, choosing a nested loop over it.
    joined = spreads.join(applications, id=spreads.col.application_ref, _join_type=LOUTER)
    ranked = joined.annotate(
        raw_score=Avg(spreads.col.total),
        normalized_score=Avg(_z_score(spreads)),
        spread=spread,
        review_count=Count(spreads.col.review_ref),
        # Stored by reviews/scoring.py (one row per application, so Max is the value itself).
        calibrated_score=Max("stored_scores__calibrated_score"),
    )
    ranked = _flag_and_rank(ranked, method=method, min_reviews=min_reviews)
    return with_cte(*ctes, select=ranked).select_related("startup").order_by("rank")


def stored_ranking(
    *,
    round: Round,
    method: str = "raw",
    track: str | None = None,
    region: str | None = None,
    needs: str | None = None,
    min_reviews: int | None = None,
    status: str | None = None,
) -> QuerySet[Application]:
    """`round_ranking`'s rows and order read from the scores stored by the round's last fit
    (reviews.models.ApplicationScore, one row per application with a counted review; see
    reviews/scoring.py, which makes the fit current before calling this). One query over
    the applications and their stored row: no review is read."""
    method = RankingMethod(method)
    applications = _ranked_applications(
        round_=round, track=track, region=region, needs=needs, status=status
    )
    ranked = applications.annotate(
        raw_score=F("stored_scores__raw_score"),
        normalized_score=F("stored_scores__normalized_score"),
        calibrated_score=F("stored_scores__calibrated_score"),
        spread=F("stored_scores__spread"),
        review_count=Coalesce(F("stored_scores__review_count"), Value(0)),
    )
    ranked = _flag_and_rank(ranked, method=method, min_reviews=min_reviews)
    return ranked.select_related("startup").order_by("rank")


@dataclass(frozen=True)
class RoundScores:
    """Every counted review of a round (submitted, on an assignment not withdrawn) with its
    scores, in review order: one row of `values` per review, one column per criterion of the
    round (NaN where not scored), parallel to `applications` and `reviewers`."""

    applications: np.ndarray
    reviewers: np.ndarray
    values: np.ndarray
    maxima: list[float]
    weights: list[float]


def round_review_scores(round_: Round) -> RoundScores:
    """The input of the calibrated model (reviews/calibration.py `fit_scores`), in two queries:
    the round's criteria and the counted reviews' scores."""
    criteria = list(
        Criterion.objects.filter(round=round_)
        .order_by("pk")
        .values_list("pk", "max_score", "weight")
    )
    if not criteria:
        return RoundScores(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 0)), [], [])
    rows = Score.objects.filter(
        review__status=ReviewStatus.SUBMITTED,
        review__assignment__withdrawn_at__isnull=True,
        review__assignment__application__round=round_,
        criterion__in=[pk for pk, _maximum, _weight in criteria],
    ).values_list(
        "review_id",
        "review__assignment__application_id",
        "review__assignment__reviewer_id",
        "criterion_id",
        "value",
    )
    # 180,000 rows at 10,000 applications: fetched as plain integers without the ORM's per-row
    # conversions, and laid out by numpy.
    sql, params = rows.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 5)
    _reviews, first, row = np.unique(fetched[:, 0], return_index=True, return_inverse=True)
    values = np.full((len(first), len(criteria)), np.nan)
    columns = np.searchsorted([pk for pk, _maximum, _weight in criteria], fetched[:, 3])
    values[row, columns] = fetched[:, 4]
    return RoundScores(
        applications=fetched[first, 1],
        reviewers=fetched[first, 2],
        values=values,
        maxima=[float(maximum) for _pk, maximum, _weight in criteria],
        weights=[float(weight) for _pk, _maximum, weight in criteria],
    )


def reviewer_statistics(*, round: Round) -> QuerySet[AbstractBaseUser]:
    """Per reviewer with an assignment in the round: `assignment_count`, `submitted_count`,
    `mean_total`, `sd_total` (population) and `leniency`, the mean of (their total − the mean
    of the other reviewers' totals of the same application) over the applications that have
    another submitted review. Positive leniency: kinder than their colleagues."""
    totals, means, _spreads = _review_stage_ctes(round, per_application=True)
    others_count = means.col.application_count - 1
    gap_to_others = Case(
        When(
            Q(application_count__gte=2),
            then=means.col.total
            - (means.col.application_sum - means.col.total) / _float(others_count),
        ),
        default=None,
        output_field=FloatField(),
    )
    per_reviewer = CTE(
        means.queryset()
        .order_by()
        .values("reviewer_ref")
        .annotate(
            mean_total=Avg(means.col.total),
            variance=Avg(
                (means.col.total - means.col.reviewer_mean)
                * (means.col.total - means.col.reviewer_mean)
            ),
            leniency=Avg(gap_to_others),
        ),
        name="reviewer_scores",
    )
    round_assignments = Assignment.objects.active().filter(
        reviewer=OuterRef("pk"), application__round=round
    )

    def count_of(queryset: QuerySet) -> Subquery:
        return Subquery(
            queryset.order_by().values("reviewer").annotate(n=Count("id")).values("n"),
            output_field=IntegerField(),
        )

    users = get_user_model().objects.filter(
        pk__in=Assignment.objects.active().filter(application__round=round).values("reviewer")
    )
    joined = per_reviewer.join(users, id=per_reviewer.col.reviewer_ref, _join_type=LOUTER)
    return with_cte(
        totals,
        means,
        per_reviewer,
        select=joined.annotate(
            assignment_count=Coalesce(count_of(round_assignments), Value(0)),
            submitted_count=Coalesce(
                count_of(round_assignments.filter(review__status=ReviewStatus.SUBMITTED)),
                Value(0),
            ),
            mean_total=per_reviewer.col.mean_total,
            sd_total=Sqrt(per_reviewer.col.variance),
            leniency=per_reviewer.col.leniency,
        ),
    ).order_by("username")


def stored_reviewer_statistics(*, round: Round) -> list[AbstractBaseUser]:
    """`reviewer_statistics`'s users and numbers read from the round's last fit (its
    ReviewerLeniency rows; reviews/scoring.py makes the fit current before calling this), with
    the model's estimate beside them as `model_leniency` and `model_leniency_se`. Three
    queries, none over scores: assignment counts grouped by reviewer, the users, the rows."""
    counts = {
        row["reviewer"]: row
        for row in Assignment.objects.active()
        .filter(application__round=round)
        .order_by()
        .values("reviewer")
        .annotate(
            assigned=Count("id"),
            submitted=Count("id", filter=Q(review__status=ReviewStatus.SUBMITTED)),
        )
    }
    stored = {
        row.reviewer_id: row
        for row in ReviewerLeniency.objects.filter(round=round, reviewer_id__in=list(counts))
    }
    users = list(get_user_model().objects.filter(pk__in=list(counts)).order_by("username"))
    for user in users:
        row = stored.get(user.pk) if counts[user.pk]["submitted"] else None
        user.assignment_count = counts[user.pk]["assigned"]
        user.submitted_count = counts[user.pk]["submitted"]
        user.mean_total = row.mean_total if row else None
        user.sd_total = row.sd_total if row else None
        user.leniency = row.gap_to_others if row else None
        user.model_leniency = row.leniency if row else None
        user.model_leniency_se = row.leniency_se if row else None
    return users


def reviews_with_totals() -> QuerySet[Review]:
    return Review.objects.annotate(total=review_total_subquery())


def review_detail(*, pk: int, queryset: QuerySet[Review] | None = None) -> Review:
    """One review with its total, scores and assignment, for the API and the admin."""
    queryset = Review.objects.all() if queryset is None else queryset
    return (
        queryset.annotate(total=review_total_subquery())
        .select_related("assignment__application__startup", "assignment__reviewer")
        .prefetch_related("scores__criterion")
        .get(pk=pk)
    )


def other_reviews(*, review: Review) -> list[tuple[str, Review]]:
    """The other submitted reviews of the same application, labelled "Reviewer N" without names.

    N is the reviewer's place among the application's assignments (oldest first, withdrawn ones
    included), so every reader sees the same label for the same reviewer. The review of a
    withdrawn assignment no longer counts and is not shown.
    """
    assignment_ids = list(
        Assignment.objects.filter(application_id=review.assignment.application_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    number = {pk: index for index, pk in enumerate(assignment_ids, start=1)}
    others = (
        Review.objects.filter(
            assignment__application_id=review.assignment.application_id,
            assignment__withdrawn_at__isnull=True,
            status=ReviewStatus.SUBMITTED,
        )
        .exclude(pk=review.pk)
        .annotate(total=review_total_subquery())
        .prefetch_related("scores__criterion")
        .order_by("assignment_id")
    )
    return [(f"Reviewer {number[other.assignment_id]}", other) for other in others]


def reviewer_label(*, review: Review) -> str:
    """The anonymous label of a review's author, as others see it."""
    position = Assignment.objects.filter(
        application_id=review.assignment.application_id, pk__lte=review.assignment_id
    ).count()
    return f"Reviewer {position}"


def scored_criteria(round_: Round) -> set[int]:
    """Ids of the round's criteria that a reviewer has scored (their weight and scale are then
    fixed). Given to `incubator.services` at start-up."""
    return set(
        Score.objects.filter(criterion__round=round_)
        .values_list("criterion_id", flat=True)
        .distinct()
    )


def assignments_with_reviews() -> QuerySet[Assignment]:
    """Assignments with their reviewer, review, the review's total (0-100, null until every
    criterion is scored) and its scores by criterion: a fixed number of queries for any number."""
    totals = reviews_with_totals().filter(assignment=OuterRef("pk")).values("total")
    return (
        Assignment.objects.select_related("reviewer", "review", "application__startup")
        .annotate(review_total=Subquery(totals, output_field=FloatField()))
        .prefetch_related(
            Prefetch(
                "review__scores",
                queryset=Score.objects.select_related("criterion").order_by(
                    "criterion__order", "criterion__pk"
                ),
            )
        )
        .order_by("due_at", "pk")
    )


@dataclass(frozen=True)
class ReviewQueue:
    """Where a review stands among its reviewer's work in the same round."""

    left: int  # draft reviews still to do, this one included while it is a draft
    total: int  # all of the reviewer's (standing) assignments in the round
    next_review: int | None  # the next draft to open, in due-date order, after this one


def review_queue(*, reviewer: AbstractBaseUser, review: Review) -> ReviewQueue:
    """The reviewer's own reviews in the round of `review`: how many are left and which next.

    Next is the first draft after this one in the assignments list's order (due date, then
    assignment), going round to the start; none when no other draft is left.
    """
    rows = list(
        assignments_visible_to(reviewer)
        .filter(reviewer=reviewer, application__round_id=review.assignment.application.round_id)
        .order_by("due_at", "pk")
        .values_list("review__pk", "review__status")
    )
    drafts = [pk for pk, status in rows if status == ReviewStatus.DRAFT]
    order = [pk for pk, _status in rows]
    position = order.index(review.pk) if review.pk in order else -1
    after = [pk for pk in drafts if order.index(pk) > position]
    before = [pk for pk in drafts if order.index(pk) < position]
    following = (after + before)[:1]
    return ReviewQueue(
        left=len(drafts), total=len(rows), next_review=following[0] if following else None
    )
