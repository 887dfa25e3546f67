"""The calibrated ranking's model, in numbers only (DESIGN.md section 14): no Django here.

Every submitted review total y (0-100) of a round is modelled as

    y = μ + a(application) + r(reviewer) + e,   a ~ N(0, σ²_a), r ~ N(0, σ²_r), e ~ N(0, σ²_e)

with both effects random. The calibrated score of an application is μ + â, its best linear
unbiased predictor (BLUP) on the 0-100 scale; a reviewer's leniency is r̂, with the standard
error of its prediction.

Variance components: Henderson's method I (moments), from the round's own totals, exact for
this crossed design without interaction and cheap (three sums of squares):

    W_a = Σ (y − ȳ_application)²   E[W_a] = (N − q_a)(σ²_r + σ²_e)
    W_r = Σ (y − ȳ_reviewer)²      E[W_r] = (N − q_r)(σ²_a + σ²_e)
    T   = Σ (y − ȳ)²               E[T]   = (N − Σn_a²/N) σ²_a + (N − Σn_r²/N) σ²_r + (N − 1) σ²_e

(N reviews, q_a applications, q_r reviewers, n the counts; an application never has the same
reviewer twice). Three equations, three unknowns; an estimate below zero is set to zero (the
effect is then left out: all its predictions are 0). No constant is tuned by hand.

The mixed model equations with penalties λ_a = σ²_e/σ²_a and λ_r = σ²_e/σ²_r are solved
sparsely: the application block is diagonal, so it is absorbed, and the Schur complement over
(μ, reviewers) — sparse, one row per reviewer — is solved with scipy.sparse.linalg.spsolve.
The leniency's standard error is √(σ²_e · [S⁻¹]_jj), the prediction error of the BLUP, from the
same (small: one row per reviewer) complement.

Degenerate rounds fall back to the raw mean: no review, one reviewer, no application with two
reviews or no reviewer with two (the variances cannot be told apart), or no spread at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

# Below this share of the totals' variance a component counts as zero.
TINY_VARIANCE = 1e-9
# A reviewer is marked as an outlier when their leniency is beyond both of these: more than
# OUTLIER_SE standard errors from 0 (the panel) and more than OUTLIER_POINTS points of 0-100.
OUTLIER_SE = 2.0
OUTLIER_POINTS = 5.0
# Above this many reviewers the standard errors are not computed (a dense inverse).
MAX_REVIEWERS_FOR_SE = 3000


@dataclass
class Fit:
    """The fitted model of one round."""

    mean: float | None  # μ, the panel mean; None without reviews
    application_variance: float | None
    reviewer_variance: float | None
    residual_variance: float | None
    fallback: bool  # True: the raw mean was used (a degenerate round)
    calibrated: dict[int, float] = field(default_factory=dict)  # application → μ + â
    leniency: dict[int, float] = field(default_factory=dict)  # reviewer → r̂
    leniency_se: dict[int, float | None] = field(default_factory=dict)  # reviewer → SE


def _codes(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keys, codes = np.unique(ids, return_inverse=True)
    return keys, codes


def _raw_fallback(apps, app_codes, app_keys, revs, rev_keys, totals) -> Fit:
    counts = np.bincount(app_codes, minlength=len(app_keys))
    sums = np.bincount(app_codes, weights=totals, minlength=len(app_keys))
    means = sums / counts
    return Fit(
        mean=float(totals.mean()) if len(totals) else None,
        application_variance=None,
        reviewer_variance=None,
        residual_variance=None,
        fallback=True,
        calibrated={int(k): float(v) for k, v in zip(app_keys, means, strict=True)},
        leniency={int(k): 0.0 for k in rev_keys},
        leniency_se={int(k): None for k in rev_keys},
    )


def variance_components(
    app_codes: np.ndarray, rev_codes: np.ndarray, totals: np.ndarray
) -> tuple[float, float, float] | None:
    """(σ²_a, σ²_r, σ²_e) by Henderson's method I (module docstring), or None when they cannot
    be told apart. Negative estimates are set to 0."""
    n = len(totals)
    n_a = np.bincount(app_codes)
    n_r = np.bincount(rev_codes)
    q_a, q_r = len(n_a), len(n_r)
    if n - q_a <= 0 or n - q_r <= 0 or q_r < 2 or q_a < 2:
        return None
    mean_a = np.bincount(app_codes, weights=totals) / n_a
    mean_r = np.bincount(rev_codes, weights=totals) / n_r
    w_a = float(((totals - mean_a[app_codes]) ** 2).sum())
    w_r = float(((totals - mean_r[rev_codes]) ** 2).sum())
    t = float(((totals - totals.mean()) ** 2).sum())
    if t <= TINY_VARIANCE:
        return None
    s_re = w_a / (n - q_a)  # σ²_r + σ²_e
    s_ae = w_r / (n - q_r)  # σ²_a + σ²_e
    c_a = n - float((n_a.astype(float) ** 2).sum()) / n
    c_r = n - float((n_r.astype(float) ** 2).sum()) / n
    denominator = (n - 1) - c_a - c_r
    if abs(denominator) < 1e-12:
        return None
    sigma_e = (t - c_a * s_ae - c_r * s_re) / denominator
    floor = TINY_VARIANCE * t / max(n - 1, 1)
    sigma_e = min(max(sigma_e, floor), max(s_re, s_ae, floor))
    sigma_a = max(s_ae - sigma_e, 0.0)
    sigma_r = max(s_re - sigma_e, 0.0)
    return sigma_a, sigma_r, sigma_e


def fit(
    applications: np.ndarray | list[int],
    reviewers: np.ndarray | list[int],
    totals: np.ndarray | list[float],
    *,
    with_se: bool = True,
    components: tuple[float, float, float] | None = None,
) -> Fit:
    """Fit the model to one round's submitted reviews, given as three parallel sequences
    (application id, reviewer id, total on 0-100). `components` (σ²_a, σ²_r, σ²_e) replaces
    the estimated variances (for tests and benchmarks that know them)."""
    apps = np.asarray(applications, dtype=np.int64)
    revs = np.asarray(reviewers, dtype=np.int64)
    y = np.asarray(totals, dtype=float)
    if len(y) == 0:
        return Fit(None, None, None, None, fallback=True)
    app_keys, app_codes = _codes(apps)
    rev_keys, rev_codes = _codes(revs)
    if components is None:
        components = variance_components(app_codes, rev_codes, y)
    if components is None:
        return _raw_fallback(apps, app_codes, app_keys, revs, rev_keys, y)
    sigma_a, sigma_r, sigma_e = components
    floor = TINY_VARIANCE * float(y.var())
    if sigma_a <= floor:
        # No differences between applications beyond noise: the raw mean orders them.
        fallback = _raw_fallback(apps, app_codes, app_keys, revs, rev_keys, y)
        fallback.application_variance, fallback.reviewer_variance = sigma_a, sigma_r
        fallback.residual_variance = sigma_e
        return fallback
    q_a, q_r = len(app_keys), len(rev_keys)
    n_a = np.bincount(app_codes, minlength=q_a).astype(float)
    n_r = np.bincount(rev_codes, minlength=q_r).astype(float)
    lam_a = sigma_e / sigma_a
    with_reviewers = sigma_r > floor
    lam_r = sigma_e / sigma_r if with_reviewers else 0.0

    # Unknowns: applications (diagonal block A), then b = (μ, reviewers).
    a_diag = n_a + lam_a
    ones = np.ones(len(y))
    # B: applications × b. Column 0 is μ; reviewer j is column 1 + j.
    b_cols = q_r + 1 if with_reviewers else 1
    b_matrix = sp.csr_matrix(
        (
            np.concatenate([ones, ones if with_reviewers else []]),
            (
                np.concatenate([app_codes, app_codes if with_reviewers else []]),
                np.concatenate(
                    [np.zeros(len(y), dtype=np.int64), 1 + rev_codes if with_reviewers else []]
                ).astype(np.int64),
            ),
        ),
        shape=(q_a, b_cols),
    )
    # D: (μ, reviewers) × (μ, reviewers) of X'X, Z_r'Z_r + λ_r I, and their cross terms.
    if with_reviewers:
        d_matrix = sp.bmat(
            [
                [sp.csr_matrix([[float(len(y))]]), sp.csr_matrix(n_r.reshape(1, -1))],
                [sp.csr_matrix(n_r.reshape(-1, 1)), sp.diags(n_r + lam_r)],
            ],
            format="csr",
        )
        rhs_b = np.concatenate([[y.sum()], np.bincount(rev_codes, weights=y, minlength=q_r)])
    else:
        d_matrix = sp.csr_matrix([[float(len(y))]])
        rhs_b = np.array([y.sum()])
    rhs_a = np.bincount(app_codes, weights=y, minlength=q_a)
    a_inverse = sp.diags(1.0 / a_diag)
    schur = (d_matrix - b_matrix.T @ a_inverse @ b_matrix).tocsc()
    b_solution = np.atleast_1d(spsolve(schur, rhs_b - b_matrix.T @ (rhs_a / a_diag)))
    a_solution = (rhs_a - b_matrix @ b_solution) / a_diag
    mean = float(b_solution[0])

    leniency = b_solution[1:] if with_reviewers else np.zeros(q_r)
    se: dict[int, float | None] = {int(k): None for k in rev_keys}
    if with_se and q_r <= MAX_REVIEWERS_FOR_SE:
        if with_reviewers:
            diagonal = np.diag(np.linalg.inv(schur.toarray()))[1:]
            se = {
                int(k): float(np.sqrt(max(d, 0.0) * sigma_e))
                for k, d in zip(rev_keys, diagonal, strict=True)
            }
        else:
            se = {int(k): 0.0 for k in rev_keys}
    return Fit(
        mean=mean,
        application_variance=sigma_a,
        reviewer_variance=sigma_r,
        residual_variance=sigma_e,
        fallback=False,
        calibrated={int(k): mean + float(v) for k, v in zip(app_keys, a_solution, strict=True)},
        leniency={int(k): float(v) for k, v in zip(rev_keys, leniency, strict=True)},
        leniency_se=se,
    )


def is_outlier(leniency: float | None, se: float | None) -> bool:
    """Far from the panel: beyond OUTLIER_SE standard errors and OUTLIER_POINTS points."""
    if leniency is None or se is None:
        return False
    return abs(leniency) > OUTLIER_SE * se and abs(leniency) > OUTLIER_POINTS


def krippendorff_alpha_interval(
    applications: np.ndarray | list[int], totals: np.ndarray | list[float]
) -> float | None:
    """Krippendorff's alpha with the interval metric; units are applications, values the
    review totals. Only units with two or more values are pairable. None when no application
    has two reviews or the pairable values do not vary."""
    apps = np.asarray(applications, dtype=np.int64)
    y = np.asarray(totals, dtype=float)
    if len(y) == 0:
        return None
    _keys, codes = _codes(apps)
    m = np.bincount(codes).astype(float)
    pairable = m[codes] >= 2
    if not pairable.any():
        return None
    codes, y = codes[pairable], y[pairable]
    m = np.bincount(codes).astype(float)
    used = m >= 2
    sums = np.bincount(codes, weights=y)
    squares = np.bincount(codes, weights=y * y)
    # Σ_{i≠j in u} (v_i − v_j)² = 2 (m Σv² − (Σv)²)
    within = 2.0 * (m[used] * squares[used] - sums[used] ** 2)
    n = float(len(y))
    observed = float((within / (m[used] - 1.0)).sum()) / n
    expected = 2.0 * (n * float((y * y).sum()) - float(y.sum()) ** 2) / (n * (n - 1.0))
    if expected <= 0:
        return None
    return 1.0 - observed / expected
