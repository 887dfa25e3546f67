"""Fairness benchmark: how close does each ranking come to the true order, and to the best possible?

    .venv/bin/python -m bench.fairness --seeds 40 --sweep 0 0.5 1 1.5 --designs ring random unequal

Each seed simulates a round with exactly the model of bench/generator.py, in memory (numpy):
300 applications with a true quality q ~ N(0, 1), 25 reviewers with a leniency b ~ N(0, --bias)
(× the quality SD), each review a signal s = q + b + N(0, --noise), and 6 criteria (weights from
{1, 1.5, 2, 3}, scales from {5, 10, 10, 10}) each scored round(middle + step·(s + N(0, 0.3)))
clamped to 1..max, with middle = (max + 1)/2 and step = max/6; the total is DESIGN.md's
Σ(weight × score / max) / Σ weight × 100. Three designs, 3 reviews per application:

- `ring`: the generator's shuffled ring (each reviewer shares applications with few others);
- `random`: a random balanced design (each application takes 3 distinct reviewers at random
  among the least loaded: loads differ by at most one, panels mix widely);
- `unequal`: random panels with unequal loads (reviewer i drawn with weight ∝ e^{N(0, 0.6)}:
  the busiest review several times as many applications as the least busy).

Methods, each scored by Kendall's τ-b against the true quality and precision at the top 20:

- `raw`, `normalised`: DESIGN.md section 5's formulas (the same numbers round_ranking gives);
- `calibrated`: reviews/calibration.py's `fit_scores` — the very code the service stores — on the
  criterion scores (the mixed model of the totals, scores at the ends of their scales counted
  as censored);
- `oracle`: the mean of each application's totals after removing each reviewer's true leniency
  (b × 100/6 points: a signal unit moves a criterion by max/6, i.e. a total by 100/6);
- `ceiling` (Bayes): the posterior mean of q given every criterion score, the true leniencies and
  the generator's exact model, rounding and clamping included. Per review, the likelihood of its
  six scores given q is ∫ Π_c P(score_c | s = q + b + ε) φ(ε; noise) dε, with P(score | s) the
  normal probability that s + η (η ~ N(0, 0.3)) falls in the score's rounding interval (open at
  the clamped ends), integrated over ε by 24-node Gauss-Hermite quadrature (the six scores'
  log-likelihood tabulated once per review on a grid of s with step 0.005, interpolated
  linearly); the posterior over a grid of 161 values of q in [−5, 5] (prior N(0, 1))
  multiplies an application's reviews.

Seeds are 1..--seeds (nothing here was tuned on them; the calibrated model has no free constant).
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from scipy.special import logsumexp, ndtr
from scipy.stats import kendalltau

from reviews.calibration import fit_scores

CRITERIA = 6
ITEM_NOISE = 0.3
TOTAL_PER_SIGNAL = 100 / 6
DESIGNS = ("ring", "random", "unequal")
METHODS = ("raw", "normalised", "calibrated", "oracle", "ceiling")
GRID = np.linspace(-5, 5, 161)
HERMITE_X, HERMITE_W = np.polynomial.hermite_e.hermegauss(24)
SIGNAL_STEP = 0.005
SIGNAL = np.arange(-16, 16 + SIGNAL_STEP / 2, SIGNAL_STEP)  # ∫ f(x) e^{-x²/2} dx


def design(rng, kind: str, applications: int, reviewers: int, per: int) -> np.ndarray:
    """(applications × per) reviewer indices."""
    if kind == "ring":
        ring = rng.permutation(reviewers)
        return np.array(
            [[ring[(per * i + k) % reviewers] for k in range(per)] for i in range(applications)]
        )
    if kind == "random":
        loads = np.zeros(reviewers)
        panels = []
        for _ in range(applications):
            order = np.lexsort((rng.random(reviewers), loads))
            panel = order[:per]
            loads[panel] += 1
            panels.append(panel)
        return np.array(panels)
    if kind == "unequal":
        weights = np.exp(rng.normal(0, 0.6, reviewers))
        weights /= weights.sum()
        return np.array(
            [rng.choice(reviewers, size=per, replace=False, p=weights) for _ in range(applications)]
        )
    raise ValueError(kind)


def simulate(seed: int, args, kind: str) -> dict:
    rng = np.random.default_rng([seed, int(args.bias * 1000), DESIGNS.index(kind)])
    weights = rng.choice([1.0, 1.5, 2.0, 3.0], CRITERIA)
    maxima = rng.choice([5, 10, 10, 10], CRITERIA).astype(float)
    quality = rng.normal(0, 1.0, args.applications)
    bias = rng.normal(0, args.bias, args.reviewers)
    panels = design(rng, kind, args.applications, args.reviewers, 3)
    apps = np.repeat(np.arange(args.applications), 3)
    revs = panels.reshape(-1)
    signal = quality[apps] + bias[revs] + rng.normal(0, args.noise, len(apps))
    middle, step = (maxima + 1) / 2, maxima / 6
    values = np.rint(
        middle + step * (signal[:, None] + rng.normal(0, ITEM_NOISE, (len(apps), CRITERIA)))
    )
    values = np.clip(values, 1, maxima)
    totals = (weights * values / maxima).sum(axis=1) / weights.sum() * 100
    return {
        "quality": quality,
        "bias": bias,
        "apps": apps,
        "revs": revs,
        "values": values,
        "totals": totals,
        "maxima": maxima,
        "weights": weights,
        "noise": args.noise,
    }


def scores(sim: dict) -> dict[str, np.ndarray]:
    apps, revs, totals = sim["apps"], sim["revs"], sim["totals"]
    n_apps = len(sim["quality"])
    count = np.bincount(apps, minlength=n_apps)
    raw = np.bincount(apps, weights=totals, minlength=n_apps) / count
    # Normalised: z within the reviewer (population SD); fewer than two reviews or no spread: 0.
    n_r = np.bincount(revs)
    mean_r = np.bincount(revs, weights=totals) / np.maximum(n_r, 1)
    var_r = np.bincount(revs, weights=(totals - mean_r[revs]) ** 2) / np.maximum(n_r, 1)
    usable = (n_r[revs] >= 2) & (var_r[revs] > 1e-18)
    z = np.where(usable, (totals - mean_r[revs]) / np.sqrt(np.where(usable, var_r[revs], 1)), 0)
    normalised = np.bincount(apps, weights=z, minlength=n_apps) / count
    fitted = fit_scores(apps, revs, sim["values"], sim["maxima"], sim["weights"], with_se=False)
    calibrated = np.array([fitted.calibrated[i] for i in range(n_apps)])
    corrected = totals - sim["bias"][revs] * TOTAL_PER_SIGNAL
    oracle = np.bincount(apps, weights=corrected, minlength=n_apps) / count
    return {
        "raw": raw,
        "normalised": normalised,
        "calibrated": calibrated,
        "oracle": oracle,
        "ceiling": bayes_ceiling(sim),
    }


def bayes_ceiling(sim: dict) -> np.ndarray:
    """E[q | every score] under the generator's model (module docstring)."""
    values, maxima, noise = sim["values"], sim["maxima"], sim["noise"]
    middle, step = (maxima + 1) / 2, maxima / 6
    # log P(score = v | s) of each criterion and score, tabulated on a fine grid of s.
    top = int(maxima.max())
    table = np.full((CRITERIA, top + 1, len(SIGNAL)), -690.0)
    for c in range(CRITERIA):
        for v in range(1, int(maxima[c]) + 1):
            lo = -np.inf if v == 1 else (v - 0.5 - middle[c]) / step[c]
            hi = np.inf if v == maxima[c] else (v + 0.5 - middle[c]) / step[c]
            upper, lower = (hi - SIGNAL) / ITEM_NOISE, (lo - SIGNAL) / ITEM_NOISE
            # Φ(upper) − Φ(lower), in the upper tail where both are near 1 (no cancellation).
            p = np.where(lower > 0, ndtr(-lower) - ndtr(-upper), ndtr(upper) - ndtr(lower))
            table[c, v] = np.log(np.maximum(p, 1e-300))
    # Each review's log-likelihood of its six scores as a function of its signal s.
    per_review = table[np.arange(CRITERIA)[None, :], values.astype(int)].sum(axis=1)
    # s = q + b + ε at every grid value of q and quadrature node of ε, linearly interpolated.
    points = (
        GRID[None, :, None]
        + sim["bias"][sim["revs"]][:, None, None]
        + noise * HERMITE_X[None, None, :]
    )
    position = np.clip((points - SIGNAL[0]) / SIGNAL_STEP, 0, len(SIGNAL) - 1.000001)
    index = np.floor(position).astype(int)
    fraction = position - index
    flat = index.reshape(len(values), -1)
    below = np.take_along_axis(per_review, flat, axis=1).reshape(points.shape)
    above = np.take_along_axis(per_review, flat + 1, axis=1).reshape(points.shape)
    log_l = below + fraction * (above - below)
    log_w = np.log(HERMITE_W / np.sqrt(2 * np.pi))
    n_apps = len(sim["quality"])
    log_posterior = np.tile(-0.5 * GRID**2, (n_apps, 1))
    np.add.at(log_posterior, sim["apps"], logsumexp(log_l + log_w[None, None, :], axis=2))
    log_posterior -= log_posterior.max(axis=1, keepdims=True)
    posterior = np.exp(log_posterior)
    return (posterior * GRID).sum(axis=1) / posterior.sum(axis=1)


