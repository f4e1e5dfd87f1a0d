"""Each reference initializer follows its law of SPEC §2, checked at fixed seeds.

Statistics (written here from SPEC §2 with scipy, not read from reference):

- KS: the Dvoretzky-Kiefer-Wolfowitz-Massart bound P(sup|F_n - F| > eps) <= 2 exp(-2 n eps^2)
  gives eps = sqrt(ln(2 / alpha) / (2 n)); alpha = 1e-6 per assertion. At n = 2**18 that is
  eps = 0.0053: a normal whose std is off by >= 2.5% (or whose mean is off by 1.3% of a
  std) is caught.
- Moments: |mean - mu| <= z sd / sqrt(n) and |var - sd^2| <= z sd^2 sqrt((kurtosis - 1) / n)
  with the law's own kurtosis and z = 4.89 (two-sided alpha = 1e-6, normal approximation,
  n >= 1e5). At n = 2**18 a std off by >= 0.7% is caught.
- Support: every value inside the law's support (after rounding to the dtype).

A correct implementation fails any one assertion with probability <= 1e-6; the seeds
are fixed, so the suite is deterministic.
"""

from __future__ import annotations

import itertools
import math

import ml_dtypes
import numpy as np
import pytest
from scipy import special, stats

import reference as ms
from reference.common.initializer import (
    Constant,
    Dirac,
    HeNormal,
    HeUniform,
    Identity,
    Normal,
    One,
    Orthogonal,
    Sparse,
    TruncatedNormal,
    Uniform,
    VarianceScaling,
    XavierNormal,
    XavierUniform,
    Zero,
    initializer,
)

ALPHA = 1e-6
Z = stats.norm.isf(ALPHA / 2)  # 4.89
CONV = (256, 128, 3, 3)  # fan_in 1152, fan_out 2304: swapped fans would show
DENSE = (512, 512)  # n = 2**18
FAN_IN, FAN_OUT = 128 * 9, 256 * 9


def ks_eps(n: int) -> float:
    return math.sqrt(math.log(2 / ALPHA) / (2 * n))


def sample(init, shape, dtype, seed) -> np.ndarray:
    ms.set_seed(seed)
    return initializer(init, shape, dtype).init_data().asnumpy()


def assert_follows(x: np.ndarray, law, lo: float, hi: float, what: str) -> None:
    __tracebackhide__ = True
    x = np.asarray(x, dtype=np.float64).ravel()
    n = x.size
    assert lo <= x.min() and x.max() <= hi, f"{what}: values outside [{lo}, {hi}]: [{x.min()}, {x.max()}]"
    d = stats.kstest(x, law.cdf).statistic
    assert d <= ks_eps(n), f"{what}: KS distance {d:.5f} > {ks_eps(n):.5f} (n={n}, alpha={ALPHA})"
    mu, var, excess = (float(v) for v in law.stats(moments="mvk"))
    sd = math.sqrt(var)
    assert abs(x.mean() - mu) <= Z * sd / math.sqrt(n), f"{what}: mean {x.mean():.6g}, law {mu:.6g}"
    tol = Z * var * math.sqrt((excess + 2) / n)  # kurtosis - 1 = excess + 2
    assert abs(x.var() - var) <= tol, f"{what}: var {x.var():.6g}, law {var:.6g} +- {tol:.3g}"


class truncnorm:
    """N(mean, sigma^2) conditioned on [a, b]: scipy's moments, and a vectorised CDF
    (scipy's truncnorm.cdf is slow) computed on the side where it is accurate."""

    def __init__(self, mean, sigma, a, b):
        self.mean, self.sigma = mean, sigma
        self.alpha, self.beta = (a - mean) / sigma, (b - mean) / sigma
        self._scipy = stats.truncnorm(self.alpha, self.beta, loc=mean, scale=sigma)

    def stats(self, moments):
        return self._scipy.stats(moments=moments)

    def cdf(self, x):
        z = (np.asarray(x) - self.mean) / self.sigma
        if self.alpha + self.beta > 0:  # upper tail: survival functions keep precision
            sf_a, sf_b = special.ndtr(-self.alpha), special.ndtr(-self.beta)
            return (sf_a - special.ndtr(-z)) / (sf_a - sf_b)
        cdf_a, cdf_b = special.ndtr(self.alpha), special.ndtr(self.beta)
        return (special.ndtr(z) - cdf_a) / (cdf_b - cdf_a)


def he_std(gain, fan):
    return gain / math.sqrt(fan)


_VS_SIGMA = math.sqrt(1.0 / FAN_IN) / 0.87962566103423978

