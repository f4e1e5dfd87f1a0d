"""Tests of initcheck.power: the simulation shortcuts agree with direct simulation
using real samples and the real statistics, and the measured floors are caught.

Deterministic (fixed seeds). Each comparison of two detection rates measured
over R fills is held to a bound exceeded with probability <= 1e-6.
"""

import math

import numpy as np
import pytest
from scipy import special, stats

from initcheck import power, statistics
from initcheck.checks import TAIL_PROBABILITIES

ALPHA = 1e-3  # per check in these simulations: makes n = 20000 informative
N = 20_000
REPEATS = 300
#: |difference| of two detection rates over REPEATS fills each, exceeded with prob <= 1e-6
RATE_TOLERANCE = float(stats.norm.isf(0.5e-6)) * math.sqrt(2 * 0.25 / REPEATS)
#: most misses among REPEATS fills at an error caught with prob >= 0.99 (prob <= 1e-6)
MAX_MISSES = int(stats.binom.isf(1e-6, REPEATS, 0.01))

TN = "truncated normal [-2s, 2s]"
RIGHT = {name: law for name, (law, _) in power.LAWS.items()}
_MASS = special.ndtr(2.0) - special.ndtr(-2.0)
# the right laws' CDFs; scipy's truncnorm.cdf is ~50x slower than this
CDF = {name: law.cdf for name, law in RIGHT.items()}
CDF[TN] = lambda x: np.clip((special.ndtr(x) - special.ndtr(-2.0)) / _MASS, 0.0, 1.0)
BOUNDS = {name: bounds for name, (_, bounds) in power.LAWS.items()}


def truncated_normal(a, b, scale=1.0):
    """Draws of N(0, scale^2) conditioned on [a*scale, b*scale] by inversion
    (scipy's truncnorm.rvs is ~100x slower)."""
    lo, hi = special.ndtr(a), special.ndtr(b)
    return lambda shape, rng: scale * special.ndtri(lo + (hi - lo) * rng.random(shape))


def scipy_draws(frozen):
    return lambda shape, rng: frozen.rvs(shape, random_state=rng)


# the wrong laws of power.ERRORS, as samplers draw(shape, rng)
WRONG = {
    ("normal", "std too small"): lambda e: scipy_draws(stats.norm(0, 1 - e)),
    ("normal", "mean shifted"): lambda e: scipy_draws(stats.norm(e, 1)),
    ("uniform", "std too small"):
        lambda e: scipy_draws(stats.uniform(-math.sqrt(3) * (1 - e), 2 * math.sqrt(3) * (1 - e))),
    (TN, "bounds too narrow"): lambda e: truncated_normal(-2 + e, 2 - e),
    (TN, "std too small"): lambda e: truncated_normal(-2, 2, scale=1 - e),
}


def error_entry(law, error):
    (entry,) = [e for e in power.ERRORS if e[0] == law and e[1] == error]
    return entry


def direct_rates(law_name, wrong, n, alpha, repeats, seed):
    """Detection rates of the real statistics on real samples drawn from `wrong`."""
    right = RIGHT[law_name]
    mean, var = float(right.mean()), float(right.var())
    kurtosis = float(right.stats(moments="k")) + 3.0
    points = [float(t) for t in right.ppf(TAIL_PROBABILITIES)] + list(BOUNDS[law_name])
    samples = wrong((repeats, n), np.random.default_rng(seed))
    caught = {c: np.zeros(repeats, bool) for c in power.CHECKS}
    for i, x in enumerate(samples):
        caught["ks"][i] = not statistics.ks_test(x, CDF[law_name], alpha).passed
        caught["mean"][i] = not statistics.mean_test(x, mean, var, alpha).passed
        caught["variance"][i] = not statistics.variance_test(x, var, kurtosis, alpha, mean=mean).passed
        caught["tails"][i] = not statistics.tail_test(x, CDF[law_name], points, alpha).passed
    return {c: float(v.mean()) for c, v in caught.items()}


def simulated_rates(law_name, wrong_law, n, alpha, repeats, seed):
    sim = power._Simulator(law_name, n, alpha, cells=512)
    flags = sim.caught(wrong_law, repeats, np.random.default_rng(seed))
    return {c: float(v.mean()) for c, v in flags.items()}


