"""Fairness benchmark: does the normalised ranking recover the true order better than the raw one?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/incubator_bench_reviews \\
        .venv/bin/python -m bench.fairness --seeds 100

Each seed simulates a round with bench/generator.py: 300 applications with a hidden true
quality (SD 1), 25 reviewers each with a leniency bias (SD --bias) and per-review noise (SD
--noise), 3 reviews per application on a balanced ring, 6 criteria scored on integer scales.
The round is ranked by our own round_ranking on PostgreSQL (raw and normalised), then
compared with the true order: Kendall's τ-b over all applications and precision at the top 20
(how many of the truly best 20 are in the ranking's top 20). Every seed runs in a transaction
that is rolled back. --sweep repeats it for several bias levels.
"""

import argparse
import math
import statistics

from bench._django import setup

setup()

from django.db import transaction  # noqa: E402

from bench.generator import generate  # noqa: E402
from reviews.selectors import round_ranking  # noqa: E402


class Rollback(Exception):
    pass


def kendall_tau_b(xs: list[float], ys: list[float]) -> float:
    concordant = discordant = ties_x = ties_y = 0
    n = len(xs)
    for i in range(n):
        for j in range(i + 1, n):
            dx = xs[i] - xs[j]
            dy = ys[i] - ys[j]
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                ties_x += 1
            elif dy == 0:
                ties_y += 1
            elif (dx > 0) == (dy > 0):
                concordant += 1
            else:
                discordant += 1
    denominator = math.sqrt((concordant + discordant + ties_x) * (concordant + discordant + ties_y))
    return (concordant - discordant) / denominator if denominator else 0.0


def one_seed(seed: int, args) -> dict[str, tuple[float, float]]:
    results = {}
    try:
        with transaction.atomic():
            truth = generate(
                applications=args.applications,
                reviewers=args.reviewers,
                criteria=6,
                seed=seed,
                quality_sd=1.0,
                bias_sd=args.bias,
                noise_sd=args.noise,
                name=f"Fairness seed {seed} bias {args.bias}",
            )
            best = sorted(truth.quality, key=truth.quality.get, reverse=True)[: args.top]
            for method, field in (("raw", "raw_score"), ("normalized", "normalized_score")):
                rows = list(
                    round_ranking(round=truth.round, method=method).values_list("pk", field)
                )
                tau = kendall_tau_b(
                    [truth.quality[pk] for pk, _ in rows], [score for _, score in rows]
                )
                top = {pk for pk, _ in rows[: args.top]}
                results[method] = (tau, len(top & set(best)) / args.top)
            raise Rollback
    except Rollback:
        pass
    return results


def run(args) -> None:
    per_method: dict[str, list[tuple[float, float]]] = {"raw": [], "normalized": []}
    wins = 0
    for seed in range(1, args.seeds + 1):
        result = one_seed(seed, args)
        for method, figures in result.items():
            per_method[method].append(figures)
        wins += result["normalized"][0] > result["raw"][0]

    def summary(values: list[float]) -> str:
        return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"

    print(
        f"bias SD {args.bias}, noise SD {args.noise} (true quality SD 1), "
        f"{args.applications} applications, {args.reviewers} reviewers, {args.seeds} seeds"
    )
    for method, rows in per_method.items():
        taus = [tau for tau, _ in rows]
        precisions = [precision for _, precision in rows]
        print(
            f"  {method:<11} Kendall τ {summary(taus)}   precision@{args.top} {summary(precisions)}"
        )
    print(f"  normalised τ higher than raw in {wins} of {args.seeds} seeds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--applications", type=int, default=300)
    parser.add_argument("--reviewers", type=int, default=25)
    parser.add_argument("--bias", type=float, default=1.0)
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument(
        "--sweep", type=float, nargs="*", help="bias levels to run in turn (e.g. 0 0.5 1 1.5)"
    )
    args = parser.parse_args()
    for bias in args.sweep or [args.bias]:
        args.bias = bias
        run(args)


if __name__ == "__main__":
    main()
