"""Stored calibrated scores: fitting a round's model and keeping the stored rows current.

The model (reviews/calibration.py) is fitted over the round's counted reviews (submitted, on an
assignment not withdrawn) and its results stored: one ApplicationScore per application, one
ReviewerLeniency per reviewer, and the RoundCalibration with the variance components, the
agreement (Krippendorff's alpha) and the `signature` of the reviews it saw — their count, the
sum of their ids and their latest `updated_at`. Any change to a counted review (a submission, a
withdrawal, a reopened review) changes the signature.

- After commit, a change schedules `reviews.refresh_calibration` (Celery; in-process when tasks
  run eagerly), so the rows are usually fresh before anyone reads them.
- On read, `ensure_calibration` compares the signature (one aggregate query) and refits inline
  when it is stale, so a reader never sees a fit older than the reviews (stale-safe).

Concurrent refits of one round are serialised on the RoundCalibration row.
"""

from __future__ import annotations

import numpy as np
from celery import current_app
from django.db import connection, transaction
from django.db.models import Count, Max, QuerySet, Sum
from django.utils import timezone

from applications.models import Application
from incubator.models import Round

from . import calibration
from .enums import ReviewStatus
from .models import ApplicationScore, Review, ReviewerLeniency, RoundCalibration
from .selectors import (
    NO_SPREAD_BELOW,
    round_review_scores,
    stored_ranking,
    stored_reviewer_statistics,
)

BATCH = 2000
REFRESH_TASK = "reviews.refresh_calibration"


def reviews_signature(round_: Round) -> str:
    """What identifies the counted reviews of the round as they are now (one query)."""
    row = Review.objects.filter(
        status=ReviewStatus.SUBMITTED,
        assignment__application__round=round_,
        assignment__withdrawn_at__isnull=True,
    ).aggregate(n=Count("id"), ids=Sum("id"), latest=Max("updated_at"))
    latest = row["latest"].isoformat() if row["latest"] else "-"
    return f"{row['n']}:{row['ids'] or 0}:{latest}"


