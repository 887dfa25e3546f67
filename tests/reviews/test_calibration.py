"""The calibrated model (reviews/calibration.py) on numbers alone: no database."""

import krippendorff
import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.stats import kendalltau, truncnorm

from reviews import calibration
from reviews.calibration import (
    declamped_totals,
    fit,
    fit_scores,
    is_outlier,
    krippendorff_alpha_interval,
    reml_components,
    review_totals,
    variance_components,
)


def ring_round(seed, *, applications=600, reviewers=40, per=3, sd_a=10.0, sd_r=10.0, sd_e=10.0):
    rng = np.random.default_rng(seed)
    apps = np.repeat(np.arange(applications), per)
    ring = rng.permutation(reviewers)
    revs = np.array(
        [ring[(per * i + k) % reviewers] for i in range(applications) for k in range(per)]
    )
    quality = rng.normal(0, sd_a, applications)
    leniency = rng.normal(0, sd_r, reviewers)
    totals = 50 + quality[apps] + leniency[revs] + rng.normal(0, sd_e, len(apps))
    return apps, revs, totals, quality, leniency


def test_hand_computed_two_by_two():
    # Both reviewers score both applications; σ²_a = σ²_r = σ²_e, so λ_a = λ_r = 1. The mixed
    # model equations then give Σâ = Σr̂ = 0, μ = 55 (the grand mean), and
    # a1: 2μ + 3·a1 + (r1 + r2) = 60 + 70  →  a1 = 20/3;   r1: 2μ + 3·r1 = 60 + 40  →  r1 = −10/3.
    result = fit([1, 1, 2, 2], [7, 8, 7, 8], [60, 70, 40, 50], components=(1.0, 1.0, 1.0))
    assert result.mean == pytest.approx(55.0)
    assert result.calibrated == pytest.approx({1: 55 + 20 / 3, 2: 55 - 20 / 3})
    assert result.leniency == pytest.approx({7: -10 / 3, 8: 10 / 3})


def dense_reference(apps, revs, totals, components):
    """Henderson's mixed model equations written out whole and inverted densely."""
    sigma_a, sigma_r, sigma_e = components
    app_keys, app_codes = np.unique(apps, return_inverse=True)
    rev_keys, rev_codes = np.unique(revs, return_inverse=True)
    n, q_a, q_r = len(totals), len(app_keys), len(rev_keys)
    design = np.zeros((n, 1 + q_a + q_r))
    design[:, 0] = 1
    design[np.arange(n), 1 + app_codes] = 1
    design[np.arange(n), 1 + q_a + rev_codes] = 1
    penalty = np.diag([0.0] + [sigma_e / sigma_a] * q_a + [sigma_e / sigma_r] * q_r)
    coefficients = design.T @ design + penalty
    solution = np.linalg.solve(coefficients, design.T @ totals)
    inverse = np.linalg.inv(coefficients)
    se = np.sqrt(np.diag(inverse)[1 + q_a :] * sigma_e)
    return solution, se, app_keys, rev_keys


def test_sparse_solve_matches_the_dense_equations_with_standard_errors():
    apps, revs, totals, _q, _r = ring_round(3, applications=60, reviewers=12)
    components = (80.0, 50.0, 120.0)
    result = fit(apps, revs, totals, components=components)
    solution, se, app_keys, rev_keys = dense_reference(apps, revs, totals, components)
    assert result.mean == pytest.approx(solution[0])
    for index, key in enumerate(app_keys):
        assert result.calibrated[int(key)] == pytest.approx(solution[0] + solution[1 + index])
    for index, key in enumerate(rev_keys):
        assert result.leniency[int(key)] == pytest.approx(solution[1 + len(app_keys) + index])
        assert result.leniency_se[int(key)] == pytest.approx(se[index])


def codes(ids):
    return np.unique(ids, return_inverse=True)[1]


