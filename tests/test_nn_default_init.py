"""Default initialisation laws of Dense and Conv2d, checked statistically.

MindSpore's defaults: weight HeUniform(negative_slope=sqrt(5)), whose bound
sqrt(3) * sqrt(2 / (1 + 5)) / sqrt(fan_in) = 1 / sqrt(fan_in), and bias
Uniform(1 / sqrt(fan_in)) with fan_in from the weight's shape (in_channels * kH * kW for
Conv2d). So every element of both is U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

Each statistical assertion has false-failure rate alpha = 1e-6 at a fixed seed (the
tests are deterministic; alpha says how unlucky a seed would have to be). Shapes have
fan_in != fan_out so a swapped fan changes the bound.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import reference as ms
from reference import nn

ALPHA = 1e-6
Z = stats.norm.isf(ALPHA / 2)  # two-sided normal quantile for the variance test, ~4.89


def assert_uniform(values: np.ndarray, bound: float, what: str) -> None:
    """Support, KS distance and variance of `values` against U(-bound, bound)."""
    __tracebackhide__ = True
    x = values.astype(np.float64).ravel()
    n = x.size
    assert np.abs(x).max() <= bound * (1 + 1e-6), f"{what}: max |x| = {np.abs(x).max():.6g} > bound {bound:.6g}"
    d = stats.kstest(x, stats.uniform(loc=-bound, scale=2 * bound).cdf).statistic
    d_max = stats.kstwo.isf(ALPHA, n)
    assert d <= d_max, f"{what}: KS distance {d:.4g} > {d_max:.4g} (n={n}, alpha={ALPHA}) against U(+-{bound:.6g})"
    # Var(s^2) of a uniform sample is (mu4 - sigma^4) / n with mu4 = B^4/5, sigma^2 = B^2/3.
    var = bound**2 / 3
    se = math.sqrt((bound**4 / 5 - var**2) / n)
    s2 = x.var()
    assert abs(s2 - var) <= Z * se, (
        f"{what}: variance {s2:.6g}, expected {var:.6g} +- {Z * se:.3g} (n={n}, alpha={ALPHA}); "
        f"detects a bound off by >= {100 * (math.sqrt(1 + Z * se / var) - 1):.2f}%"
    )


def test_dense_default_weight_and_bias_are_uniform_one_over_sqrt_fan_in():
    # n = 262144 weights: KS threshold 0.0053, the variance test detects a bound off by 0.43%;
    # 4096 biases: KS threshold 0.042, bound off by 3.4%.
    ms.set_seed(20240601)
    cell = nn.Dense(64, 4096)
    bound = 1 / math.sqrt(64)
    assert_uniform(cell.weight.asnumpy(), bound, "Dense(64, 4096).weight")
    assert_uniform(cell.bias.asnumpy(), bound, "Dense(64, 4096).bias")


def test_conv2d_default_weight_and_bias_are_uniform_one_over_sqrt_fan_in():
    # fan_in = 8 * 3 * 3 = 72 (the bias bound uses it too, not in_channels = 8); fan_out = 8192 * 9.
    # n = 589824 weights: KS threshold 0.0035, bound off by 0.28%; 8192 biases: 0.030, 2.4%.
    ms.set_seed(20240602)
    cell = nn.Conv2d(8, 8192, 3, has_bias=True)
    bound = 1 / math.sqrt(72)
    assert_uniform(cell.weight.asnumpy(), bound, "Conv2d(8, 8192, 3).weight")
    assert_uniform(cell.bias.asnumpy(), bound, "Conv2d(8, 8192, 3).bias")


@pytest.mark.parametrize("make, bias_fan_in", [
    (lambda: nn.Conv1d(6, 4096, 5, has_bias=True), 6 * 5),
    (lambda: nn.Conv3d(2, 4096, (1, 2, 3), has_bias=True), 2 * 6),
    # the transposed weight is (in, out // group, k, k): fan_in = (out // group) * k * k
    (lambda: nn.Conv2dTranspose(3, 4096, 2, group=1, has_bias=True), 4096 * 4),
])
def test_other_conv_biases_take_fan_in_from_their_weight_shape(make, bias_fan_in):
    ms.set_seed(20240603)
    cell = make()
    assert_uniform(cell.bias.asnumpy(), 1 / math.sqrt(bias_fan_in), f"{type(cell).__name__}.bias")


def test_default_law_test_rejects_a_wrong_bound():
    # The check above has power: HeUniform's plain ReLU bound sqrt(6 / fan_in) fails it.
    ms.set_seed(20240604)
    cell = nn.Dense(64, 4096, weight_init="he_uniform")
    with pytest.raises(AssertionError, match="max |x|"):
        assert_uniform(cell.weight.asnumpy(), 1 / math.sqrt(64), "he_uniform weight")
    # ... and so does a law with the right support but the wrong shape (a normal, clipped).
    values = np.clip(np.random.default_rng(0).normal(0, 0.06, 262144), -0.125, 0.125)
    with pytest.raises(AssertionError, match="KS distance"):
        assert_uniform(values, 0.125, "clipped normal")
