"""Tests of initcheck.statistics: exactness, argument checking, and calibration.

Calibration tests are deterministic (fixed seeds) and themselves calibrated:
each runs a statistical test R times and counts outcomes; the assertion bound
is the binomial quantile at 1e-6, so a correct implementation fails an
assertion with probability <= 1e-6 (for the seed drawn, it either always
passes or always fails):

* false-failure rate: R runs at a loose alpha (0.01) on samples from the right
  law; failures <= binom.isf(1e-6, R, alpha).
* power: R runs on samples whose law is off by exactly the effect the result's
  `detectable` text claims; misses <= binom.isf(1e-6, R, 1 - POWER).
"""

import math
import re

import ml_dtypes
import numpy as np
import pytest
from scipy import special, stats

from initcheck import statistics as st
from initcheck.statistics import (
    POWER,
    StatResult,
    autocorrelation_test,
    binomial_test,
    chisquare_uniform_test,
    correlation_test,
    cross_correlation_test,
    dkwm_threshold,
    familywise_rate,
    ks_test,
    mean_test,
    periodicity_test,
    rounding_interval,
    sample_size_for,
    tail_test,
    variance_test,
)

REPEATS = 300
LOOSE_ALPHA = 0.01
#: most false failures R runs at LOOSE_ALPHA may show (exceeded with prob <= 1e-6)
MAX_FALSE_FAILURES = int(stats.binom.isf(1e-6, REPEATS, LOOSE_ALPHA))
#: most misses R runs at an effect detected with prob >= POWER may show (prob <= 1e-6)
MAX_MISSES = int(stats.binom.isf(1e-6, REPEATS, 1 - POWER))

NORMAL = stats.norm(0.0, 1.0)
UNIFORM = stats.uniform(-1.0, 2.0)


def first_number(text: str) -> float:
    return float(re.search(r">= ([0-9.e+-]+)", text).group(1))


# ----------------------------------------------------------------------------
# exact values and argument checking


def test_dkwm_threshold_is_massarts_bound():
    assert dkwm_threshold(100_000, 1e-6) == pytest.approx(math.sqrt(math.log(2e6) / 2e5))
    # the bound is the alpha-level quantile: 2 exp(-2 n eps^2) = alpha
    eps = dkwm_threshold(1234, 0.01)
    assert 2 * math.exp(-2 * 1234 * eps**2) == pytest.approx(0.01)