# Every reviewer scores every application once: y = 60 + α_i + β_j + ε_ij with α = (10, 0, −10),
# β = (−6, 0, 6) and ε summing to 0 along every row and column.
BALANCED_APPS = [1, 1, 1, 2, 2, 2, 3, 3, 3]
BALANCED_REVIEWERS = [7, 8, 9, 7, 8, 9, 7, 8, 9]
BALANCED_TOTALS = [66, 68, 76, 52, 62, 66, 44, 50, 56]


def test_hand_computed_reml_and_predictions_on_a_balanced_round():
    # Balanced, REML is the analysis of variance when its estimates are positive:
    # MS_applications = 3·(10² + 0 + 10²)/2 = 300, MS_reviewers = 3·(6² + 0 + 6²)/2 = 108,
    # MS_residual = (2² + 2² + 2² + 2²)/4 = 4, so σ²_e = 4, σ²_a = (300 − 4)/3, σ²_r = (108 − 4)/3.
    expected = (296 / 3, 104 / 3, 4.0)
    apps, revs = np.array(BALANCED_APPS), np.array(BALANCED_REVIEWERS)
    totals = np.array(BALANCED_TOTALS, dtype=float)
    # Started elsewhere than the moments (which equal it here), it climbs to the same maximum
    # (to within what the likelihood of three applications tells apart: it stops when the next
    # step would raise it by less than REML_TOLERANCE).
    assert reml_components(codes(apps), codes(revs), totals, (20.0, 200.0, 30.0)) == (
        pytest.approx(expected, rel=1e-4)
    )
    result = fit(apps, revs, totals)
    assert (
        result.application_variance,
        result.reviewer_variance,
        result.residual_variance,
    ) == pytest.approx(expected, rel=1e-5)
    # Balanced, the predictions are the margins shrunk: â = 10 · 3/(3 + λ_a), λ_a = 4/(296/3),
    # so 10 · 888/900; r̂ = 6 · 3/(3 + λ_r), λ_r = 4/(104/3), so 6 · 104/108.
    assert result.mean == pytest.approx(60.0)
    shrunk = 10 * 888 / 900
    assert result.calibrated == pytest.approx({1: 60 + shrunk, 2: 60.0, 3: 60 - shrunk}, rel=1e-5)
    lenient = 6 * 104 / 108
    assert result.leniency == pytest.approx({7: -lenient, 8: 0.0, 9: lenient}, abs=1e-5)


def dense_reml_deviance(apps, revs, totals, sigma):
    """−2 × REML log-likelihood from the whole covariance matrix V (up to a constant):
    log|V| + log|XᵀV⁻¹X| + yᵀPy, P = V⁻¹ − V⁻¹X(XᵀV⁻¹X)⁻¹XᵀV⁻¹, X a column of ones."""
    sigma_a, sigma_r, sigma_e = sigma
    same_app = np.equal.outer(apps, apps).astype(float)
    same_reviewer = np.equal.outer(revs, revs).astype(float)
    v = sigma_a * same_app + sigma_r * same_reviewer + sigma_e * np.eye(len(totals))
    v_inverse = np.linalg.inv(v)
    ones = np.ones(len(totals))
    xvx = ones @ v_inverse @ ones
    p = v_inverse - np.outer(v_inverse @ ones, ones @ v_inverse) / xvx
    return np.linalg.slogdet(v)[1] + np.log(xvx) + totals @ p @ totals


def test_reml_maximises_the_dense_restricted_likelihood():
    apps, revs, totals, _q, _r = ring_round(4, applications=45, reviewers=10)
    start = variance_components(codes(apps), codes(revs), totals)
    estimate = reml_components(codes(apps), codes(revs), totals, start)
    reference = minimize(
        lambda theta: dense_reml_deviance(apps, revs, totals, np.exp(theta)),
        np.log(start),
        method="Nelder-Mead",
        options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000},
    )
    assert estimate == pytest.approx(tuple(np.exp(reference.x)), rel=1e-3)
    best = dense_reml_deviance(apps, revs, totals, estimate)
    for k in range(3):
        for factor in (0.95, 1.05):
            moved = list(estimate)
            moved[k] *= factor
            assert dense_reml_deviance(apps, revs, totals, moved) > best