LAWS = {
    # id: (initializer, shape, law, support)
    "Normal": (Normal(sigma=0.5, mean=0.3), DENSE, stats.norm(0.3, 0.5), (-np.inf, np.inf)),
    "Uniform": (Uniform(scale=0.2), DENSE, stats.uniform(-0.2, 0.4), (-0.2, 0.2)),
    "TruncatedNormal-default": (TruncatedNormal(), DENSE, truncnorm(0, 0.01, -2, 2), (-2, 2)),
    "TruncatedNormal-2sd": (TruncatedNormal(1.0, 0.0, -2.0, 2.0), DENSE, truncnorm(0, 1, -2, 2), (-2, 2)),
    "TruncatedNormal-skew": (TruncatedNormal(0.1, 0.05, 0.0, 0.4), DENSE, truncnorm(0.05, 0.1, 0, 0.4), (0, 0.4)),
    "TruncatedNormal-narrow": (TruncatedNormal(1.0, 0.0, 0.5, 0.6), DENSE, truncnorm(0, 1, 0.5, 0.6), (0.5, 0.6)),
    "TruncatedNormal-tail": (TruncatedNormal(1.0, 0.0, 5.0, np.inf), DENSE, truncnorm(0, 1, 5, np.inf), (5, np.inf)),
    "TruncatedNormal-far": (TruncatedNormal(2.0, 1.0, -np.inf, -40.0), DENSE, truncnorm(1, 2, -np.inf, -40), (-np.inf, -40)),
    "XavierUniform": (XavierUniform(gain=2), CONV, stats.uniform(-2 * math.sqrt(6 / 3456), 4 * math.sqrt(6 / 3456)),
                      (-2 * math.sqrt(6 / 3456), 2 * math.sqrt(6 / 3456))),
    "XavierNormal": (XavierNormal(gain=1.5), CONV, stats.norm(0, 1.5 * math.sqrt(2 / 3456)), (-np.inf, np.inf)),
    "HeUniform-default": (HeUniform(), CONV,
                          stats.uniform(-math.sqrt(3) * he_std(math.sqrt(2), FAN_IN), 2 * math.sqrt(3) * he_std(math.sqrt(2), FAN_IN)),
                          (-math.sqrt(3) * he_std(math.sqrt(2), FAN_IN), math.sqrt(3) * he_std(math.sqrt(2), FAN_IN))),
    "HeUniform-fan_out": (HeUniform(negative_slope=0.2, mode="fan_out"), CONV,
                          stats.uniform(-math.sqrt(3) * he_std(math.sqrt(2 / 1.04), FAN_OUT),
                                        2 * math.sqrt(3) * he_std(math.sqrt(2 / 1.04), FAN_OUT)), (-1, 1)),
    "HeNormal-relu-fan_out": (HeNormal(mode="fan_out", nonlinearity="relu"), CONV,
                              stats.norm(0, he_std(math.sqrt(2), FAN_OUT)), (-np.inf, np.inf)),
    "HeNormal-tanh": (HeNormal(nonlinearity="tanh"), CONV, stats.norm(0, he_std(5 / 3, FAN_IN)), (-np.inf, np.inf)),
    "VarianceScaling-default": (VarianceScaling(), CONV, truncnorm(0, _VS_SIGMA, -2 * _VS_SIGMA, 2 * _VS_SIGMA),
                                (-2 * _VS_SIGMA, 2 * _VS_SIGMA)),
    "VarianceScaling-uniform-avg": (VarianceScaling(2.0, "fan_avg", "uniform"), CONV,
                                    stats.uniform(-math.sqrt(6 / 1728), 2 * math.sqrt(6 / 1728)), (-1, 1)),
    "VarianceScaling-normal-out": (VarianceScaling(0.5, "fan_out", "untruncated_normal"), CONV,
                                   stats.norm(0, math.sqrt(0.5 / FAN_OUT)), (-np.inf, np.inf)),
}


@pytest.mark.parametrize("dtype", [ms.float32, ms.float64], ids=str)
@pytest.mark.parametrize("case", sorted(LAWS))
def test_law(case, dtype):
    init, shape, law, (lo, hi) = LAWS[case]
    x = sample(init, shape, dtype, seed=1000 + sorted(LAWS).index(case))
    # Support bounds as the dtype rounds them.
    np_type = np.float32 if dtype == ms.float32 else np.float64
    assert_follows(x, law, float(np_type(lo)), float(np_type(hi)), f"{case} {dtype}")


def test_variance_scaling_truncated_normal_has_std_sqrt_s():
    # The point of the 0.8796 constant: after truncation at 2 sigma the std is sqrt(scale / n).
    x = sample(VarianceScaling(scale=3.0, mode="fan_out"), CONV, ms.float64, seed=3)
    n = x.size
    target = math.sqrt(3.0 / FAN_OUT)
    sigma = target / 0.87962566103423978
    excess = float(truncnorm(0, sigma, -2 * sigma, 2 * sigma).stats(moments="k"))
    assert abs(x.var() - target**2) <= Z * target**2 * math.sqrt((excess + 2) / n)
    assert np.abs(x).max() <= 2 * sigma