def test_familywise_rate():
    assert familywise_rate([]) == 0.0
    assert familywise_rate([0.5, 0.5]) == pytest.approx(0.75)
    assert familywise_rate([1e-6] * 1000) == pytest.approx(1 - (1 - 1e-6) ** 1000, rel=1e-9)
    assert familywise_rate([1e-6] * 1000) <= 1000 * 1e-6
    with pytest.raises(ValueError, match=r"alphas\[1\] must be in \[0, 1\], got 1.5"):
        familywise_rate([0.1, 1.5])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: dkwm_threshold(10, 1.5), r"alpha must be in \(0, 1\), got 1.5"),
        (lambda: dkwm_threshold(0, 0.1), r"n must be >= 1, got 0"),
        (lambda: ks_test(np.zeros(10), NORMAL.cdf, 0.0), r"alpha must be in \(0, 1\), got 0.0"),
        (lambda: ks_test(np.zeros(10), "cdf", 0.1), r"cdf must be callable"),
        (lambda: ks_test(np.zeros(10), lambda x: x + 2, 0.1), r"cdf must return values in \[0, 1\]"),
        (lambda: ks_test(np.zeros(10), lambda x: 0.5, 0.1), r"cdf must be vectorised"),
        (lambda: ks_test(np.zeros(10), NORMAL.cdf, 0.1, dtype="int8"), r"dtype must be one of"),
        (lambda: mean_test(np.zeros(10), 0.0, -1.0, 0.1), r"var must be a positive finite number, got -1.0"),
        (lambda: variance_test(np.zeros(10), 1.0, 0.5, 0.1), r"kurtosis must be >= 1"),
        (lambda: binomial_test(5, 4, 0.5, 0.1), r"count must be in \[0, n=4\], got 5"),
        (lambda: binomial_test(1, 4, 1.5, 0.1), r"p must be in \[0, 1\], got 1.5"),
        (lambda: autocorrelation_test(np.zeros(10), 6, 0.1), r"max_lag must be <= n/2 = 5, got 6"),
        (lambda: correlation_test(np.zeros(10), np.zeros(9), 0.1), r"same size, got 10 and 9"),
        (lambda: cross_correlation_test(np.zeros(10), np.zeros(10), 0.1, max_lag=6),
         r"max_lag must be <= n/2 = 5, got 6"),
        (lambda: chisquare_uniform_test(np.array([1, 2]), 0.1), r"at least 5 expected per cell"),
        (lambda: tail_test(np.zeros(10), NORMAL.cdf, [], 0.1), r"quantiles must be a non-empty"),
        (lambda: sample_size_for("variance", 0.01, 1e-6), r"needs the law's kurtosis"),
        (lambda: sample_size_for("median", 0.01, 1e-6), r"check must be 'ks', 'mean' or 'variance', got 'median'"),
    ],
)
def test_arguments_are_checked_by_name(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_ks_matches_scipy_on_continuous_samples():
    x = np.random.default_rng(1).standard_normal(5000)
    r = ks_test(x, NORMAL.cdf, 1e-6)
    assert r.statistic == pytest.approx(stats.kstest(x, NORMAL.cdf).statistic, abs=1e-12)
    assert r.threshold == dkwm_threshold(5000, 1e-6) and r.n == 5000 and r.passed
    assert "KS distance" in r.message and "n=5000" in r.message
    assert re.fullmatch(r"CDF off by >= [0-9.e-]+ somewhere", r.detectable)


@pytest.mark.parametrize("n", [1025, 20_000, 300_001])
def test_ks_with_strided_cdf_evaluation_is_exact(n):
    # ks_test evaluates the CDF at every 16th order statistic and refines only
    # the blocks that can hold the sup: compare with the plain formula
    rng = np.random.default_rng(9)
    for law, x in [(NORMAL, rng.standard_normal(n)), (stats.norm(0.03, 1.0), rng.standard_normal(n)),
                   (UNIFORM, np.round(rng.uniform(-1, 1, n), 3))]:  # many ties
        x = np.sort(x)
        f = law.cdf(x)
        ranks = np.arange(1, n + 1) / n
        plain = max(np.max(ranks - f), np.max(f - ranks) + 1 / n)
        assert ks_test(x, law.cdf, 1e-6).statistic == pytest.approx(plain, abs=1e-15)


def test_ks_handles_ties_exactly():
    # two atoms of 1/2 each at 0 and 1 against U(0, 2): the sup is 1/2 at x = 0 (right limit)
    x = np.array([0.0, 0.0, 1.0, 1.0])
    assert ks_test(x, stats.uniform(0, 2).cdf, 0.1).statistic == pytest.approx(0.5)


def test_binomial_bounds_are_scipys_exact_quantiles():
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(1, 10 ** rng.integers(1, 8)))
        p = float(rng.choice([rng.uniform(), 10 ** rng.uniform(-9, 0), 1 - 10 ** rng.uniform(-9, 0)]))
        a = float(10 ** rng.uniform(-9, -0.5))
        expected = (int(stats.binom.ppf(a / 2, n, p)), int(stats.binom.isf(a / 2, n, p)))
        assert st._binomial_bounds(n, p, a) == expected, (n, p, a)