def test_reml_keeps_the_applications_where_the_moments_lose_them():
    # A ring with small true differences between applications (σ_a = 4, σ_e = 10, σ_r = 20):
    # the moments put σ²_a at 0 (the round would fall back to raw means); REML does not, and
    # its residual variance is near the true 100 where the moments' is far above.
    apps, revs, totals, quality, _r = ring_round(
        0, applications=60, reviewers=20, sd_a=4.0, sd_r=20.0, sd_e=10.0
    )
    moments = variance_components(codes(apps), codes(revs), totals)
    assert moments[0] == 0
    assert moments[2] > 125
    result = fit(apps, revs, totals)
    assert not result.fallback
    assert result.application_variance > 0
    assert result.residual_variance == pytest.approx(100, rel=0.1)
    calibrated = np.array([result.calibrated[i] for i in range(60)])
    raw = np.bincount(apps, weights=totals) / 3
    assert np.corrcoef(calibrated, quality)[0, 1] > np.corrcoef(raw, quality)[0, 1] + 0.1


def test_the_sparse_path_for_many_reviewers_matches_the_dense_one(monkeypatch):
    apps, revs, totals, _q, _r = ring_round(8, applications=90, reviewers=15)
    components = (80.0, 50.0, 120.0)
    dense = fit(apps, revs, totals, components=components)
    monkeypatch.setattr(calibration, "MAX_REVIEWERS_FOR_SE", 10)
    sparse = fit(apps, revs, totals, components=components)
    assert sparse.calibrated == pytest.approx(dense.calibrated)
    assert sparse.leniency == pytest.approx(dense.leniency)
    assert set(sparse.leniency_se.values()) == {None}
    # Above the limit the variances are the moments' (no REML).
    estimated = fit(apps, revs, totals)
    moments = variance_components(codes(apps), codes(revs), totals)
    assert estimated.residual_variance == pytest.approx(moments[2])


def test_recovers_leniencies_and_variances_from_the_data_alone():
    apps, revs, totals, quality, leniency = ring_round(11, applications=3000, reviewers=150)
    sigma_a, sigma_r, sigma_e = variance_components(
        np.unique(apps, return_inverse=True)[1], np.unique(revs, return_inverse=True)[1], totals
    )
    # True values: 100 each.
    assert sigma_a == pytest.approx(100, rel=0.2)
    assert sigma_r == pytest.approx(100, rel=0.35)
    assert sigma_e == pytest.approx(100, rel=0.2)
    result = fit(apps, revs, totals)
    # The fit's own variances are REML's, started from those.
    assert result.application_variance == pytest.approx(100, rel=0.2)
    assert result.reviewer_variance == pytest.approx(100, rel=0.35)
    assert result.residual_variance == pytest.approx(100, rel=0.2)
    estimated = np.array([result.leniency[j] for j in range(150)])
    assert np.corrcoef(estimated, leniency)[0, 1] > 0.95
    calibrated = np.array([result.calibrated[i] for i in range(3000)])
    raw = np.bincount(apps, weights=totals) / 3
    # Calibrated scores track the true quality better than raw means.
    assert np.corrcoef(calibrated, quality)[0, 1] > np.corrcoef(raw, quality)[0, 1] + 0.03


def test_shrinks_an_application_with_fewer_reviews_more():
    apps, revs, totals, _q, _r = ring_round(5, applications=200, reviewers=20)
    # Two extra applications, both 20 points above the panel on every review, by the same
    # reviewers: one with three reviews, one with a single review.
    reviewers = [int(revs[0]), int(revs[1]), int(revs[2])]
    extra_apps = [1000, 1000, 1000, 1001]
    extra_revs = [*reviewers, reviewers[0]]
    mean = float(totals.mean())
    extra_totals = [mean + 20] * 4
    result = fit(
        np.concatenate([apps, extra_apps]),
        np.concatenate([revs, extra_revs]),
        np.concatenate([totals, extra_totals]),
    )
    three, one = result.calibrated[1000] - result.mean, result.calibrated[1001] - result.mean
    assert 0 < one < three < 20 + 1e-9


