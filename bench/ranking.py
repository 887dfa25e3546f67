"""Ranking benchmark: our ORM ranking against one hand-written SQL query through psycopg2.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/incubator_bench_reviews \\
        .venv/bin/python -m bench.ranking --applications 10000 --criteria 6 --repeat 7

Generates (once per size and seed, then reused) a round of N applications × 3 submitted reviews
× K criteria, checks that both give the same numbers and order, then times each the same way:
the median of --repeat runs, each fetching every row. "ORM, models" is what the API and admin
do (model instances with the startup joined); "ORM, values" fetches the same columns as the
hand-written query, which isolates the SQL the ORM writes from Python's object building.
"calibrated" is read as the API reads it (the stored fit's freshness checked, then the ranking
ordered by the stored calibrated score), held against the hand-written query of the raw
ranking; the last line times a refit (reviews.scoring.refit_round: read the totals, fit,
store), what a review's submission costs after commit.
"""

import argparse
import statistics
import time

from bench._django import setup

setup()

import psycopg2  # noqa: E402
from django.db import connection  # noqa: E402

from bench.generator import generate  # noqa: E402
from incubator.models import Round  # noqa: E402
from reviews.scoring import ensure_calibration, ranking, refit_round  # noqa: E402

HAND_WRITTEN = """
WITH totals AS (
    SELECT a.reviewer_id, a.application_id,
           SUM(c.weight::float8 * s.value / c.max_score) / SUM(c.weight::float8) * 100 AS total
    FROM reviews_score s
    JOIN incubator_criterion c ON c.id = s.criterion_id
    JOIN reviews_review r ON r.id = s.review_id
    JOIN reviews_assignment a ON a.id = r.assignment_id
    JOIN applications_application app ON app.id = a.application_id
    WHERE app.round_id = %(round)s AND r.status = 'submitted'
    GROUP BY r.id, a.reviewer_id, a.application_id
), z AS (
    SELECT application_id, total,
           CASE WHEN count(*) OVER w >= 2 AND stddev_pop(total) OVER w > 1e-9
                THEN (total - avg(total) OVER w) / stddev_pop(total) OVER w ELSE 0 END AS z
    FROM totals WINDOW w AS (PARTITION BY reviewer_id)
), per_application AS (
    SELECT application_id, avg(total) AS raw, avg(z) AS normalized,
           stddev_pop(total) AS spread, count(*) AS reviews
    FROM z GROUP BY application_id
)
SELECT app.id, st.name, app.project_name, p.raw, p.normalized, p.spread,
       coalesce(p.reviews, 0) AS review_count,
       coalesce(p.reviews, 0) >= 2 AND p.spread >= 15 AS flagged,
       row_number() OVER (ORDER BY {primary} DESC NULLS LAST, {secondary} DESC NULLS LAST,
                          app.id) AS rank
FROM applications_application app
JOIN applications_startup st ON st.id = app.startup_id
LEFT JOIN per_application p ON p.application_id = app.id
WHERE app.round_id = %(round)s AND app.status NOT IN ('draft', 'withdrawn')
ORDER BY rank
"""

VALUES = (
    "pk",
    "startup__name",
    "project_name",
    "raw_score",
    "normalized_score",
    "spread",
    "review_count",
    "flagged",
    "rank",
)


def check_same(got: list, expected: list, count: int, primary: int) -> None:
    """Same rows and numbers (to 1e-9) per application, and the same order up to exact ties
    (two totals equal up to floating-point noise may be numbered either way)."""
    if not len(expected) == len(got) == count:
        raise SystemExit(f"row counts differ: ORM {len(got)}, SQL {len(expected)}, N {count}")
    by_pk = {row[0]: row for row in expected}
    for position, mine in enumerate(got):
        theirs = by_pk[mine[0]]
        for a, b in zip(mine[3:7], theirs[3:7], strict=True):
            if not ((a is None and b is None) or abs(a - b) < 1e-9):
                raise SystemExit(f"numbers differ: ORM {mine}, SQL {theirs}")
        at_rank = expected[position]
        same = (mine[primary] is None and at_rank[primary] is None) or (
            mine[primary] is not None
            and at_rank[primary] is not None
            and abs(mine[primary] - at_rank[primary]) < 1e-9
        )
        if mine[8] != position + 1 or not same:
            raise SystemExit(f"order differs at {position + 1}: ORM {mine}, SQL {at_rank}")


def median_seconds(function, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--reviewers", type=int, default=200)
    parser.add_argument("--criteria", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    name = f"Ranking bench {args.applications}x{args.criteria} seed {args.seed}"
    round_ = Round.objects.filter(name=name).first()
    if round_ is None:
        started = time.perf_counter()
        round_ = generate(
            applications=args.applications,
            reviewers=args.reviewers,
            criteria=args.criteria,
            seed=args.seed,
            name=name,
        ).round
        print(f"generated {name} in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    settings = connection.settings_dict
    raw_connection = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
    )
    print(
        f"{args.applications} applications × 3 reviews × {args.criteria} criteria "
        f"(median of {args.repeat})"
    )
    print(
        f"{'method':<11} {'hand SQL':>10} {'ORM values':>11} {'ORM models':>11} "
        f"{'ratio values':>13} {'ratio models':>13}"
    )
    refit = median_seconds(lambda: refit_round(round_), args.repeat)
    ensure_calibration(round_)
    for method in ("raw", "normalized", "calibrated"):
        # The calibrated ranking is held against the hand-written query of the raw one.
        primary, secondary = (
            ("p.normalized", "p.raw") if method == "normalized" else ("p.raw", "p.normalized")
        )
        sql = HAND_WRITTEN.format(primary=primary, secondary=secondary)

        def hand_written(sql=sql):
            with raw_connection.cursor() as cursor:
                cursor.execute(sql, {"round": round_.pk})
                return cursor.fetchall()

        # As the API reads it: the fit's freshness checked (one query), then the ranking.
        def orm_values(method=method):
            return list(ranking(round=round_, method=method).values_list(*VALUES))

        def orm_models(method=method):
            return list(ranking(round=round_, method=method))

        # Same rows, same order, same numbers (to 1e-9) before anything is timed.
        if method == "calibrated":
            rows = orm_values()
            scores = [
                row[-1]
                for row in ranking(round=round_, method=method).values_list("calibrated_score")
            ]
            if len(rows) != args.applications or scores != sorted(scores, reverse=True):
                raise SystemExit("the calibrated ranking is not ordered by its scores")
        else:
            check_same(orm_values(), hand_written(), args.applications, 3 if method == "raw" else 4)
        hand = median_seconds(hand_written, args.repeat)
        values = median_seconds(orm_values, args.repeat)
        models = median_seconds(orm_models, args.repeat)
        print(
            f"{method:<11} {hand * 1000:>8.0f}ms {values * 1000:>9.0f}ms {models * 1000:>9.0f}ms "
            f"{values / hand:>12.2f}× {models / hand:>12.2f}×"
        )
    print(f"refit after a review changes (fit + store): {refit * 1000:.0f}ms")
    raw_connection.close()


if __name__ == "__main__":
    main()