def test_normal_tail_mass():
    # float32 normals come from Box-Muller on 30-bit uniforms: the tails must be
    # right out to 4 sd. Counts beyond 3 and 4 sd are binomial; z = 4.89 (alpha 1e-6
    # each) detects a tail mass off by >= 7% (3 sd) and >= 30% (4 sd) at n = 2**22.
    x = sample(Normal(sigma=1.0), (1 << 22,), ms.float32, seed=9)
    n = x.size
    for k in (3.0, 4.0):
        p = 2 * stats.norm.sf(k)
        count = int(np.count_nonzero(np.abs(x) > k))
        assert abs(count - n * p) <= Z * math.sqrt(n * p * (1 - p)), (k, count, n * p)
    assert np.abs(x).max() < 6.56  # the sampler's reach: sqrt(-2 ln 2^-31)


# -- low precision: drawn in float32, rounded once -------------------------------------------------
# (float16 fills of 2^20 elements and more of a normal or truncated normal law are drawn
# from the rounded law by alias table instead: tests/test_reference_half_table.py)

RANDOM = [Normal(0.3), Uniform(), TruncatedNormal(0.5, 0.0, -0.2, 1.0), XavierUniform(), HeNormal(),
          VarianceScaling(), Orthogonal(), Sparse(0.3)]


@pytest.mark.parametrize("init", RANDOM, ids=lambda i: type(i).__name__)
@pytest.mark.parametrize("low", [ms.float16, ms.bfloat16], ids=str)
def test_low_precision_is_float32_rounded_once(init, low):
    shape = (300, 200)
    wide = sample(init, shape, ms.float32, seed=21)
    narrow = sample(init, shape, low, seed=21)
    np_low = np.float16 if low == ms.float16 else ml_dtypes.bfloat16
    assert narrow.dtype == np_low
    assert narrow.tobytes() == wide.astype(np_low).tobytes()


@pytest.mark.parametrize("init", RANDOM[:6], ids=lambda i: type(i).__name__)
def test_float64_is_sampled_in_float64(init):
    x = sample(init, (200, 300), ms.float64, seed=4)
    through_f32 = x.astype(np.float32).astype(np.float64)
    assert np.count_nonzero(x != through_f32) > 0.99 * x.size


# -- deterministic laws: exact outputs ----------------------------------------------------------------

ALL_DTYPES = [ms.float16, ms.bfloat16, ms.float32, ms.float64, ms.int32, ms.int64]
NP = {ms.float16: np.float16, ms.bfloat16: ml_dtypes.bfloat16, ms.float32: np.float32, ms.float64: np.float64,
      ms.int32: np.int32, ms.int64: np.int64}


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_zero_one_constant_exact_in_every_dtype(dtype):
    np_type = NP[dtype]
    shape = (3, 4, 5)
    assert sample(Zero(), shape, dtype, 0).tobytes() == np.zeros(shape, np_type).tobytes()
    assert sample(One(), shape, dtype, 0).tobytes() == np.ones(shape, np_type).tobytes()
    value = -3 if dtype in (ms.int32, ms.int64) else 0.1
    out = sample(Constant(value), shape, dtype, 0)
    assert out.dtype == np_type and out.tobytes() == np.full(shape, np.array(value).astype(np_type)).tobytes()


def test_constant_accepts_a_broadcasting_array():
    out = sample(Constant(np.array([1.0, 2.0, 3.0])), (2, 3), ms.float32, 0)
    assert out.tolist() == [[1, 2, 3], [1, 2, 3]]
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 4\)"):
        initializer(Constant(np.array([1.0, 2.0, 3.0])), (2, 4))


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (1, 7)])
@pytest.mark.parametrize("dtype", [ms.float16, ms.bfloat16, ms.float32, ms.float64], ids=str)
def test_identity_exact(shape, dtype):
    out = sample(Identity(), shape, dtype, 0)
    expected = np.array([[1.0 if i == j else 0.0 for j in range(shape[1])] for i in range(shape[0])])
    assert out.dtype == NP[dtype] and np.array_equal(out.astype(np.float64), expected)