def test_no_reviews():
    result = fit([], [], [])
    assert result.mean is None
    assert result.calibrated == {}
    assert result.fallback


def test_one_reviewer_falls_back_to_the_raw_mean():
    result = fit([1, 2, 3], [9, 9, 9], [40, 60, 90])
    assert result.fallback
    assert result.calibrated == {1: 40, 2: 60, 3: 90}
    assert result.leniency == {9: 0.0}
    assert result.leniency_se == {9: None}


def test_single_reviews_fall_back_to_the_raw_mean():
    # Every application has one review: within-application spread does not exist.
    result = fit([1, 2, 3, 4], [8, 9, 8, 9], [40, 60, 90, 70])
    assert result.fallback
    assert result.calibrated == {1: 40, 2: 60, 3: 90, 4: 70}


def test_no_spread_falls_back_to_the_raw_mean():
    result = fit([1, 1, 2, 2], [8, 9, 8, 9], [70, 70, 70, 70])
    assert result.fallback
    assert result.calibrated == {1: 70, 2: 70}


def test_no_reviewer_effect_keeps_the_raw_order():
    # Reviewers agree exactly apart from noise-free quality: σ²_r estimates 0.
    apps = [1, 1, 2, 2, 3, 3]
    revs = [7, 8, 8, 9, 9, 7]
    totals = [80, 80, 60, 60, 40, 40]
    result = fit(apps, revs, totals)
    assert not result.fallback
    assert result.reviewer_variance == 0
    assert set(result.leniency.values()) == {0.0}
    assert result.calibrated[1] > result.calibrated[2] > result.calibrated[3]


def test_outlier_needs_both_thresholds():
    assert is_outlier(12.0, 3.0)
    assert not is_outlier(12.0, 7.0)  # within 2 standard errors
    assert not is_outlier(4.0, 0.5)  # beyond 2 SE but under 5 points
    assert not is_outlier(None, None)


@pytest.mark.parametrize("seed", range(6))
def test_alpha_matches_the_krippendorff_package_with_missing_values(seed):
    rng = np.random.default_rng(seed)
    coders, units = 6, 30
    data = rng.normal(50, 15, (coders, units)) + rng.normal(0, 15, units)
    data[rng.random((coders, units)) < 0.5] = np.nan
    apps, values = [], []
    for coder in range(coders):
        for unit in range(units):
            if not np.isnan(data[coder, unit]):
                apps.append(unit)
                values.append(data[coder, unit])
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="interval")
    assert krippendorff_alpha_interval(apps, values) == pytest.approx(expected, abs=1e-9)


def test_alpha_is_null_without_two_reviews_of_an_application():
    assert krippendorff_alpha_interval([1, 2, 3], [40, 50, 60]) is None
    assert krippendorff_alpha_interval([], []) is None
    # Pairable values without any spread: no expected disagreement.
    assert krippendorff_alpha_interval([1, 1, 2], [50, 50, 70]) is None


# --- Scores at the ends of their scale (fit_scores) ----------------------------------------------


def test_review_totals_follow_design_section_5_with_unscored_criteria():
    values = np.array([[8.0, 4.0], [10.0, np.nan]])
    totals = review_totals(values, np.array([10.0, 5.0]), np.array([1.0, 3.0]))
    assert totals == pytest.approx([(0.8 * 1 + 0.8 * 3) / 4 * 100, 100.0])


