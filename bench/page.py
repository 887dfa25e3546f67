"""A page of the ranking and the coordinator dashboard on a large round, as the API reads them.

    .venv/bin/python manage.py generate_bench_data --applications 50000 --reviewers 500 \\
        --criteria 6 --seed 1 --name "Page bench 50000"
    .venv/bin/python -m bench.page --round "Page bench 50000" --repeat 5

For each method and a few filters: a page of 100 as `/api/v1/rounds/{id}/ranking/` computes it
(the stored fit's freshness checked, the count, the page: reviews.scoring.ranking with
reviews.selectors.CountedRanking), beside the live ranking paged the old way (round_ranking's
count() and a slice: the whole ranking computed twice). Then the dashboard's reads
(reviews.dashboard.round_dashboard) and a refit (reviews.scoring.refit_round: what a change to
a review costs after commit). Medians of --repeat runs, after one warm-up run each.
"""

import argparse
import statistics
import time

from bench._django import setup

setup()

from django.core.paginator import Paginator  # noqa: E402

from incubator.models import Round  # noqa: E402
from reviews.dashboard import round_dashboard  # noqa: E402
from reviews.scoring import ensure_calibration, ranking, refit_round  # noqa: E402
from reviews.selectors import CountedRanking, round_ranking  # noqa: E402

PAGE = 100
CASES = [
    ("raw", {}),
    ("normalized", {}),
    ("calibrated", {}),
    ("calibrated", {"track": "finance"}),
    ("normalized", {"region": "hong_kong", "min_reviews": 3}),
    ("raw", {"status": "under_review", "needs": "fund"}),
]


def median_seconds(function, repeat: int) -> float:
    function()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", required=True, help="the round's name")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--old", action="store_true", help="also time the old paging")
    args = parser.parse_args()
    round_ = Round.objects.get(name=args.round)
    started = time.perf_counter()
    ensure_calibration(round_)
    fitted = time.perf_counter() - started
    print(f"{round_.applications.count()} applications; first fit {fitted:.2f} s")
    for method, filters in CASES:

        def page(method=method, filters=filters):
            rows = CountedRanking(
                ranking(round=round_, method=method, **filters),
                round=round_,
                method=method,
                **filters,
            )
            return list(Paginator(rows, PAGE).page(2).object_list), rows.count()

        def old_page(method=method, filters=filters):
            rows = round_ranking(round=round_, method=method, **filters)
            return list(Paginator(rows, PAGE).page(2).object_list)

        seconds = median_seconds(page, args.repeat)
        line = f"page of {PAGE}, {method:<10} {filters!s:<45} {seconds * 1000:>7.0f} ms"
        if args.old:
            line += f"   (old paging: {median_seconds(old_page, args.repeat) * 1000:.0f} ms)"
        print(line)
    dashboard = median_seconds(lambda: round_dashboard(round=round_), args.repeat)
    print(f"dashboard reads {dashboard * 1000:>7.0f} ms")
    refit = median_seconds(lambda: refit_round(round_), args.repeat)
    print(f"refit (read totals, fit, store) {refit * 1000:>7.0f} ms")


if __name__ == "__main__":
    main()