def test_nan_fails_with_a_message():
    x = np.random.default_rng(2).standard_normal(1000)
    x[17] = np.nan
    for r in (ks_test(x, NORMAL.cdf, 1e-6), ks_test(x.astype(np.float16), NORMAL.cdf, 1e-6),
              mean_test(x, 0, 1, 1e-6), variance_test(x, 1, 3, 1e-6),
              tail_test(x, NORMAL.cdf, [-2.0, 2.0], 1e-6), autocorrelation_test(x, 3, 1e-6),
              correlation_test(x, np.arange(1000.0), 1e-6)):
        assert not r.passed and math.isnan(r.statistic)
        assert "1 NaN value(s) out of 1000" in r.message


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32"])
def test_rounding_interval_brackets_exactly_what_rounds_to_each_value(name):
    dtype = {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16, "float32": np.float32}[name]
    if name == "float32":  # a sample of patterns: subnormals, powers of two, the top
        bits = np.concatenate([np.arange(0, 300), np.arange(0x00800000 - 5, 0x00800000 + 5),
                               np.arange(0x3F800000 - 5, 0x3F800000 + 5), np.arange(0x7F7FFFF0, 0x7F800000)])
        values = np.array(bits, dtype=np.uint32).view(np.float32)
    else:
        values = np.arange(0, 0x7C00 if name == "float16" else 0x7F80, dtype=np.uint16).view(dtype)
    values = np.concatenate([values, -values[1:]]).astype(np.float64)
    low, up = rounding_interval(values, name)
    # Round the neighbours of each endpoint once, from a float format that holds
    # the endpoints exactly (ml_dtypes rounds float64 -> bfloat16 via float32).
    wide = np.float32 if name == "bfloat16" else np.float64
    low, up = low.astype(wide), up.astype(wide)
    assert np.array_equal(low.astype(np.float64), rounding_interval(values, name)[0])

    def rounded(x):
        with np.errstate(over="ignore"):
            return x.astype(dtype).astype(np.float64)

    assert np.array_equal(rounded(np.nextafter(up, wide(-np.inf))), values)
    assert np.array_equal(rounded(np.nextafter(low, wide(np.inf))), values)
    assert np.all(rounded(np.nextafter(up, wide(np.inf))) > values)
    assert np.all(rounded(np.nextafter(low, wide(-np.inf))) < values)


def brute_force_rounded_ks(sample, cdf, dtype):
    """sup |F_n - G| over every representable value of a 16-bit dtype (both step
    functions jump only there), G the CDF of the law rounded to the dtype."""
    with np.errstate(invalid="ignore"):  # NaN patterns
        grid = np.arange(0, 1 << 16, dtype=np.uint16).view(dtype).astype(np.float64)
    grid = np.unique(grid[np.isfinite(grid)])
    _, up = rounding_interval(grid, dtype.__name__ if dtype is np.float16 else "bfloat16")
    ecdf = np.searchsorted(np.sort(sample.astype(np.float64)), grid, side="right") / sample.size
    return np.max(np.abs(ecdf - cdf(up)))


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16])
def test_rounded_ks_is_the_exact_sup_distance(dtype):
    rng = np.random.default_rng(3)
    law = stats.norm(0.0, 0.01)
    for sample in ((rng.standard_normal(3000) * 0.01).astype(dtype),
                   (rng.standard_normal(3000) * 0.0105).astype(dtype),
                   np.zeros(7, dtype=dtype)):
        got = ks_test(sample, law.cdf, 1e-6).statistic
        assert got == pytest.approx(brute_force_rounded_ks(sample, law.cdf, dtype), abs=1e-12)
    # the same values handed over as float64 with the dtype named give the same answer
    sample = (rng.standard_normal(3000) * 0.01).astype(dtype)
    assert (ks_test(sample.astype(np.float64), law.cdf, 1e-6, dtype=np.dtype(dtype)).statistic
            == ks_test(sample, law.cdf, 1e-6).statistic)


def test_values_not_in_the_named_dtype_are_compared_with_the_unrounded_law():
    # a float16 request answered in float32: the dtype check reports it, KS still tests the law
    x = np.random.default_rng(8).standard_normal(1000).astype(np.float32)
    r = ks_test(x, NORMAL.cdf, 1e-6, dtype="float16")
    assert r.passed and "not representable in float16" in r.message
    assert r.statistic == ks_test(x, NORMAL.cdf, 1e-6).statistic
    with pytest.raises(ValueError, match="not representable in bfloat16"):
        rounding_interval([0.1], "bfloat16")


def test_float32_subnormals_use_the_rounded_law():
    # N(0, (1e-44)^2) in float32 is almost all zeros and a few subnormals: the
    # continuous comparison fails a correct sample, the rounded law passes it.
    scale = 1e-44
    law = stats.norm(0.0, scale)
    x = (np.random.default_rng(4).standard_normal(20000) * scale).astype(np.float32)
    assert ks_test(x, law.cdf, 1e-6).passed
    assert not ks_test(x, law.cdf, 1e-6, dtype="float64").passed