def test_a_score_at_an_end_becomes_the_mean_beyond_it():
    # One criterion on 1..10; the fitted totals put every review at 50 (a share of 0.5). The
    # scores inside the scale sit at 0.4 and 0.6: offset 0, spread 0.1. A 10 stands for a share
    # above 0.95, a 1 for one below 0.15: the normal N(0.5, 0.1²)'s means beyond those bounds.
    values = np.array([[4.0], [6.0], [10.0], [1.0]])
    fitted = np.full(4, 50.0)
    moved = declamped_totals(fitted, values, np.array([10.0]), np.array([1.0]))
    above = truncnorm.mean((0.95 - 0.5) / 0.1, np.inf, loc=0.5, scale=0.1)
    below = truncnorm.mean(-np.inf, (0.15 - 0.5) / 0.1, loc=0.5, scale=0.1)
    assert moved == pytest.approx([40.0, 60.0, above * 100, below * 100])
    assert 95 < moved[2] < 100
    assert 0 < moved[3] < 15


def test_scales_too_short_or_without_inner_scores_are_left_alone():
    values = np.array([[1.0, 5.0, 2.0], [2.0, 1.0, 1.0], [2.0, 5.0, 2.0]])
    maxima, weights = np.array([2.0, 5.0, 5.0]), np.ones(3)
    moved = declamped_totals(np.full(3, 50.0), values, maxima, weights)
    # Scale 1..2: no score inside it; the second criterion has none inside either; the third has
    # 2s inside, but the same gap for each (no spread): nothing moves.
    assert moved == pytest.approx(review_totals(values, maxima, weights))


def test_fit_scores_without_scores_at_the_ends_is_the_model_of_the_totals():
    rng = np.random.default_rng(5)
    apps, revs, _totals, _q, _r = ring_round(5, applications=120, reviewers=15)
    values = np.clip(np.rint(rng.uniform(3, 8, (len(apps), 2))), 2, 9)
    maxima, weights = np.array([10.0, 10.0]), np.array([1.0, 2.0])
    by_scores = fit_scores(apps, revs, values, maxima, weights)
    by_totals = fit(apps, revs, review_totals(values, maxima, weights))
    assert by_scores.calibrated == pytest.approx(by_totals.calibrated)
    assert by_scores.leniency == pytest.approx(by_totals.leniency)


def clamped_round(seed: int, *, leniency_sd: float):
    """300 applications on a ring of 25 reviewers, 3 each; six criteria on 1..5 or 1..10, each
    score the scale's middle moved by quality + leniency + noise, rounded and clamped."""
    rng = np.random.default_rng(seed)
    maxima = rng.choice([5.0, 10.0], 6)
    quality = rng.normal(0, 1, 300)
    leniency = rng.normal(0, leniency_sd, 25)
    apps = np.repeat(np.arange(300), 3)
    ring = rng.permutation(25)
    revs = np.array([ring[(3 * i + k) % 25] for i in range(300) for k in range(3)])
    signal = quality[apps] + leniency[revs] + rng.normal(0, 1, len(apps))
    latent = (maxima + 1) / 2 + maxima / 6 * (signal[:, None] + rng.normal(0, 0.3, (len(apps), 6)))
    return apps, revs, np.clip(np.rint(latent), 1, maxima), maxima, quality


def test_fit_scores_ranks_closer_to_the_truth_where_scores_pile_up_at_the_ends():
    plain_taus, censored_taus = [], []
    for seed in range(1, 6):
        apps, revs, values, maxima, quality = clamped_round(seed, leniency_sd=1.5)
        weights = np.ones(6)
        plain = fit(apps, revs, review_totals(values, maxima, weights), with_se=False)
        censored = fit_scores(apps, revs, values, maxima, weights, with_se=False)
        plain_taus.append(kendalltau(quality, [plain.calibrated[i] for i in range(300)])[0])
        censored_taus.append(kendalltau(quality, [censored.calibrated[i] for i in range(300)])[0])
    assert np.mean(censored_taus) > np.mean(plain_taus) + 0.002
    assert all(c > p for c, p in zip(censored_taus, plain_taus, strict=True))
