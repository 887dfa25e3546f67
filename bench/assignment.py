"""Automatic assignment benchmark: time for 1,000 to 10,000 applications and 200 reviewers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/incubator_bench_reviews \\
        .venv/bin/python -m bench.assignment --sizes 1000 2000 5000 10000 --reviewers 200

Each size gets its own round of submitted applications (generated once, then reused); about
a third of the start-ups have a conflict with one random reviewer. Every run happens inside a
transaction that is rolled back, so the data stays reusable. Reported per size: loading the
problem from the database, the algorithm alone (plan_assignments), writing the assignments,
reviews and status changes, and the whole service call; then the growth factors between sizes.

`--panel-rule mixed` (or `outside`) runs every size under that rule (DESIGN.md §14): inside
the rolled-back transaction the round takes the rule and the reviewers a jurisdiction each
(half mainland, three tenths Hong Kong, a fifth Macau, by their order).
"""

import argparse
import random
import time

from bench._django import setup

setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402

from bench.generator import generate  # noqa: E402
from incubator.enums import Jurisdiction, PanelRule  # noqa: E402
from incubator.models import Round  # noqa: E402
from incubator.permissions import REVIEWERS_GROUP  # noqa: E402
from reviews.models import ConflictOfInterest, ReviewerProfile  # noqa: E402
from reviews.services import (  # noqa: E402
    _create_assignments,
    assign_reviewers,
    load_assignment_problem,
    plan_assignments,
)


class Rollback(Exception):
    pass


def bench_round(size: int, reviewers: int, seed: int) -> Round:
    name = f"Assignment bench {size} applications, {reviewers} reviewers, seed {seed}"
    existing = Round.objects.filter(name=name).first()
    if existing is not None:
        return existing
    result = generate(
        applications=size, reviewers=reviewers, seed=seed, with_reviews=False, name=name
    )
    rng = random.Random(seed)
    reviewer_ids = list(result.bias)
    startup_ids = list(result.round.applications.values_list("startup_id", flat=True))
    ConflictOfInterest.objects.bulk_create(
        ConflictOfInterest(
            reviewer_id=rng.choice(reviewer_ids), startup_id=startup_id, reason="Bench."
        )
        for startup_id in startup_ids
        if rng.random() < 1 / 3
    )
    return result.round


def timed(function):
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def only_own_reviewers(round_: Round, reviewer_ids: list[int]) -> None:
    # Every generated round brings its own reviewers; within the rolled-back transaction the
    # others are made inactive, so each size really runs with --reviewers reviewers.
    get_user_model().objects.filter(groups__name=REVIEWERS_GROUP).exclude(
        pk__in=reviewer_ids
    ).update(is_active=False)


# Jurisdictions given to the reviewers by their order, out of ten: 5 mainland, 3 HK, 2 Macau.
JURISDICTION_CYCLE = (
    [Jurisdiction.MAINLAND] * 5 + [Jurisdiction.HONG_KONG] * 3 + [Jurisdiction.MACAU] * 2
)


def with_panel_rule(round_: Round, reviewer_ids: list[int], rule: str) -> None:
    """Inside the rolled-back transaction: the round's rule and the reviewers' jurisdictions."""
    Round.objects.filter(pk=round_.pk).update(panel_rule=rule)
    round_.panel_rule = rule
    for index, pk in enumerate(sorted(reviewer_ids)):
        ReviewerProfile.objects.filter(user_id=pk).update(
            jurisdiction=JURISDICTION_CYCLE[index % len(JURISDICTION_CYCLE)]
        )


def measure(round_: Round, reviewer_ids: list[int], rule: str = PanelRule.NONE) -> dict:
    figures: dict = {}
    try:
        with transaction.atomic():
            only_own_reviewers(round_, reviewer_ids)
            with_panel_rule(round_, reviewer_ids, rule)
            (slots, needs), figures["load"] = timed(lambda: load_assignment_problem(round_))
            plan, figures["plan"] = timed(
                lambda: plan_assignments(reviewers=slots, needs=needs, panel_rule=rule)
            )
            _, figures["write"] = timed(
                lambda: _create_assignments(pairs=plan.new_pairs, round_=round_, actor=None)
            )
            figures["created"] = len(plan.new_pairs)
            figures["short"] = len(plan.short)
            raise Rollback
    except Rollback:
        pass
    try:
        with transaction.atomic():
            only_own_reviewers(round_, reviewer_ids)
            with_panel_rule(round_, reviewer_ids, rule)
            result, figures["service"] = timed(lambda: assign_reviewers(round=round_, actor=None))
            again, figures["rerun"] = timed(lambda: assign_reviewers(round=round_, actor=None))
            figures["rerun_created"] = again.created
            figures["service_created"] = result.created
            raise Rollback
    except Rollback:
        pass
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000, 5000, 10000])
    parser.add_argument("--reviewers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--panel-rule", choices=PanelRule.values, default=PanelRule.NONE)
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        round_ = bench_round(size, args.reviewers, args.seed)
        tag = f"b{round_.pk}-reviewer"
        reviewer_ids = list(
            get_user_model().objects.filter(username__startswith=tag).values_list("pk", flat=True)
        )
        rows.append((size, measure(round_, reviewer_ids, args.panel_rule)))
    print(
        f"{args.reviewers} reviewers, 3 reviews per application, ~1/3 start-ups conflicted, "
        f"panel rule {args.panel_rule}"
    )
    print(
        f"{'applications':>12} {'created':>8} {'short':>6} {'load':>8} {'plan':>8} "
        f"{'write':>8} {'service':>9} {'re-run':>8}"
    )
    for size, f in rows:
        print(
            f"{size:>12} {f['created']:>8} {f['short']:>6} {f['load']:>7.2f}s {f['plan']:>7.2f}s "
            f"{f['write']:>7.2f}s {f['service']:>8.2f}s {f['rerun']:>7.2f}s"
            f"  (re-run created {f['rerun_created']})"
        )
    first_size, first = rows[0]
    for size, f in rows[1:]:
        print(
            f"×{size / first_size:>4.0f} applications: plan ×{f['plan'] / first['plan']:.1f}, "
            f"whole service ×{f['service'] / first['service']:.1f}"
        )


if __name__ == "__main__":
    main()