# ----------------------------------------------------------------------------
# low precision: correct samples pass, wrong ones fail (alpha = 1e-6 per assertion)


def round_toward_zero_bfloat16(x):
    bits = x.astype(np.float32).view(np.uint32) & np.uint32(0xFFFF0000)
    return bits.view(np.float32).astype(ml_dtypes.bfloat16)


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16])
@pytest.mark.parametrize("law, draw", [
    (stats.norm(0.0, 0.01), lambda rng, n: rng.standard_normal(n) * 0.01),
    (stats.uniform(-0.07, 0.14), lambda rng, n: rng.uniform(-0.07, 0.07, n)),
])
def test_low_precision_ks_passes_correct_and_fails_wrong_scale(dtype, law, draw):
    rng = np.random.default_rng(5)
    n = 1_000_000  # detects a CDF error >= 0.0042; 5% scale error moves the CDF by >= 0.012
    assert ks_test(draw(rng, n).astype(dtype), law.cdf, 1e-6).passed
    assert not ks_test((1.05 * draw(rng, n)).astype(dtype), law.cdf, 1e-6).passed


def test_bfloat16_rounding_mode_is_visible_at_large_n():
    # U(-0.07, 0.07) in bfloat16: on [1/16, 0.07) the spacing is 2**-11, so
    # rounding toward zero, or comparing with the unrounded law, moves the CDF
    # by f * spacing / 2 = 0.0017 there; at n = 6e6 and alpha = 1e-6 the test
    # detects >= 0.0017 (DKWM + Hoeffding).
    law = stats.uniform(-0.07, 0.14)
    rng = np.random.default_rng(6)
    n = 6_000_000
    right = rng.uniform(-0.07, 0.07, n).astype(ml_dtypes.bfloat16)
    result = ks_test(right, law.cdf, 1e-6)
    assert result.passed
    assert first_number(result.detectable) <= 2**-12 / 0.14
    assert not ks_test(round_toward_zero_bfloat16(rng.uniform(-0.07, 0.07, n)), law.cdf, 1e-6).passed
    # ...and the naive comparison with the continuous law false-fails the right sample
    assert not ks_test(right.astype(np.float64), law.cdf, 1e-6).passed


# ----------------------------------------------------------------------------
# calibration: false-failure rate <= alpha (REPEATS runs at LOOSE_ALPHA)


def failures(results):
    return sum(not r.passed for r in results)


TRUNCNORM = stats.truncnorm(-2, 2)
_LO, _HI = special.ndtr(-2.0), special.ndtr(2.0)
LAWS = {
    # name: (frozen law, kurtosis E(X-mu)^4/sigma^4, draw(rng, shape))
    "normal": (NORMAL, 3.0, lambda rng, shape: rng.standard_normal(shape)),
    "uniform": (UNIFORM, 1.8, lambda rng, shape: rng.uniform(-1.0, 1.0, shape)),
    # drawn by inversion: scipy's truncnorm.rvs is ~100x slower
    "truncnormal": (TRUNCNORM, float(TRUNCNORM.stats(moments="k")) + 3.0,
                    lambda rng, shape: special.ndtri(_LO + (_HI - _LO) * rng.random(shape))),
}


@pytest.mark.parametrize("law_name", sorted(LAWS))
def test_moment_and_ks_tests_keep_their_false_failure_rate(law_name):
    law, kurtosis, draw = LAWS[law_name]
    samples = draw(np.random.default_rng(10), (REPEATS, 1000))
    mean, var = float(law.mean()), float(law.var())
    assert failures(ks_test(s, law.cdf, LOOSE_ALPHA) for s in samples) <= MAX_FALSE_FAILURES
    assert failures(mean_test(s, mean, var, LOOSE_ALPHA) for s in samples) <= MAX_FALSE_FAILURES
    assert failures(variance_test(s, var, kurtosis, LOOSE_ALPHA) for s in samples) <= MAX_FALSE_FAILURES
    assert failures(variance_test(s, var, kurtosis, LOOSE_ALPHA, mean=mean) for s in samples) <= MAX_FALSE_FAILURES
    points = law.ppf([0.01, 0.1, 0.9, 0.99])
    assert failures(tail_test(s, law.cdf, points, LOOSE_ALPHA) for s in samples) <= MAX_FALSE_FAILURES


