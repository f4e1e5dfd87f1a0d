"""Large float16 fills drawn from the exactly rounded law by alias table
(``reference.common._half_table``).

- The table is checked exactly, in integers: rebuilding each pattern's weight from
  the table's thresholds and aliases must give the weights back, for laws from a
  near-point mass to one that overflows to inf.
- The weights are checked against the law rounded to float16, computed here
  independently (rounding intervals from numpy's own float16 rounding, masses from
  scipy.stats): every |w_v - 2^32 p_v| <= 1.
- The fill's output is checked against those weights at alpha = 1e-6 per test: a
  chi-square test over the patterns (cells with fewer than 20 expected counts
  pooled; the p-value from the chi-square law) and a KS test over the patterns in
  value order (the DKW-Massart bound eps = sqrt(ln(2 / alpha) / (2 n)), valid for
  discrete laws too). At n = 2^22, eps = 0.0013: a std off by >= 1% moves the CDF
  by >= 0.0024 near the mean and is caught.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import reference as ms
from reference.common import _half_table, _sampling
from reference.common.initializer import HeNormal, Normal, TruncatedNormal, VarianceScaling, initializer

ALPHA = 1e-6
LAWS = [
    ("normal", 0.0, 0.01),
    ("normal", 0.3, 2.0),
    ("normal", 0.0, 1e-6),  # a few hundred patterns
    ("normal", 1000.0, 30000.0),  # overflows to +-inf with positive mass
    ("truncated", 0.0, 1.0, -2.0, 2.0),
    ("truncated", 0.0, 0.01, -2.0, 2.0),  # cuts nothing
    ("truncated", 1.0, 0.5, 3.0, 9.0),  # right tail
    ("truncated", 0.0, 1.0, 5.0, 5.5),  # far and narrow
    ("truncated", -0.5, 1.0, -np.inf, -3.0),  # half-infinite, left
]


def _weights(law):
    kind, *p = law
    cdf, support = (_half_table._normal_cdf(*p) if kind == "normal" else _half_table._truncated_cdf(*p)[:2])
    return _half_table.pattern_weights(cdf, support)


def _rebuild(table: np.ndarray) -> np.ndarray:
    """Each pattern's weight from the packed table, the slow way."""
    threshold = (table >> 16).astype(np.int64)
    alias = (table & 0xFFFF).astype(np.int64)
    own = np.arange(table.size)
    keep = np.where(alias == own, 1 << 16, threshold)  # a bin aliased to itself keeps everything
    weights = keep.copy()
    np.add.at(weights, alias, (1 << 16) - keep)
    return weights


@pytest.mark.parametrize("law", LAWS, ids=str)
def test_alias_table_gives_every_pattern_exactly_its_weight(law):
    weights = _weights(law)
    assert weights is not None and weights.sum() == 2**32 and weights.min() >= 0
    table = _half_table.alias_table(weights)
    assert table.dtype == np.uint32 and table.size == 1 << 16
    np.testing.assert_array_equal(_rebuild(table), weights)


def _rounded_law(law) -> np.ndarray:
    """P(pattern) for the law rounded to float16, from numpy's rounding and scipy."""
    kind, mean, sigma, *bounds = law
    values = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
    finite = np.isfinite(values)
    up = np.full(values.size, np.inf)
    down = np.full(values.size, -np.inf)
    v = values[finite].astype(np.float64)
    # the rounding interval of v: halfway to its float16 neighbours (65520 past 65504)
    with np.errstate(over="ignore"):  # 65504's neighbour is inf
        nxt = np.nextafter(values[finite], np.float16(np.inf)).astype(np.float64)
        prv = np.nextafter(values[finite], np.float16(-np.inf)).astype(np.float64)
    nxt[np.isinf(nxt)] = 65536.0
    prv[np.isinf(prv)] = -65536.0
    up[finite] = np.where(v == 0, 0.0, (v + nxt) / 2)
    down[finite] = np.where(v == 0, 0.0, (v + prv) / 2)
    # +0 takes [0, 2^-25], -0 takes [-2^-25, 0)
    zero = values == 0
    positive = ~np.signbit(values)
    up[zero & positive], down[zero & ~positive] = 2.0**-25, -(2.0**-25)
    down[values == np.inf], up[values == -np.inf] = 65520.0, -65520.0
    up[np.isnan(values)] = down[np.isnan(values)] = 0.0
    dist = stats.norm(mean, sigma)
    if kind == "normal":
        return np.where(np.isnan(values), 0.0, dist.cdf(up) - dist.cdf(down))
    a, b = bounds
    lo, hi = np.clip(down, a, b), np.clip(up, a, b)
    if (a - mean) / sigma > 0:
        mass = dist.sf(lo) - dist.sf(hi)
        total = dist.sf(a) - dist.sf(b)
    else:
        mass = dist.cdf(hi) - dist.cdf(lo)
        total = dist.cdf(b) - dist.cdf(a)
    return np.where(np.isnan(values), 0.0, mass / total)


