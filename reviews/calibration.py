"""The calibrated ranking's model, in numbers only (DESIGN.md section 14): no Django here.

Every submitted review total y (0-100) of a round is modelled as

    y = μ + a(application) + r(reviewer) + e,   a ~ N(0, σ²_a), r ~ N(0, σ²_r), e ~ N(0, σ²_e)

with both effects random: σ²_a is the variance of the applications' true totals, σ²_r that of
the reviewers' leniencies (points of 0-100), σ²_e the residual (noise) variance of one review.
The calibrated score of an application is μ + â, its best linear unbiased predictor (BLUP) on
the 0-100 scale; a reviewer's leniency is r̂, with the standard error of its prediction.

The mixed model equations. With penalties λ_a = σ²_e/σ²_a and λ_r = σ²_e/σ²_r the coefficient
matrix C over (applications, μ, reviewers) has a diagonal application block A = n_a + λ_a, so
it is absorbed: the Schur complement S = D − BᵀA⁻¹B over b = (μ, reviewers) — one row per
reviewer — is formed densely and Cholesky-factored (sparse LU above MAX_REVIEWERS_FOR_SE
reviewers), b is solved from it and then â = A⁻¹(rhs_a − Bb). The leniency's standard error is
√(σ²_e · [S⁻¹]_jj), the prediction error of the BLUP.

Variance components: restricted maximum likelihood (REML), from the round's own totals. With ê
the residuals of the solution and q_a, q_r the numbers of applications and reviewers,

    −2 log L_R = (N − 1 − q_a − q_r) log σ²_e + q_a log σ²_a + q_r log σ²_r + log|C| + yᵀê/σ²_e

(N reviews; log|C| = Σ log A_ii + log|S|). It is maximised by average-information Newton steps
(Gilmour, Thompson & Cullis 1995) on θ = log σ²: the score needs the traces of C⁻¹'s
application block, Σ 1/A_ii + tr(S⁻¹ BᵀA⁻²B), and reviewer block, from S⁻¹; the average
information is ½ w_kᵀ P w_l with w_a = Z_a â/σ²_a, w_r = Z_r r̂/σ²_r, w_e = ê/σ²_e and Pw the
residual of the same equations solved for the data w, over σ²_e. A step moves a log-variance by
at most REML_MAX_LOG_STEP and is halved until the likelihood rises; a variance that the step
sends down by more than that and that Newton's step on σ² itself would take below zero goes
straight to the floor (TINY_VARIANCE of the totals' variance), and one at the floor stays there
while the step points down (the others' step is then solved without it). The iteration stops
when −2 log L_R improves, or Newton's decrement promises it will, by less than REML_TOLERANCE,
or after REML_MAX_STEPS steps: numerical safeguards, not statistical constants (the maximum
does not depend on them). A variance at the floor counts as 0: its effect is left out (all its
predictions 0); σ²_a at 0 means the raw mean orders the round.

The start is Henderson's method I (moments), exact expectations for this crossed design:

    W_a = Σ (y − ȳ_application)²   E[W_a] = (N − q_a)(σ²_r + σ²_e)
    W_r = Σ (y − ȳ_reviewer)²      E[W_r] = (N − q_r)(σ²_a + σ²_e)
    T   = Σ (y − ȳ)²               E[T]   = (N − Σn_a²/N) σ²_a + (N − Σn_r²/N) σ²_r + (N − 1) σ²_e

(n the counts; an application never has the same reviewer twice), an estimate below zero set to
zero and started at a third of the totals' variance instead. The moments are unbiased but
noisy where reviewers share applications with few others (a ring): there they can put σ²_a at
0 and drop every application's effect, which REML does not. The moments stay the answer when
the totals fit the model exactly (their residual variance, or REML's, at its floor: REML's
likelihood is unbounded there) and above MAX_REVIEWERS_FOR_SE reviewers (each REML step
factors and inverts the dense complement). No constant is tuned by hand.

Degenerate rounds fall back to the raw mean: no review, one reviewer, no application with two
reviews or no reviewer with two (the variances cannot be told apart), or no spread at all.

Scores at the ends of their scale (`fit_scores`). A criterion is scored 1..max: a lenient
reviewer's scores of good applications pile up at max and a harsh one's of weak applications at
1, so a total there says less than the model assumes (it is clamped). `fit_scores` fits the
model to the review totals, then replaces each score at an end of its scale by its expected
value beyond that end and fits again (an EM step for scores censored at the ends), until the
totals move by less than DECLAMP_TOLERANCE points (a twentieth of a point, far below what one
score moves a total). Per criterion, on the 0-1 scale of
score / max: a review's expected share is its fitted total / 100 (μ + â + r̂) plus the
criterion's offset, and its spread is σ_c; both are the mean and SD of (share − fitted total /
100) over the criterion's scores strictly inside the scale. A score at max stands for a share
above (max − ½) / max, one at 1 for a share below 1.5 / max (the rounding to whole scores), so
it is replaced by the mean of the normal N(expected, σ_c²) beyond that bound:
expected ± σ_c · φ(α) / Φ(∓α). A criterion with fewer than two scores inside its scale, or
with a scale below 3, is left as it is. The variances are estimated once, on the totals as
scored, and kept by every later fit (each step is one solve of the same factored equations).
Raw and normalised scores (DESIGN.md section 5) and the reviewer statistics keep the totals as
scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_factor, cho_solve
from scipy.linalg.lapack import dpotri
from scipy.sparse.linalg import splu
from scipy.special import log_ndtr

# Below this share of the totals' variance a component counts as zero.
TINY_VARIANCE = 1e-9
# A reviewer is marked as an outlier when their leniency is beyond both of these: more than
# OUTLIER_SE standard errors from 0 (the panel) and more than OUTLIER_POINTS points of 0-100.
OUTLIER_SE = 2.0
OUTLIER_POINTS = 5.0
# Above this many reviewers the complement over (μ, reviewers) is solved sparsely and neither
# REML nor the standard errors are computed (each needs its dense inverse).
MAX_REVIEWERS_FOR_SE = 3000
# REML's numerical safeguards (not statistical constants): at most this many Newton steps, each
# moving a log-variance by at most REML_MAX_LOG_STEP and halved up to REML_HALVINGS times until
# the likelihood rises; it stops when −2 log-likelihood improves, or the next step promises to
# improve it, by less than REML_TOLERANCE.
REML_MAX_STEPS = 30
REML_MAX_LOG_STEP = 2.0
REML_HALVINGS = 12
REML_TOLERANCE = 1e-8
# Scores at the ends of the scale (`fit_scores`): stop when no total moves by more than this many
# points of 0-100, or after this many steps (numerical safeguards, as REML's).
DECLAMP_TOLERANCE = 0.05
DECLAMP_MAX_STEPS = 10


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


def _moments_floor(totals: np.ndarray) -> float:
    """The smallest residual variance `variance_components` returns."""
    return TINY_VARIANCE * float(((totals - totals.mean()) ** 2).sum()) / max(len(totals) - 1, 1)


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
    floor = _moments_floor(totals)
    sigma_e = min(max(sigma_e, floor), max(s_re, s_ae, floor))
    sigma_a = max(s_ae - sigma_e, 0.0)
    sigma_r = max(s_re - sigma_e, 0.0)
    return sigma_a, sigma_r, sigma_e


class _Equations:
    """Henderson's mixed model equations of one round for given penalties, the application block
    absorbed. The unknowns are the applications' effects (a diagonal block A: n_a + λ_a) and
    b = (μ, reviewers); B holds their cross terms and S = D − BᵀA⁻¹B is the Schur complement over
    b: (1 + q_r)², dense and Cholesky-factored up to MAX_REVIEWERS_FOR_SE reviewers, else sparse
    LU. Without the reviewer effect b is μ alone."""

    def __init__(self, app_codes, rev_codes, q_a, q_r, lam_a, lam_r, with_reviewers):
        self.app_codes, self.rev_codes = app_codes, rev_codes
        self.with_reviewers = with_reviewers
        self._inverse: np.ndarray | None = None
        n = len(app_codes)
        self.n_b = q_r + 1 if with_reviewers else 1
        self.a_diag = np.bincount(app_codes, minlength=q_a) + lam_a
        ones = np.ones(n)
        columns = np.zeros(n, dtype=np.int64)
        if with_reviewers:
            self.b_matrix = sp.csr_matrix(
                (
                    np.concatenate([ones, ones]),
                    (
                        np.concatenate([app_codes, app_codes]),
                        np.concatenate([columns, 1 + rev_codes]),
                    ),
                ),
                shape=(q_a, self.n_b),
            )
        else:
            self.b_matrix = sp.csr_matrix((ones, (app_codes, columns)), shape=(q_a, 1))
        b_transposed = self.b_matrix.T.tocsr()
        absorbed = b_transposed @ sp.diags(1.0 / self.a_diag) @ self.b_matrix
        self.dense = self.n_b <= MAX_REVIEWERS_FOR_SE + 1
        d_diagonal = np.concatenate(
            [[float(n)], np.bincount(rev_codes, minlength=q_r) + lam_r if with_reviewers else []]
        )
        if self.dense:
            schur = -absorbed.toarray()
            schur[np.diag_indices(self.n_b)] += d_diagonal
            if with_reviewers:
                n_r = np.bincount(rev_codes, minlength=q_r).astype(float)
                schur[0, 1:] += n_r
                schur[1:, 0] += n_r
            self.factor = cho_factor(schur, lower=True, check_finite=False)
        else:
            n_r = np.bincount(rev_codes, minlength=q_r).astype(float)
            d_matrix = sp.bmat(
                [
                    [sp.csr_matrix([[float(n)]]), sp.csr_matrix(n_r.reshape(1, -1))],
                    [sp.csr_matrix(n_r.reshape(-1, 1)), sp.diags(n_r + lam_r)],
                ]
            )
            self.factor = splu((d_matrix - absorbed).tocsc())

    def solve(self, data: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """(μ, â, r̂) for the totals `data` (one per review); r̂ is empty without reviewers."""
        rhs_a = np.bincount(self.app_codes, weights=data, minlength=len(self.a_diag))
        rhs_b = np.zeros(self.n_b)
        rhs_b[0] = data.sum()
        if self.with_reviewers:
            rhs_b[1:] = np.bincount(self.rev_codes, weights=data, minlength=self.n_b - 1)
        rhs_b -= self.b_matrix.T @ (rhs_a / self.a_diag)
        if self.dense:
            b = cho_solve(self.factor, rhs_b, check_finite=False)
        else:
            b = self.factor.solve(rhs_b)
        a = (rhs_a - self.b_matrix @ b) / self.a_diag
        return float(b[0]), a, b[1:]

    def fitted(self, data: np.ndarray) -> np.ndarray:
        mean, a, r = self.solve(data)
        out = mean + a[self.app_codes]
        return out + r[self.rev_codes] if self.with_reviewers else out

    def schur_inverse(self) -> np.ndarray:
        """S⁻¹ (dense only): the prediction error (co)variances of b, over σ²_e. Computed once
        (REML's last step and the standard errors share it)."""
        if self._inverse is None:
            lower = self.factor[0]
            inverse, info = dpotri(lower, lower=1)
            if info != 0:  # pragma: no cover - S is positive definite
                raise np.linalg.LinAlgError("Schur complement is not positive definite")
            self._inverse = np.tril(inverse) + np.tril(inverse, -1).T
        return self._inverse

    def log_determinant(self) -> float:
        """log |A| + log |S| = log det of the whole coefficient matrix (dense only)."""
        return float(np.log(self.a_diag).sum() + 2 * np.log(np.diag(self.factor[0])).sum())


def _reml_objective(equations: _Equations, y, q_a, q_r, sigma) -> tuple[float, tuple]:
    """−2 × the REML log-likelihood at σ = (σ²_a, σ²_r, σ²_e), up to a constant (module
    docstring), and the solution it needed."""
    mean, a, r = equations.solve(y)
    residual = y - mean - a[equations.app_codes] - r[equations.rev_codes]
    sigma_a, sigma_r, sigma_e = sigma
    n = len(y)
    value = (
        (n - 1 - q_a - q_r) * np.log(sigma_e)
        + q_a * np.log(sigma_a)
        + q_r * np.log(sigma_r)
        + equations.log_determinant()
        + float((y * residual).sum()) / sigma_e
    )
    return float(value), (mean, a, r, residual)


def reml_components(
    app_codes: np.ndarray,
    rev_codes: np.ndarray,
    totals: np.ndarray,
    start: tuple[float, float, float],
) -> tuple[float, float, float]:
    """(σ²_a, σ²_r, σ²_e) by restricted maximum likelihood, from `start` (Henderson's estimates)
    by average-information Newton steps on the logarithms of the variances, each step halved
    until the likelihood rises (module docstring). A variance that reaches the floor
    (TINY_VARIANCE × the totals' variance) stays there; `fit` treats it as 0."""
    return _reml(app_codes, rev_codes, totals, start)[0]


def _reml(
    app_codes, rev_codes, totals, start
) -> tuple[tuple[float, float, float], _Equations | None]:
    """REML's variances and the equations at them (`reml_components`)."""
    y = totals
    n = len(y)
    q_a, q_r = int(app_codes.max()) + 1, int(rev_codes.max()) + 1
    total_variance = float(y.var())
    floor = TINY_VARIANCE * total_variance
    # A zero start (its effect dropped by the moments) starts at a third of the totals'
    # variance instead: a starting point only, the maximum does not depend on it.
    theta = np.log([s if s > floor else total_variance / 3 for s in start])

    def evaluate(theta):
        sigma = np.exp(theta)
        try:
            equations = _Equations(
                app_codes, rev_codes, q_a, q_r, sigma[2] / sigma[0], sigma[2] / sigma[1], True
            )
        except np.linalg.LinAlgError:  # numerically singular there: not a step to take
            return np.inf, None, None
        value, solution = _reml_objective(equations, y, q_a, q_r, sigma)
        return value, equations, solution

    value, equations, solution = evaluate(theta)
    if equations is None:  # pragma: no cover - the start is singular: keep it
        return tuple(float(s) for s in start), None
    for _ in range(REML_MAX_STEPS):
        sigma_a, sigma_r, sigma_e = np.exp(theta)
        _mean, a, r, residual = solution
        inverse = equations.schur_inverse()
        # Traces of the applications' and reviewers' blocks of the inverse coefficient matrix.
        cross = (
            equations.b_matrix.T.tocsr() @ sp.diags(equations.a_diag**-2) @ equations.b_matrix
        ).tocoo()
        trace_a = float(
            (1.0 / equations.a_diag).sum() + (inverse[cross.row, cross.col] * cross.data).sum()
        )
        trace_r = float(np.trace(inverse) - inverse[0, 0])
        # Score of the REML log-likelihood, then with respect to θ = log σ².
        py_trace_a = q_a / sigma_a - sigma_e * trace_a / sigma_a**2
        py_trace_r = q_r / sigma_r - sigma_e * trace_r / sigma_r**2
        py_trace_e = (n - 1 - sigma_a * py_trace_a - sigma_r * py_trace_r) / sigma_e
        score = -0.5 * np.array(
            [
                py_trace_a - float((a * a).sum()) / sigma_a**2,
                py_trace_r - float((r * r).sum()) / sigma_r**2,
                py_trace_e - float((residual * residual).sum()) / sigma_e**2,
            ]
        )
        # Average information: ½ w_kᵀ P w_l with w_k = V_k P y.
        works = np.stack(
            [a[app_codes] / sigma_a, r[rev_codes] / sigma_r, residual / sigma_e], axis=1
        )
        projected = np.stack([(w - equations.fitted(w)) / sigma_e for w in works.T], axis=1)
        # (Sums and einsum, not numpy's BLAS, here and in the objective: numpy's and scipy's
        # OpenBLAS keep separate thread pools, and alternating them in one loop made each wait
        # for the other's spinning threads — twice the time, many times that on a busy host.)
        information = 0.5 * np.einsum("nk,nl->kl", works, projected)
        # Newton's step on θ = log σ², at most REML_MAX_LOG_STEP per variance; a variance
        # that both steps send down steeply (beyond that bound on θ, past the floor on σ²
        # itself) goes to the floor at once, and one at the floor that the step would lower
        # stays there (the others' step solved without it).
        sigma = np.exp(theta)
        log_floor = np.log(floor)
        try:
            free = ~((theta <= log_floor + 1e-12) & (np.linalg.solve(information, score) < 0))
            block = np.ix_(free, free)
            step_sigma = np.zeros(3)
            step_sigma[free] = np.linalg.solve(information[block], score[free])
            scale = sigma[free]
            step = np.zeros(3)
            step[free] = np.linalg.solve(
                information[block] * np.outer(scale, scale), scale * score[free]
            )
        except np.linalg.LinAlgError:  # pragma: no cover - singular information
            break
        # Newton's decrement: the rise of 2 log L_R the step promises (the same on either scale).
        if float(score[free] @ step_sigma[free]) < REML_TOLERANCE:
            break
        to_floor = free & (sigma + step_sigma <= floor) & (step <= -REML_MAX_LOG_STEP)
        target = theta + np.clip(step, -REML_MAX_LOG_STEP, REML_MAX_LOG_STEP)
        step = np.where(to_floor, log_floor, target) - theta
        for _halving in range(REML_HALVINGS):
            candidate = np.maximum(theta + step, log_floor)
            new_value, new_equations, new_solution = evaluate(candidate)
            if new_value < value:
                break
            step = step / 2
        else:
            break
        improvement = value - new_value
        theta, value, equations, solution = candidate, new_value, new_equations, new_solution
        if improvement < REML_TOLERANCE:
            break
    # A variance held at the floor is returned as 0.
    sigma_a, sigma_r, sigma_e = (float(np.exp(t)) if t > np.log(floor) else 0.0 for t in theta)
    return (sigma_a, sigma_r, sigma_e), equations


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
    q_a, q_r = len(app_keys), len(rev_keys)
    equations = None
    if components is None:
        components = variance_components(app_codes, rev_codes, y)
        # REML, unless the totals fit exactly (the moments' residual variance at its floor):
        # its likelihood is unbounded there and says nothing of the other two variances.
        exact = components is not None and components[2] <= _moments_floor(y) * (1 + 1e-9)
        if components is not None and not exact and q_r <= MAX_REVIEWERS_FOR_SE:
            reml, equations = _reml(app_codes, rev_codes, y, components)
            if reml[2] > 0:
                components = reml
            else:
                equations = None
    if components is None:
        return _raw_fallback(apps, app_codes, app_keys, revs, rev_keys, y)
    floor = TINY_VARIANCE * float(y.var())
    # A variance at or below the floor is 0: its effect is left out.
    sigma_a, sigma_r, sigma_e = (s if s > floor else 0.0 for s in components)
    sigma_e = max(sigma_e, floor)
    if sigma_a <= floor:
        # No differences between applications beyond noise: the raw mean orders them.
        fallback = _raw_fallback(apps, app_codes, app_keys, revs, rev_keys, y)
        fallback.application_variance, fallback.reviewer_variance = sigma_a, sigma_r
        fallback.residual_variance = sigma_e
        return fallback
    with_reviewers = sigma_r > floor
    if equations is None or not with_reviewers:
        # (REML's last equations are these unless the reviewer variance reached the floor.)
        equations = _Equations(
            app_codes,
            rev_codes,
            q_a,
            q_r,
            sigma_e / sigma_a,
            sigma_e / sigma_r if with_reviewers else 0.0,
            with_reviewers,
        )
    mean, a_solution, b_reviewers = equations.solve(y)
    leniency = b_reviewers if with_reviewers else np.zeros(q_r)
    se: dict[int, float | None] = {int(k): None for k in rev_keys}
    if with_se and equations.dense:
        if with_reviewers:
            diagonal = np.diag(equations.schur_inverse())[1:]
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


def review_totals(values: np.ndarray, maxima: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """DESIGN.md section 5's total (0-100) of each review, a row of `values` (one column per
    criterion, NaN where not scored): Σ weight × score / max ÷ Σ weight over its scores."""
    present = ~np.isnan(values)
    weighted = np.where(present, weights, 0.0)
    shares = np.where(present, values / maxima, 0.0)
    return (shares * weighted).sum(axis=1) / weighted.sum(axis=1) * 100


def _beyond(bound: np.ndarray, centre: np.ndarray, spread: float, *, above: bool) -> np.ndarray:
    """The mean of N(centre, spread²) above (or below) `bound`."""
    alpha = (bound - centre) / spread
    # φ(α) / Φ(−α) above, φ(α) / Φ(α) below, in logarithms: far in a tail both are tiny.
    log_density = -0.5 * alpha**2 - 0.5 * np.log(2 * np.pi)
    if above:
        return centre + spread * np.exp(log_density - log_ndtr(-alpha))
    return centre - spread * np.exp(log_density - log_ndtr(alpha))


def declamped_totals(
    fitted: np.ndarray, values: np.ndarray, maxima: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """The totals with every score at an end of its scale replaced by its expected value
    beyond that end, given each review's `fitted` total (μ + â + r̂; module docstring)."""
    present = ~np.isnan(values)
    shares = np.where(present, values / maxima, np.nan)
    fitted = fitted / 100
    for column, top in enumerate(maxima):
        if top < 3:
            continue
        scored = values[:, column]
        at_top, at_bottom = scored == top, scored == 1
        inside = present[:, column] & ~at_top & ~at_bottom
        if inside.sum() < 2:
            continue
        gaps = shares[inside, column] - fitted[inside]
        spread = float(gaps.std())
        if not spread > 0:
            continue
        centre = fitted + float(gaps.mean())
        shares[at_top, column] = _beyond(
            np.full(at_top.sum(), (top - 0.5) / top), centre[at_top], spread, above=True
        )
        shares[at_bottom, column] = _beyond(
            np.full(at_bottom.sum(), 1.5 / top), centre[at_bottom], spread, above=False
        )
    weighted = np.where(present, weights, 0.0)
    return np.nansum(shares * weighted, axis=1) / weighted.sum(axis=1) * 100


def fit_scores(
    applications: np.ndarray | list[int],
    reviewers: np.ndarray | list[int],
    values: np.ndarray,
    maxima: np.ndarray | list[float],
    weights: np.ndarray | list[float],
    *,
    with_se: bool = True,
) -> Fit:
    """Fit the model to one round's submitted reviews given by their scores: one row of
    `values` per review (application id and reviewer id in the parallel sequences), one column
    per criterion (its `maxima` and `weights`), NaN where not scored. Scores at the ends of their
    scales count as censored (module docstring): what the service stores."""
    apps = np.asarray(applications, dtype=np.int64)
    revs = np.asarray(reviewers, dtype=np.int64)
    if len(apps) == 0:
        return fit(apps, revs, np.zeros(0), with_se=with_se)
    maxima = np.asarray(maxima, dtype=float)
    weights = np.asarray(weights, dtype=float)
    values = np.asarray(values, dtype=float).reshape(len(apps), len(maxima))
    totals = review_totals(values, maxima, weights)
    first = fit(apps, revs, totals, with_se=False)
    if first.fallback:
        return fit(apps, revs, totals, with_se=with_se)
    # The steps keep the first fit's variances, so its equations are factored once and each
    # step is one solve for the moved totals.
    app_keys, app_codes = _codes(apps)
    rev_keys, rev_codes = _codes(revs)
    sigma_a, sigma_r, sigma_e = (
        first.application_variance,
        first.reviewer_variance,
        first.residual_variance,
    )
    with_reviewers = sigma_r > TINY_VARIANCE * float(totals.var())
    equations = _Equations(
        app_codes,
        rev_codes,
        len(app_keys),
        len(rev_keys),
        sigma_e / sigma_a,
        sigma_e / sigma_r if with_reviewers else 0.0,
        with_reviewers,
    )
    fitted = (
        np.array([first.calibrated[int(key)] for key in app_keys])[app_codes]
        + np.array([first.leniency[int(key)] for key in rev_keys])[rev_codes]
    )
    for _step in range(DECLAMP_MAX_STEPS):
        moved = declamped_totals(fitted, values, maxima, weights)
        change = float(np.abs(moved - totals).max())
        totals = moved
        if change < DECLAMP_TOLERANCE:
            break
        fitted = equations.fitted(totals)
    return fit(apps, revs, totals, with_se=with_se, components=(sigma_a, sigma_r, sigma_e))


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