def test_variance_test_does_not_false_fail_where_chi_square_does():
    # the chi-square variance test assumes kurtosis 3; on a uniform law (1.8)
    # its threshold is too wide, on a Laplace law (6) far too narrow.
    laplace = stats.laplace(0, 1 / math.sqrt(2))  # variance 1, kurtosis 6
    samples = laplace.rvs((REPEATS, 1000), random_state=np.random.default_rng(11))
    assert failures(variance_test(s, 1.0, 6.0, LOOSE_ALPHA) for s in samples) <= MAX_FALSE_FAILURES
    assert failures(variance_test(s, 1.0, 3.0, LOOSE_ALPHA) for s in samples) > MAX_FALSE_FAILURES


def test_dependence_tests_keep_their_false_failure_rate():
    rng = np.random.default_rng(12)
    samples = rng.uniform(-1, 1, (REPEATS, 2, 1024))
    assert failures(autocorrelation_test(s[0], 8, LOOSE_ALPHA) for s in samples) <= MAX_FALSE_FAILURES
    assert failures(autocorrelation_test(s[0], 100, LOOSE_ALPHA) for s in samples) <= MAX_FALSE_FAILURES
    assert failures(periodicity_test(s[0], LOOSE_ALPHA) for s in samples) <= MAX_FALSE_FAILURES
    assert failures(correlation_test(s[0], s[1], LOOSE_ALPHA) for s in samples) <= MAX_FALSE_FAILURES
    assert failures(cross_correlation_test(s[0], s[1], LOOSE_ALPHA) for s in samples) <= MAX_FALSE_FAILURES


def test_count_tests_keep_their_false_failure_rate():
    rng = np.random.default_rng(13)
    counts = rng.binomial(5000, 0.003, REPEATS)
    assert failures(binomial_test(int(c), 5000, 0.003, LOOSE_ALPHA) for c in counts) <= MAX_FALSE_FAILURES
    cells = rng.multinomial(2000, [1 / 20] * 20, REPEATS)
    assert failures(chisquare_uniform_test(c, LOOSE_ALPHA) for c in cells) <= MAX_FALSE_FAILURES


def test_low_precision_ks_keeps_its_false_failure_rate():
    rng = np.random.default_rng(14)
    law = stats.norm(0, 0.01)
    for dtype in (np.float16, ml_dtypes.bfloat16):
        samples = (rng.standard_normal((REPEATS, 2000)) * 0.01).astype(dtype)
        assert failures(ks_test(s, law.cdf, LOOSE_ALPHA) for s in samples) <= MAX_FALSE_FAILURES


# ----------------------------------------------------------------------------
# power: the effect each `detectable` claims is detected with prob >= POWER


@pytest.mark.parametrize("law_name", sorted(LAWS))
def test_detectable_std_error_is_detected(law_name):
    law, kurtosis, draw = LAWS[law_name]
    n, var = 2000, float(law.var())
    claim = first_number(variance_test(np.arange(n, dtype=float), var, kurtosis, 1e-3).detectable) / 100
    for factor in (1 + claim, 1 - claim):
        samples = draw(np.random.default_rng(20), (REPEATS, n)) * factor
        misses = sum(variance_test(s, var, kurtosis, 1e-3).passed for s in samples)
        assert misses <= MAX_MISSES, (factor, misses)


@pytest.mark.parametrize("law_name", sorted(LAWS))
def test_detectable_mean_shift_is_detected(law_name):
    law, _, draw = LAWS[law_name]
    n, var = 2000, float(law.var())
    text = mean_test(np.zeros(n), 0.0, var, 1e-3).detectable
    shift = first_number(text)
    assert re.fullmatch(r"mean off by >= [0-9.e-]+ \(= [0-9.e-]+ sigma\)", text)
    samples = draw(np.random.default_rng(21), (REPEATS, n)) + shift
    assert sum(mean_test(s, 0.0, var, 1e-3).passed for s in samples) <= MAX_MISSES


