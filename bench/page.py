"""A page of the ranking and the coordinator dashboard on a large round, as the API reads them.

    .venv/bin/python manage.py generate_bench_data --applications 50000 --reviewers 500 \\
        --criteria 6 --seed 1 --name "Page bench 50000"
    .venv/bin/python -m bench.page --round "Page bench 50000" --repeat 5

For each method and a few filters: a page of 100 as `/api/v1/rounds/{id}/ranking/` computes it
(the stored fit's freshness checked, the count, the page: reviews.scoring.ranking with
reviews.selectors.CountedRanking), beside the live ranking paged the old way (round_ranking's
count() and a slice: the whole ranking computed twice). Then the dashboard's reads
(reviews.dashboard.round_dashboard) and a refit (reviews.scoring.refit_round: what a change to
a review costs after commit). With --http, the whole responses too, through Django's test
client as a coordinator with a verified session: `/api/v1/rounds/{id}/ranking/?page=2` per
method (JSON of 100 rows), the admin's ranking page (HTML) with and without filters, and the
dashboard page `/admin/dashboard/?round={id}` (HTML, its charts and cards). Medians of
--repeat runs, after one warm-up run each.
"""

import argparse
import statistics
import time

from bench._django import setup

setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from incubator.models import Round  # noqa: E402
from incubator.permissions import COORDINATORS_GROUP  # noqa: E402
from reviews.dashboard import round_dashboard  # noqa: E402
from reviews.scoring import ensure_calibration, ranking, refit_round  # noqa: E402
from reviews.selectors import CountedRanking, round_ranking  # noqa: E402
from tests.twofactor import force_login_verified  # noqa: E402

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
    parser.add_argument("--http", action="store_true", help="also time the whole responses")
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
    if args.http:
        time_responses(round_, args.repeat)
    refit = median_seconds(lambda: refit_round(round_), args.repeat)
    print(f"refit (read totals, fit, store) {refit * 1000:>7.0f} ms")


def time_responses(round_: Round, repeat: int) -> None:
    """The ranking API's page 2 per method and the dashboard page, as a coordinator gets them."""
    coordinator, _created = get_user_model().objects.get_or_create(
        username="bench-coordinator", defaults={"is_staff": True}
    )
    coordinator.groups.add(Group.objects.get_or_create(name=COORDINATORS_GROUP)[0])
    client = Client(HTTP_HOST="localhost")
    force_login_verified(client, coordinator)

    def get(url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")

    for method in ("raw", "normalized", "calibrated"):
        url = f"/api/v1/rounds/{round_.pk}/ranking/?method={method}&page=2"
        seconds = median_seconds(lambda url=url: get(url), repeat)
        print(f"response {url:<58} {seconds * 1000:>7.0f} ms")
    ranking_page = reverse("admin:reviews_ranking")
    for query in ("method=calibrated&page=2", "method=normalized&region=hong_kong&flagged=1"):
        url = f"{ranking_page}?round={round_.pk}&{query}"
        seconds = median_seconds(lambda url=url: get(url), repeat)
        print(f"response {url:<58} {seconds * 1000:>7.0f} ms")
    url = f"/admin/dashboard/?round={round_.pk}"
    seconds = median_seconds(lambda: get(url), repeat)
    print(f"response {url:<58} {seconds * 1000:>7.0f} ms")


if __name__ == "__main__":
    main()