def figures(sim: dict, top: int) -> dict[str, tuple[float, float]]:
    truth = sim["quality"]
    best = set(np.argsort(-truth, kind="stable")[:top])
    out = {}
    for method, score in scores(sim).items():
        tau = kendalltau(truth, score).statistic
        chosen = set(np.argsort(-score, kind="stable")[:top])
        out[method] = (float(tau), len(chosen & best) / top)
    return out


def run(args, kind: str) -> dict[str, tuple[float, float]]:
    per_method: dict[str, list[tuple[float, float]]] = {m: [] for m in METHODS}
    for seed in range(1, args.seeds + 1):
        for method, pair in figures(simulate(seed, args, kind), args.top).items():
            per_method[method].append(pair)

    def summary(values: list[float]) -> str:
        return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"

    print(
        f"{kind}: bias SD {args.bias}, noise SD {args.noise} (quality SD 1), "
        f"{args.applications} applications, {args.reviewers} reviewers, {args.seeds} seeds"
    )
    means = {}
    for method, rows in per_method.items():
        taus = [tau for tau, _ in rows]
        precisions = [p for _, p in rows]
        means[method] = (statistics.mean(taus), statistics.mean(precisions))
        print(f"  {method:<11} τ-b {summary(taus)}   precision@{args.top} {summary(precisions)}")
    tau = {m: v[0] for m, v in means.items()}
    print(
        f"  calibrated − normalised {tau['calibrated'] - tau['normalised']:+.4f}, "
        f"− raw {tau['calibrated'] - tau['raw']:+.4f}; "
        f"/ oracle {tau['calibrated'] / tau['oracle']:.4f}, / ceiling "
        f"{tau['calibrated'] / tau['ceiling']:.4f}"
    )
    return means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=40)
    parser.add_argument("--applications", type=int, default=300)
    parser.add_argument("--reviewers", type=int, default=25)
    parser.add_argument("--bias", type=float, default=1.0)
    parser.add_argument("--noise", type=float, default=1.0)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--sweep", type=float, nargs="*", help="bias levels (e.g. 0 0.5 1 1.5)")
    parser.add_argument("--designs", nargs="*", default=["ring"], choices=DESIGNS)
    args = parser.parse_args()
    for kind in args.designs:
        for bias in args.sweep or [args.bias]:
            args.bias = bias
            run(args, kind)


if __name__ == "__main__":
    main()