def test_detectable_ks_distance_is_detected():
    n = 2000
    claim = first_number(ks_test(np.zeros(n), NORMAL.cdf, 1e-3).detectable)
    # N(delta, 1) is at KS distance 2 Phi(delta/2) - 1 from N(0, 1)
    delta = 2 * special.ndtri((1 + claim) / 2)
    samples = np.random.default_rng(22).standard_normal((REPEATS, n)) + delta
    assert sum(ks_test(s, NORMAL.cdf, 1e-3).passed for s in samples) <= MAX_MISSES


def test_detectable_rate_and_correlations_are_detected():
    rng = np.random.default_rng(23)
    n, p = 5000, 0.003
    d = first_number(binomial_test(15, n, p, 1e-3).detectable)
    assert sum(binomial_test(int(c), n, p, 1e-3).passed for c in rng.binomial(n, p + d, REPEATS)) <= MAX_MISSES

    r = first_number(correlation_test(np.arange(n), np.arange(n), 1e-3).detectable)
    x, z = rng.standard_normal((2, REPEATS, n))
    y = r * x + math.sqrt(1 - r * r) * z
    assert sum(correlation_test(a, b, 1e-3).passed for a, b in zip(x, y)) <= MAX_MISSES

    # MA process e_t + b e_{t-7}: lag-7 correlation b / (1 + b^2) = rho
    rho = first_number(autocorrelation_test(rng.standard_normal(n), 16, 1e-3).detectable)
    b = (1 - math.sqrt(1 - 4 * rho * rho)) / (2 * rho)
    e = rng.standard_normal((REPEATS, n + 7))
    ma = e[:, 7:] + b * e[:, :-7]
    assert sum(autocorrelation_test(s, 16, 1e-3).passed for s in ma) <= MAX_MISSES


