"""Every admin list and add page, the coordinators' round pages and every parameter-free API
read, timed on a large round.

    .venv/bin/python manage.py generate_bench_data --applications 50000 --reviewers 500 \\
        --criteria 6 --seed 1
    .venv/bin/python -m bench.every_page --round "Bench seed 1: 50000 applications"

As a coordinator with a verified session, through Django's test client: each page once to warm
up, then the median of --repeat. A page over --limit seconds is marked: a page whose cost grows
with the round (a select listing every application, a sort of every score) shows up here long
before a user waits for it. Pages the coordinator may not open (403) are listed as such.
"""

import argparse
import logging
import statistics
import time

from bench._django import setup

setup()

from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse  # noqa: E402

from incubator.models import Round  # noqa: E402
from incubator.permissions import COORDINATORS_GROUP  # noqa: E402
from tests.twofactor import force_login_verified  # noqa: E402


def admin_pages() -> list[str]:
    urls = []
    for model in admin.site._registry:
        for view in ("changelist", "add"):
            try:
                urls.append(
                    reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")
                )
            except NoReverseMatch:
                continue
    return urls


def api_reads(round_: Round) -> list[str]:
    """The API's routes without a parameter, and those whose only parameter is a round."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    urls = set()
    for route in walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/") or "(?P" in route:
            continue
        route = route.replace("rounds/<int:pk>/", f"rounds/{round_.pk}/")
        if "<" not in route:
            urls.add("/" + route)
    return sorted(urls)


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.splitlines()[:2]))
    parser.add_argument("--round", required=True, help="the round's name")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=float, default=1.0, help="seconds; slower is marked")
    args = parser.parse_args()
    # Django logs each 403 with its traceback; the table says it in one word.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    round_ = Round.objects.get(name=args.round)
    coordinator, _created = get_user_model().objects.get_or_create(
        username="bench-coordinator", defaults={"is_staff": True}
    )
    coordinator.groups.add(Group.objects.get_or_create(name=COORDINATORS_GROUP)[0])
    client = Client(HTTP_HOST="localhost")
    force_login_verified(client, coordinator)
    slow = 0
    coordinators_pages = [
        f"{reverse(name)}?round={round_.pk}"
        for name in ("admin:reviews_ranking", "admin:reviews_reviewer_statistics")
    ] + [f"/admin/dashboard/?round={round_.pk}"]
    for url in admin_pages() + coordinators_pages + api_reads(round_):
        status = client.get(url).status_code
        if status == 403:
            print(f"{'':>9} 403 {url}")
            continue
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        seconds = statistics.median(timings)
        mark = "  <-- over the limit" if seconds > args.limit else ""
        slow += bool(mark)
        size = len(response.content) // 1024
        print(f"{seconds * 1000:>6.0f} ms {response.status_code} {size:>6} KB {url}{mark}")
    print(f"{slow} page(s) over {args.limit} s")


if __name__ == "__main__":
    main()
