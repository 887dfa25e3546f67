"""Audit trail benchmarks (DESIGN.md §13, issue 16).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/incubator_bench_audit \\
        .venv/bin/python -m bench.audit assignment --applications 10000 --reviewers 200
    DATABASE_URL=... .venv/bin/python -m bench.audit verify --events 100000 1000000

`assignment`: the automatic assignment service (10,000 submitted applications, 30,000
assignments) with its audit events (one per assignment and one per status change, written with
one `record_many`: one lock of the head, one COPY) and without them (the recording functions
replaced by no-ops), in pairs whose order alternates, each run rolled back; the median of
`--repeat` runs each and the slowdown, pair by pair too. Each audited run also times its own
calls of `record_many` (cleaning, encoding, hashing, COPY): that time over the rest of the same
run is the recording's cost with the machine's load the same on both sides, the figure to trust
on a shared machine. Target: at most 15 %.

`verify`: `verify_chain` over chains of the given lengths (events appended in batches of 10,000
first, once: the table is append-only, so use a database of its own); time, Python's peak
allocation (tracemalloc) and the process's peak RSS. Bounded memory shows as the same peak for
every length.
"""

import argparse
import os
import resource
import statistics
import time
import tracemalloc

from bench._django import setup

setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402

import applications.services as intake_services  # noqa: E402
import reviews.services as review_services  # noqa: E402
from audit.models import AuditEvent  # noqa: E402
from audit.services import Event, record_many  # noqa: E402
from audit.verification import verify_chain  # noqa: E402
from bench.assignment import Rollback, bench_round, only_own_reviewers, timed  # noqa: E402


def _no_record_many(events):
    list(events)
    return []


def assign_once(round_, reviewer_ids, *, audit: bool) -> tuple[float, int, float]:
    """One service run: its seconds, the events it wrote, and the seconds spent inside
    `record_many` (measured in the same run, so the machine's load moves both alike)."""
    saved = (review_services.record_many, intake_services.record_many)
    recording = [0.0]

    def timed_record_many(events):
        started = time.perf_counter()
        try:
            return record_many(events)
        finally:
            recording[0] += time.perf_counter() - started

    replacement = timed_record_many if audit else _no_record_many
    review_services.record_many = replacement
    intake_services.record_many = replacement
    try:
        with transaction.atomic():
            only_own_reviewers(round_, reviewer_ids)
            before = AuditEvent.objects.count()
            result, seconds = timed(
                lambda: review_services.assign_reviewers(round=round_, actor=None)
            )
            written = AuditEvent.objects.count() - before
            if not result.created:
                raise SystemExit("the service created no assignments")
            raise Rollback
    except Rollback:
        pass
    finally:
        review_services.record_many, intake_services.record_many = saved
    return seconds, written, recording[0]


def assignment(args) -> None:
    round_ = bench_round(args.applications, args.reviewers, args.seed)
    tag = f"b{round_.pk}-reviewer"
    reviewer_ids = list(
        get_user_model().objects.filter(username__startswith=tag).values_list("pk", flat=True)
    )
    with_audit, without, recording, written = [], [], [], 0
    load = [os.getloadavg()[0]]
    for pair in range(args.repeat):
        # Which side goes first alternates, so a load that rises or falls favours neither.
        for audit in (False, True) if pair % 2 == 0 else (True, False):
            seconds, events, inside = assign_once(round_, reviewer_ids, audit=audit)
            if audit:
                with_audit.append(seconds)
                recording.append(inside)
                written = events
            else:
                without.append(seconds)
        load.append(os.getloadavg()[0])
    slow = statistics.median(with_audit) / statistics.median(without)
    pairs = [w / wo - 1 for w, wo in zip(with_audit, without, strict=True)]
    # The recording's share of each audited run: its own time over the rest of that run.
    shares = [r / (w - r) for w, r in zip(with_audit, recording, strict=True)]
    print(f"{args.applications} applications, {args.reviewers} reviewers")
    print(f"load average (1 min) before and after each pair: {', '.join(f'{x:.1f}' for x in load)}")
    print(f"without audit: {', '.join(f'{s:.2f}' for s in without)} s")
    print(f"with audit:    {', '.join(f'{s:.2f}' for s in with_audit)} s ({written} events)")
    print(f"  of which in record_many: {', '.join(f'{s:.2f}' for s in recording)} s")
    print(f"slowdown (medians): {100 * (slow - 1):+.1f} %")
    print(f"slowdown (pairs): {', '.join(f'{100 * p:+.1f} %' for p in pairs)}")
    print(
        f"record_many over the rest of its run: {', '.join(f'{100 * x:.1f} %' for x in shares)}"
        f" (median {100 * statistics.median(shares):.1f} %)"
    )


def grow_chain(length: int, batch: int = 10_000) -> None:
    have = AuditEvent.objects.count()
    while have < length:
        size = min(batch, length - have)
        with transaction.atomic():
            record_many(
                Event(
                    action="review.saved",
                    object_type="review",
                    object_id=have + n,
                    data={"scores": {"1": "7", "2": "4"}, "status": "draft", "application": n},
                )
                for n in range(size)
            )
        have += size


def verify(args) -> None:
    print(f"{'events':>10} {'seconds':>8} {'events/s':>10} {'tracemalloc peak':>17} {'RSS':>8}")
    for length in sorted(args.events):
        grow_chain(length)
        tracemalloc.start()
        started = time.perf_counter()
        result = verify_chain(up_to=length)
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if not result.ok:
            raise SystemExit(f"the chain does not verify: {result}")
        print(
            f"{result.length:>10} {seconds:>8.1f} {result.length / seconds:>10.0f} "
            f"{peak / 1024 / 1024:>14.1f} MB {rss:>5.0f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("assignment")
    one.add_argument("--applications", type=int, default=10_000)
    one.add_argument("--reviewers", type=int, default=200)
    one.add_argument("--seed", type=int, default=11)
    one.add_argument("--repeat", type=int, default=3)
    two = commands.add_parser("verify")
    two.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    {"assignment": assignment, "verify": verify}[args.command](args)


if __name__ == "__main__":
    main()