@pytest.mark.parametrize("law", LAWS, ids=str)
def test_weights_are_the_float16_rounded_law_to_within_one_part_in_2_32(law):
    expected = _rounded_law(law) * 2.0**32
    # 1 from the integer rounding, and float64 CDF differences (absolute ~1e-16 of 2^32)
    assert np.max(np.abs(_weights(law) - expected)) <= 1.0 + 1e-5


def _law_test(sample: np.ndarray, weights: np.ndarray) -> tuple[float, float, float]:
    """(chi-square p-value, KS distance, KS threshold) of `sample` against `weights`."""
    counts = np.bincount(sample.view(np.uint16), minlength=1 << 16)
    expected = weights / 2.0**32 * sample.size
    big = expected >= 20
    observed = np.append(counts[big], counts[~big].sum())
    wanted = np.append(expected[big], expected[~big].sum())
    keep = wanted > 0
    statistic = np.sum((observed[keep] - wanted[keep]) ** 2 / wanted[keep])
    p = stats.chi2.sf(statistic, keep.sum() - 1)
    values = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float64)
    order = np.argsort(np.where(np.isnan(values), np.inf, values), kind="stable")
    distance = np.max(np.abs(np.cumsum(counts[order]) / sample.size - np.cumsum(weights[order]) / 2.0**32))
    return p, distance, np.sqrt(np.log(2 / ALPHA) / (2 * sample.size))


@pytest.mark.parametrize(
    "init,law",
    [
        (Normal(0.02), ("normal", 0.0, 0.02)),
        (Normal(1.5, 0.25), ("normal", 0.25, 1.5)),
        (TruncatedNormal(1.0), ("truncated", 0.0, 1.0, -2.0, 2.0)),
        (TruncatedNormal(0.5, 1.0, 3.0, 9.0), ("truncated", 1.0, 0.5, 3.0, 9.0)),
    ],
    ids=lambda v: repr(v)[:30],
)
def test_large_float16_fills_follow_the_rounded_law(init, law):
    ms.set_seed(17)
    x = initializer(init, (2048, 2048), ms.float16).init_data().asnumpy()
    assert x.dtype == np.float16
    p, distance, eps = _law_test(x.reshape(-1), _weights(law))
    assert p > ALPHA and distance < eps


def test_a_std_off_by_one_percent_fails_the_same_test():
    ms.set_seed(17)
    x = initializer(Normal(0.0202), (2048, 2048), ms.float16).init_data().asnumpy()
    _, distance, eps = _law_test(x.reshape(-1), _weights(("normal", 0.0, 0.02)))
    assert distance > eps


def test_sample_half_selects_as_the_plain_alias_method_does():
    table = _half_table.half_table(("normal", 0.0, 0.05))
    n = 10_001
    out = np.empty(n, np.float16)
    words = np.random.default_rng(3).integers(0, 2**32, n, dtype=np.uint32)
    buffers = np.empty(n, np.intp), np.empty(n, np.uint32), np.empty(n, np.uint32)
    _half_table.sample_half(words.copy(), out, table, *buffers)
    bins, coins = words & 0xFFFF, words >> 16
    plain = np.where(coins < (table[bins] >> 16), bins, table[bins] & 0xFFFF)
    np.testing.assert_array_equal(out.view(np.uint16), plain.astype(np.uint16))


def test_small_float16_fills_stay_float32_rounded_once_and_large_ones_use_the_table():
    assert _half_table.TABLE_MIN == 1 << 20
    kernel = _sampling.normal_kernel(0.0, 0.02)
    small = np.empty(_half_table.TABLE_MIN - 1, np.float16)
    large = np.empty(_half_table.TABLE_MIN, np.float16)
    single = np.empty(_half_table.TABLE_MIN, np.float32)
    for out in (small, large, single):
        _sampling.fill(out, kernel, np.random.SeedSequence(4))
    # (the last, shorter chunk of `small` lays its Box-Muller pairs out differently)
    full = (_half_table.TABLE_MIN // _sampling.CHUNK - 1) * _sampling.CHUNK
    assert small[:full].tobytes() == single[:full].astype(np.float16).tobytes()
    assert large.tobytes() != single.astype(np.float16).tobytes()


@pytest.mark.parametrize("init", [HeNormal(), VarianceScaling(distribution="truncated_normal")], ids=lambda i: type(i).__name__)
def test_initializers_built_on_normals_use_their_own_law(init):
    # fan-dependent laws get their own table: std sqrt(2 / fan_in) for HeNormal, sqrt(1 / fan_in) here
    ms.set_seed(2)
    x = initializer(init, (1024, 2048), ms.float16).init_data().asnumpy().astype(np.float64)
    std = np.sqrt(2.0 / 2048) if isinstance(init, HeNormal) else np.sqrt(1.0 / 2048)
    n = x.size
    # |sample std / std - 1| <= z sqrt((kurtosis - 1) / (4 n)) with kurtosis <= 3, z = 4.89
    assert abs(x.std() / std - 1) < 4.89 * np.sqrt(2 / (4 * n))