def test_detectable_tail_mass_and_cell_deviation_are_detected():
    rng = np.random.default_rng(29)
    n, t = 20_000, float(NORMAL.ppf(0.01))
    text = tail_test(np.zeros(n), NORMAL.cdf, [t], 1e-3).detectable
    rel = float(re.search(r"off by >= ([0-9.e+-]+)%", text).group(1)) / 100
    # only the count below t matters: place c values below it and the rest above
    for factor in (1 + rel, 1 - rel):
        counts = rng.binomial(n, 0.01 * factor, REPEATS)
        samples = [np.where(np.arange(n) < c, t - 1.0, t + 1.0) for c in counts]
        assert sum(tail_test(x, NORMAL.cdf, [t], 1e-3).passed for x in samples) <= MAX_MISSES, factor

    k, total = 20, 4000
    text = chisquare_uniform_test(np.full(k, total // k), 1e-3).detectable
    rms = float(re.search(r"off by >= ([0-9.e+-]+)%", text).group(1)) / 100
    probs = (1 + rms * np.resize([1.0, -1.0], k)) / k  # RMS relative deviation = rms
    cells = rng.multinomial(total, probs, REPEATS)
    assert sum(chisquare_uniform_test(c, 1e-3).passed for c in cells) <= MAX_MISSES


def test_tail_test_catches_clamping_and_wrong_truncation():
    rng = np.random.default_rng(24)
    law = stats.truncnorm(-2, 2)
    n = 100_000  # alpha = 1e-6 per assertion
    right = law.rvs(n, random_state=rng)
    points = [-2.0, law.ppf(0.01), law.ppf(0.99), 2.0]
    result = tail_test(right, law.cdf, points, 1e-6)
    assert result.passed and "any value <= -2" in result.detectable
    clamped = np.clip(rng.standard_normal(n), -2, 2)  # N(0,1) clamped: 2.3% sits on the bounds
    assert not tail_test(clamped, law.cdf, points, 1e-6).passed
    too_wide = stats.truncnorm(-2.05, 2.05).rvs(n, random_state=rng)  # bounds off by 0.05 sigma
    assert not tail_test(too_wide, law.cdf, points, 1e-6).passed
    too_narrow = stats.truncnorm(-1.9, 1.9).rvs(n, random_state=rng)  # bounds off by 0.1 sigma
    assert not tail_test(too_narrow, law.cdf, points, 1e-6).passed


def test_tail_test_uses_the_rounded_law_in_low_precision():
    law = stats.norm(0, 0.01)
    points = law.ppf([0.001, 0.01, 0.99, 0.999])
    rng = np.random.default_rng(25)
    for dtype in (np.float16, ml_dtypes.bfloat16):
        samples = (rng.standard_normal((REPEATS, 5000)) * 0.01).astype(dtype)
        assert failures(tail_test(s, law.cdf, points, LOOSE_ALPHA) for s in samples) <= MAX_FALSE_FAILURES


def test_tail_test_at_a_bound_uses_the_float32_rounding():
    # U(-b, b) with b = 7.8 float32 subnormal steps: values in (7.5, 7.8) steps
    # round to 8 steps, past b, and are right; the continuous law says none are.
    step = 2.0**-149
    b = 7.8 * step
    law = stats.uniform(-b, 2 * b)
    x = np.random.default_rng(28).uniform(-b, b, 20_000).astype(np.float32)
    assert np.count_nonzero(x.astype(np.float64) > b) > 100  # (x > b would round b to float32)
    assert tail_test(x, law.cdf, [-b, b], 1e-6).passed
    assert not tail_test(x, law.cdf, [-b, b], 1e-6, dtype="float64").passed
    # and rounding toward zero (nothing past b, too much just inside) fails
    past = np.abs(x.astype(np.float64)) > b
    toward_zero = np.where(past, np.sign(x) * np.float32(7 * step), x).astype(np.float32)
    assert not tail_test(toward_zero, law.cdf, [-b, b], 1e-6).passed


def test_periodicity_catches_a_repeated_block_at_any_period():
    rng = np.random.default_rng(26)
    block = rng.standard_normal(4096).astype(np.float32)
    result = periodicity_test(np.tile(block, 64), 1e-6)
    assert not result.passed and "at lag 4096" in result.message
    assert not periodicity_test(np.tile(rng.standard_normal(50_000), 2), 1e-6).passed  # two halves
    assert periodicity_test(rng.standard_normal(4096 * 64), 1e-6).passed  # alpha = 1e-6
    assert not autocorrelation_test(np.tile(rng.uniform(size=13), 40), 16, 1e-6).passed


def test_cross_correlation_catches_shifted_copies():
    rng = np.random.default_rng(27)
    stream = rng.standard_normal(70_000)
    a, b = stream[:65536], stream[700:700 + 65536]  # seeds read as offsets into one stream
    assert correlation_test(a, b, 1e-6).passed  # lag 0 cannot see it
    result = cross_correlation_test(a, b, 1e-6)
    assert not result.passed and "shifted by -700" in result.message
    assert not cross_correlation_test(b, a, 1e-6).passed
    assert cross_correlation_test(a, rng.standard_normal(65536), 1e-6).passed  # alpha = 1e-6
    # the shift is found with its sign: y_{t+5} contains x_t
    x, y = rng.standard_normal((2, 100))
    r = cross_correlation_test(x, y + 3 * np.roll(x, 5), 1e-6, max_lag=10)
    assert "shifted by 5" in r.message


def test_constant_sample_fails_dependence_tests():
    assert not autocorrelation_test(np.ones(100), 4, 1e-6).passed
    assert not correlation_test(np.ones(100), np.arange(100.0), 1e-6).passed


# ----------------------------------------------------------------------------
# sample sizes invert the detectable effects


def test_sample_sizes_give_the_requested_detectable_effect():
    n = sample_size_for("ks", 0.01, 1e-6)
    assert st._ks_detectable(n, 1e-6) <= 0.01 < st._ks_detectable(n - 1, 1e-6)

    n = sample_size_for("mean", 0.01, 1e-6)
    text = mean_test(np.zeros(n), 0.0, 1.0, 1e-6).detectable
    assert float(re.search(r"= ([0-9.e-]+) sigma", text).group(1)) <= 0.01

    for kurtosis in (1.8, 3.0):
        n = sample_size_for("variance", 0.02, 1e-6, kurtosis=kurtosis)
        se = st._std_ratio_se(n, kurtosis, known_mean=False)
        assert st._std_detectable(se, 1e-6) <= 0.02
        se = st._std_ratio_se(n - 10, kurtosis, known_mean=False)
        assert st._std_detectable(se, 1e-6) > 0.02


def test_stat_result_is_frozen():
    r = mean_test(np.zeros(10), 0.0, 1.0, 0.5)
    assert isinstance(r, StatResult)
    with pytest.raises(AttributeError):
        r.passed = False