def dirac_expected(shape, groups):
    """SPEC §2 written out with loops."""
    out = np.zeros(shape)
    per_group = shape[0] // groups
    centre = tuple(k // 2 for k in shape[2:])
    for g in range(groups):
        for d in range(min(per_group, shape[1])):
            out[(g * per_group + d, d) + centre] = 1
    return out


@pytest.mark.parametrize(
    "shape,groups",
    [((6, 4, 3, 3), 2), ((8, 2, 4), 4), ((4, 4, 2, 2, 2), 1), ((6, 6, 5), 3), ((3, 5, 2, 4), 1), ((4, 1, 3), 2)],
)
def test_dirac_exact_with_groups_and_even_kernels(shape, groups):
    out = sample(Dirac(groups=groups), shape, ms.float32, 0)
    assert np.array_equal(out, dirac_expected(shape, groups))
    assert out.sum() == groups * min(shape[0] // groups, shape[1])


# -- Sparse ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows,cols,sparsity", [(10, 50, 0.7), (100, 40, 0.1), (7, 9, 0.0), (64, 64, 0.99), (1, 5, 0.5)])
def test_sparse_zero_count_per_column_is_exact(rows, cols, sparsity):
    out = sample(Sparse(sparsity=sparsity, sigma=1.0), (rows, cols), ms.float32, 5)
    zeros = np.count_nonzero(out == 0, axis=0)
    assert np.all(zeros == math.ceil(sparsity * rows)), zeros


def test_sparse_zero_rows_are_uniform_and_nonzeros_are_normal():
    rows, cols, sparsity, sigma = 50, 20_000, 0.3, 0.05
    out = sample(Sparse(sparsity=sparsity, sigma=sigma), (rows, cols), ms.float64, 6)
    # Zero counts per row: each column picks 15 of 50 rows; under uniformity the
    # chi-square statistic over rows is at most chi2(49) in distribution (the
    # per-column constraint only lowers it), threshold at alpha = 1e-6.
    per_row = np.count_nonzero(out == 0, axis=1)
    expected = cols * math.ceil(sparsity * rows) / rows
    chi2 = float(((per_row - expected) ** 2 / expected).sum())
    assert chi2 <= stats.chi2.isf(ALPHA, rows - 1), chi2
    nonzero = out[out != 0]
    assert_follows(nonzero, stats.norm(0, sigma), -np.inf, np.inf, "Sparse non-zeros")


@pytest.mark.parametrize("count", [2, 3], ids=["marked", "complement"])
def test_sparse_zero_sets_are_uniform_subsets(monkeypatch, count):
    # The joint law of a column's zero rows, not only its marginals: with 5 rows each of
    # the C(5, count) = 10 subsets has probability 1/10. Chi-square over the 10 subsets
    # (9 degrees of freedom) at alpha = 1e-6, from 30,000 independent columns; detects a
    # subset probability off by >= ~1.5% absolute (e.g. 0.115 among 0.1s). count 2
    # draws the zero rows, count 3 the kept ones; a small group width makes the columns
    # span many groups.
    from reference.common import initializer as init_mod

    monkeypatch.setattr(init_mod, "_MARK_BLOCK", 5 * 7)
    rows, cols = 5, 30_000
    gen = np.random.Generator(np.random.SFC64(11))
    pattern = init_mod._random_rows_per_column(rows, cols, count, gen)
    assert np.all(pattern.sum(axis=0) == count)
    codes = (pattern * (1 << np.arange(rows))[:, None]).sum(axis=0)
    subsets = [sum(1 << r for r in combo) for combo in itertools.combinations(range(rows), count)]
    observed = np.array([np.count_nonzero(codes == code) for code in subsets])
    assert observed.sum() == cols
    expected = cols / len(subsets)
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    assert chi2 <= stats.chi2.isf(ALPHA, len(subsets) - 1), observed


# -- Orthogonal ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(64, 32), (32, 64), (16, 4, 3, 3), (48, 48)])
@pytest.mark.parametrize("dtype,tol", [(ms.float32, 1e-5), (ms.float64, 1e-12), (ms.bfloat16, 2e-2)], ids=str)
def test_orthogonal_rows_or_columns_are_orthonormal(shape, dtype, tol):
    gain = 2.0
    w = sample(Orthogonal(gain=gain), shape, dtype, 8).astype(np.float64).reshape(shape[0], -1)
    gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    assert np.abs(gram - gain**2 * np.eye(gram.shape[0])).max() <= gain**2 * tol


def test_orthogonal_is_haar_distributed():
    # Each entry of a Haar 3x3 orthogonal matrix is uniform on [-1, 1] (Archimedes);
    # an unsigned QR makes Q[0, 0] <= 0 always. KS per entry, alpha = 1e-6 each.
    ms.set_seed(10)
    draws = np.stack([initializer(Orthogonal(), (3, 3), ms.float64).asnumpy() for _ in range(1500)])
    uniform = stats.uniform(-1, 2)
    for i in range(3):
        for j in range(3):
            d = stats.kstest(draws[:, i, j], uniform.cdf).statistic
            assert d <= ks_eps(len(draws)), (i, j, d)