def _moments(
    ids: np.ndarray, totals: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per distinct id (an application's or a reviewer's): the ids, each total's position among
    them, and the count, mean and population variance of their totals."""
    keys, codes = np.unique(ids, return_inverse=True)
    counts = np.bincount(codes)
    means = np.bincount(codes, weights=totals) / counts
    variances = np.bincount(codes, weights=(totals - means[codes]) ** 2) / counts
    return keys, codes, counts, means, variances


def _per_application(
    apps: np.ndarray, revs: np.ndarray, totals: np.ndarray
) -> dict[int, tuple[float, float, float, int]]:
    """Raw score (mean), normalised score (mean z-score within the reviewer, population SD; 0
    with fewer than two reviews or no spread), spread (population SD) and count of each
    application's totals: DESIGN.md section 5, as reviews.selectors.round_ranking computes them."""
    if len(totals) == 0:
        return {}
    keys, codes, counts, means, variances = _moments(apps, totals)
    spreads = np.sqrt(variances)
    _reviewers, by_reviewer, n_r, mean_r, var_r = _moments(revs, totals)
    usable = (n_r[by_reviewer] >= 2) & (var_r[by_reviewer] > NO_SPREAD_BELOW**2)
    sd = np.sqrt(np.where(usable, var_r[by_reviewer], 1.0))
    z = np.where(usable, (totals - mean_r[by_reviewer]) / sd, 0.0)
    normalised = np.bincount(codes, weights=z) / counts
    return {
        int(k): (float(m), float(z_mean), float(s), int(n))
        for k, m, z_mean, s, n in zip(keys, means, normalised, spreads, counts, strict=True)
    }


# One row per application: (application id, calibrated, raw, normalised, spread, count).
ScoreRow = tuple[int, float, float, float, float, int]

# PostgreSQL: the round's rows replaced in one statement from six arrays, rows that did not
# change left alone, rows of applications no longer scored deleted. A refit after one review
# rewrites nearly every row (the panel mean and the variances move), so this is what keeps it
# far below a second at 10,000 applications: the ORM's delete and batched inserts cost ~0.5 s.
UPSERT_SCORES = """
WITH fitted AS (
    SELECT * FROM unnest(%(application)s::bigint[], %(calibrated)s::float8[],
                         %(raw)s::float8[], %(normalized)s::float8[], %(spread)s::float8[],
                         %(count)s::integer[])
        AS row (application_id, calibrated_score, raw_score, normalized_score, spread,
                review_count)
), unscored AS (
    DELETE FROM {table} AS stored WHERE stored.round_id = %(round)s
        -- NOT IN over a subquery is a hashed subplan whatever the planner estimates.
        AND stored.application_id NOT IN (SELECT application_id FROM fitted)
)
INSERT INTO {table} AS stored (application_id, round_id, calibrated_score, raw_score,
                                normalized_score, spread, review_count)
SELECT application_id, %(round)s, calibrated_score, raw_score, normalized_score, spread,
       review_count
FROM fitted
ON CONFLICT (application_id) DO UPDATE SET
    round_id = excluded.round_id, calibrated_score = excluded.calibrated_score,
    raw_score = excluded.raw_score, normalized_score = excluded.normalized_score,
    spread = excluded.spread, review_count = excluded.review_count
WHERE (stored.round_id, stored.calibrated_score, stored.raw_score, stored.normalized_score,
       stored.spread, stored.review_count)
    IS DISTINCT FROM (excluded.round_id, excluded.calibrated_score, excluded.raw_score,
                      excluded.normalized_score, excluded.spread, excluded.review_count)
"""


def _array_literal(values) -> str:
    """A PostgreSQL array literal: parsed whole by the array's input function, far cheaper than
    the ARRAY[...] expression of one parameter per element that psycopg2 writes for a list.
    repr() of a float is its shortest exact form, so the stored values are bit for bit the
    fitted ones."""
    return "{" + ",".join("NULL" if value is None else repr(value) for value in values) + "}"


def _store_application_scores(round_: Round, rows: list[ScoreRow]) -> None:
    """Make the round's stored ApplicationScore rows exactly `rows`."""
    if connection.vendor != "postgresql":
        ApplicationScore.objects.filter(round=round_).delete()
        ApplicationScore.objects.bulk_create(
            (
                ApplicationScore(
                    application_id=pk,
                    round=round_,
                    calibrated_score=calibrated,
                    raw_score=raw,
                    normalized_score=normalized,
                    spread=spread,
                    review_count=count,
                )
                for pk, calibrated, raw, normalized, spread, count in rows
            ),
            batch_size=BATCH,
        )
        return
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    names = ("application", "calibrated", "raw", "normalized", "spread", "count")
    parameters = {name: _array_literal(column) for name, column in zip(names, columns, strict=True)}
    with connection.cursor() as cursor:
        cursor.execute(
            UPSERT_SCORES.format(table=connection.ops.quote_name(ApplicationScore._meta.db_table)),
            {**parameters, "round": round_.pk},
        )


def _per_reviewer(
    apps: np.ndarray, revs: np.ndarray, totals: np.ndarray
) -> dict[int, tuple[int, float, float, float | None]]:
    """Count, mean total, population SD and gap to the others (the mean of their total minus
    the mean of the other totals of the same application, over applications with another
    review) of each reviewer's totals: reviews.selectors.reviewer_statistics's numbers."""
    if len(totals) == 0:
        return {}
    _keys, by_application = np.unique(apps, return_inverse=True)
    app_counts = np.bincount(by_application)[by_application]
    app_sums = np.bincount(by_application, weights=totals)[by_application]
    shared = app_counts >= 2
    gaps = np.where(shared, totals - (app_sums - totals) / np.where(shared, app_counts - 1, 1), 0.0)
    keys, codes, counts, means, variances = _moments(revs, totals)
    sds = np.sqrt(variances)
    shared_counts = np.bincount(codes, weights=shared)
    gap_means = np.bincount(codes, weights=gaps) / np.maximum(shared_counts, 1)
    return {
        int(k): (int(n), float(m), float(sd), float(g) if n_shared else None)
        for k, n, m, sd, g, n_shared in zip(
            keys, counts, means, sds, gap_means, shared_counts, strict=True
        )
    }


def refit_round(round_: Round, *, signature: str | None = None) -> RoundCalibration:
    """Fit the round's model and store its results, replacing the previous ones."""
    with transaction.atomic():
        state, _created = RoundCalibration.objects.select_for_update().get_or_create(round=round_)
        signature = signature or reviews_signature(round_)
        scored = round_review_scores(round_)
        apps, revs, values = scored.applications, scored.reviewers, scored.values
        maxima, weights = np.array(scored.maxima), np.array(scored.weights)
        totals = calibration.review_totals(values, maxima, weights)
        result = calibration.fit_scores(apps, revs, values, maxima, weights)
        summaries = _per_application(apps, revs, totals)
        _store_application_scores(
            round_,
            [(pk, score, *summaries[pk]) for pk, score in result.calibrated.items()],
        )
        ReviewerLeniency.objects.filter(round=round_).delete()
        reviewers = _per_reviewer(apps, revs, totals)
        ReviewerLeniency.objects.bulk_create(
            (
                ReviewerLeniency(
                    round=round_,
                    reviewer_id=pk,
                    leniency=value,
                    leniency_se=result.leniency_se.get(pk),
                    review_count=reviewers[pk][0],
                    mean_total=reviewers[pk][1],
                    sd_total=reviewers[pk][2],
                    gap_to_others=reviewers[pk][3],
                )
                for pk, value in result.leniency.items()
            ),
            batch_size=BATCH,
        )
        state.signature = signature
        state.fitted_at = timezone.now()
        state.application_variance = result.application_variance
        state.reviewer_variance = result.reviewer_variance
        state.residual_variance = result.residual_variance
        state.agreement = calibration.krippendorff_alpha_interval(apps, totals)
        state.save()
    return state


def ensure_calibration(round_: Round) -> RoundCalibration:
    """The round's stored fit, refitted first if the reviews changed since (module docstring)."""
    signature = reviews_signature(round_)
    state = RoundCalibration.objects.filter(round=round_).first()
    if state is not None and state.signature == signature:
        return state
    return refit_round(round_, signature=signature)


def schedule_refit(round_id: int) -> None:
    """After the current transaction commits, refresh the round's fit (a Celery task)."""
    # By name: reviews/tasks.py imports this module, not the other way round.
    transaction.on_commit(lambda: current_app.tasks[REFRESH_TASK].delay(round_id))


def ranking(*, round: Round, **filters) -> QuerySet[Application]:
    """The round's ranking from the scores stored by a current fit (`ensure_calibration`, then
    `reviews.selectors.stored_ranking`): the same rows as `round_ranking`, without computing
    every review's total on each read."""
    ensure_calibration(round)
    return stored_ranking(round=round, **filters)


def reviewer_statistics_rows(*, round: Round) -> tuple[RoundCalibration, list]:
    """The round's current fit and its reviewers with their figures
    (`reviews.selectors.stored_reviewer_statistics`, read after `ensure_calibration`)."""
    state = ensure_calibration(round)
    return state, stored_reviewer_statistics(round=round)


def reviewer_statistics_report(*, round: Round) -> dict:
    """The reviewer statistics of DESIGN.md section 14 over a current fit: the round's
    agreement and, per reviewer with an assignment in it (by username), their counted reviews,
    mean total, leniency with its standard error, and whether they are an outlier
    (reviews/calibration.py: beyond 2 SE and 5 points). Read from the stored fit: no score is
    read, whatever the size of the round."""
    state, users = reviewer_statistics_rows(round=round)
    return {
        "agreement": state.agreement,
        "reviewers": [
            {
                "reviewer": user.pk,
                "name": user.get_full_name() or user.get_username(),
                "review_count": user.submitted_count,
                "mean_total": user.mean_total,
                "leniency": user.model_leniency,
                "leniency_se": user.model_leniency_se,
                "outlier": calibration.is_outlier(user.model_leniency, user.model_leniency_se),
            }
            for user in users
        ],
    }