# error sizes chosen so that each check's detection rate is in the informative middle
@pytest.mark.parametrize("law, error, size", [
    ("normal", "std too small", 0.028),   # variance ~ 50%
    ("normal", "mean shifted", 0.045),    # mean ~ 50%, ks partly
    ("uniform", "std too small", 0.0012),  # tails
    (TN, "bounds too narrow", 0.008),     # tails
])
def test_simulation_shortcuts_match_direct_simulation(law, error, size):
    _, _, _, wrong_law, _ = error_entry(law, error)
    simulated = simulated_rates(law, wrong_law(size), N, ALPHA, REPEATS, seed=1)
    direct = direct_rates(law, WRONG[law, error](size), N, ALPHA, REPEATS, seed=2)
    informative = [c for c in power.CHECKS if 0.05 < direct[c] < 0.95]
    assert informative, direct  # the size was chosen so that some check is on the fence
    for check in power.CHECKS:
        assert abs(simulated[check] - direct[check]) <= RATE_TOLERANCE, (check, simulated, direct)


@pytest.mark.parametrize("law, error", [("normal", "std too small"), ("normal", "mean shifted"),
                                        (TN, "bounds too narrow"), (TN, "std too small")])
def test_measured_floor_is_caught_by_the_real_checks(law, error):
    (row,) = power.detection_floors(N, alpha=ALPHA, repeats=400, cells=256, errors=[error_entry(law, error)])
    assert row.caught >= power.POWER
    size = row.floor / (100.0 if row.unit.startswith("%") else 1.0)
    misses = fills_no_check_catches(law, WRONG[law, error](size), seed=3)
    assert misses <= MAX_MISSES, row


def fills_no_check_catches(law_name, wrong, seed):
    """How many of REPEATS real fills from `wrong` pass ks, mean, variance and tails."""
    right = RIGHT[law_name]
    mean, var = float(right.mean()), float(right.var())
    kurtosis = float(right.stats(moments="k")) + 3.0
    points = [float(t) for t in right.ppf(TAIL_PROBABILITIES)] + list(BOUNDS[law_name])
    samples = wrong((REPEATS, N), np.random.default_rng(seed))
    return sum(statistics.ks_test(x, CDF[law_name], ALPHA).passed
               and statistics.mean_test(x, mean, var, ALPHA).passed
               and statistics.variance_test(x, var, kurtosis, ALPHA, mean=mean).passed
               and statistics.tail_test(x, CDF[law_name], points, ALPHA).passed
               for x in samples)


def test_floors_shrink_like_one_over_sqrt_n():
    entry = error_entry("normal", "std too small")
    small, large = (power.detection_floors(n, fast=True, errors=[entry])[0].floor for n in (10**5, 10**7))
    assert small / large == pytest.approx(10.0, rel=0.15)


def test_floors_for_a_budget_and_the_table():
    rows = power.detection_floors("quick", fast=True)
    assert [(r.law, r.error) for r in rows] == [(e[0], e[1]) for e in power.ERRORS]
    from initcheck.battery import BUDGETS

    assert all(r.n == BUDGETS["quick"].samples and r.caught >= power.POWER for r in rows)
    assert all(0 < r.floor < math.inf for r in rows)
    table = power.format_table(rows)
    assert table.count("\n") == len(rows) + 1
    assert "| normal | std too small | 1e+05 |" in table


def test_clamping_floor_is_a_few_values_on_the_bounds():
    # clamped mass w puts ~n*w values exactly on a bound, where the truncated
    # law has none: the tails check fails on the first one, so 1-(1-w)^n >= 0.99
    (row,) = power.detection_floors(10**5, repeats=400, cells=256,
                                    errors=[error_entry(TN, "clamped, not truncated")])
    assert row.best_check == "tails"
    assert row.floor == pytest.approx(-math.log(0.01) / 10**5, rel=0.3)


def test_main_prints_a_table(capsys):
    assert power.main(["20000", "--fast"]) == 0
    out = capsys.readouterr().out
    assert "n = 20000" in out and "| uniform | mean shifted |" in out


@pytest.mark.parametrize("budget, message", [
    ("fastest", "budget must be one of"),
    (10, "must be >= 100, got 10"),
    (True, "budget must be a budget name or a sample size"),
])
def test_budget_is_checked(budget, message):
    with pytest.raises((ValueError, TypeError), match=message):
        power.detection_floors(budget, fast=True)
