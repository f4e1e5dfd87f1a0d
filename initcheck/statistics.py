"""Calibrated statistical tests: each with a stated false-failure rate and power.

Every test takes a per-test false-failure rate ``alpha`` (the probability that a
*correct* sample fails) and returns a `StatResult` that states the statistic,
the threshold it was held to, the sample size, and the smallest effect the test
detects with probability >= `POWER` (0.99) at that sample size.

Thresholds come from bounds that hold at every n where one exists (the DKWM
inequality with Massart's constant for the KS distance, exact binomial
quantiles for counts) and from normal approximations with the law's own
moments otherwise (mean, variance, correlations), never from a bare p < 0.05.

Conventions:

* ``passed`` is ``statistic <= threshold`` except for `variance_test`, whose
  statistic is the ratio std_hat/std and passes when ``|ratio - 1| <= threshold``,
  and `binomial_test` / `tail_test`, whose threshold is the allowed count
  deviation on the side the count fell.
* Samples of any float dtype are accepted (float16, ``ml_dtypes.bfloat16``,
  float32, float64) and read in float64; a NaN anywhere fails the test with a
  message saying so (the statistic is then NaN).
* Low-precision samples: the law of a float16 or bfloat16 value is the
  continuous law rounded to nearest in that dtype (SPEC §2), a discrete law.
  `ks_test` and `tail_test` compare against that discrete law exactly, using
  `rounding_interval` (the interval of reals that round to each representable
  value).  float32 is compared with the continuous law: rounding to float32
  moves a CDF by at most sup|x f(x)| * 2**-24 <= 3e-8 for every catalog law,
  below 1/25000 of the smallest DKWM threshold at n = 1e7, alpha = 1e-6
  (8.5e-4).  Where that bound does not hold, i.e. the sample has float32
  subnormals or zeros, the float32 rounding is modelled exactly as well.

Only numpy and scipy are used; nothing here knows any initializer.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import numpy as np
from scipy import fft as _fft
from scipy import optimize as _optimize
from scipy import special as _special
from scipy import stats as _stats

__all__ = [
    "POWER",
    "StatResult",
    "autocorrelation_test",
    "binomial_test",
    "chisquare_uniform_test",
    "correlation_test",
    "cross_correlation_test",
    "dkwm_threshold",
    "familywise_rate",
    "ks_test",
    "mean_test",
    "periodicity_test",
    "rounding_interval",
    "sample_size_for",
    "tail_test",
    "variance_test",
]

#: The probability with which each `detectable` effect is detected.
POWER = 0.99


@dataclass(frozen=True)
class StatResult:
    """The verdict of one statistical test (see the module docstring for conventions)."""

    passed: bool
    statistic: float
    threshold: float
    n: int
    #: smallest effect detected with probability >= POWER at this n and alpha, in words
    detectable: str
    message: str


# ----------------------------------------------------------------------------
# argument checking


def _check_alpha(alpha, name: str = "alpha") -> float:
    try:
        a = float(alpha)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number in (0, 1), got {alpha!r}") from None
    if not (0.0 < a < 1.0):
        raise ValueError(f"{name} must be in (0, 1), got {alpha!r}")
    return a


def _check_count(n, name: str, minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {n!r}")
    if n < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {n!r}")
    return int(n)


def _check_positive(x, name: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a positive number, got {x!r}") from None
    if not (v > 0.0 and math.isfinite(v)):
        raise ValueError(f"{name} must be a positive finite number, got {x!r}")
    return v


def _as_sample(sample, name: str = "sample", minimum: int = 2) -> np.ndarray:
    """The sample as a flat array in its own dtype (not yet upcast)."""
    arr = np.asarray(sample)
    if arr.dtype.kind not in "fiu" and arr.dtype.name != "bfloat16":
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    arr = arr.reshape(-1)
    if arr.size < minimum:
        raise ValueError(f"{name} must have at least {minimum} values, got {arr.size}")
    return arr


def _z(tail_probability: float) -> float:
    """The standard normal quantile with `tail_probability` above it."""
    return float(-_special.ndtri(tail_probability))


def _nan_result(n: int, nan_count: int, what: str) -> StatResult:
    return StatResult(
        passed=False,
        statistic=math.nan,
        threshold=math.nan,
        n=n,
        detectable="n/a",
        message=f"{what} undefined: sample has {nan_count} NaN value(s) out of {n}",
    )


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _alpha_txt(alpha: float) -> str:
    return f"{alpha:.3g}"


# ----------------------------------------------------------------------------
# family-wise rates


def familywise_rate(alphas: Iterable[float]) -> float:
    """Probability that at least one of independent tests with these rates fails:
    1 - prod(1 - a).  For dependent tests it is still an upper bound up to the
    union bound sum(a), which it never exceeds."""
    total = 0.0
    for i, a in enumerate(alphas):
        a = float(a)
        if not (0.0 <= a <= 1.0):
            raise ValueError(f"alphas[{i}] must be in [0, 1], got {a!r}")
        if a == 1.0:
            return 1.0
        total += math.log1p(-a)
    return -math.expm1(total)


# ----------------------------------------------------------------------------
# KS


def dkwm_threshold(n: int, alpha: float) -> float:
    """The KS distance that n draws from the law exceed with probability <= alpha.

    Dvoretzky-Kiefer-Wolfowitz with Massart's tight constant:
    P(sup|F_n - F| > eps) <= 2 exp(-2 n eps^2), for every n and every law
    (continuous or not; for discrete laws it is conservative).
    """
    n = _check_count(n, "n")
    alpha = _check_alpha(alpha)
    return math.sqrt(math.log(2.0 / alpha) / (2.0 * n))


def _ks_detectable(n: int, alpha: float) -> float:
    # If the true law's CDF is off by D at some point x, F_n(x) is a binomial
    # proportion around the true CDF there; Hoeffding: it falls more than
    # eps = sqrt(ln(1/(1-POWER)) / 2n) on the wrong side with probability <= 1-POWER.
    # So D >= threshold + eps is detected with probability >= POWER.
    return dkwm_threshold(n, alpha) + math.sqrt(math.log(1.0 / (1.0 - POWER)) / (2.0 * n))


# Binary formats that ks_test and tail_test model exactly:
# (explicit mantissa bits, minimum normal exponent, largest finite value).
_FORMATS = {
    "float16": (10, -14, 65504.0),
    "bfloat16": (7, -126, float.fromhex("0x1.fep127")),
    "float32": (23, -126, float.fromhex("0x1.fffffep127")),
}


def _dtype_name(dtype) -> str | None:
    if dtype is None:
        return None
    if isinstance(dtype, str):
        name = dtype
    else:
        name = getattr(np.dtype(dtype), "name", str(dtype))
    if name not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(
            f"dtype must be one of float16, bfloat16, float32, float64 or None, got {dtype!r}"
        )
    return name


def _spacing(a: np.ndarray, nmant: int, minexp: int) -> np.ndarray:
    """Distance from |a| (a >= 0, representable) to the next representable value up."""
    _, e = np.frexp(a)  # a = m 2**e, m in [0.5, 1); frexp(0) gives e = 0
    return np.ldexp(1.0, np.where(a == 0.0, minexp, np.maximum(e - 1, minexp)) - nmant)


def rounding_interval(values, dtype) -> tuple[np.ndarray, np.ndarray]:
    """For each representable `values[i]` of `dtype`, the interval (low, up) of
    reals that round to it (round to nearest, ties to even).

    The endpoints are the midpoints to the neighbouring representable values;
    which neighbour wins a tie does not matter for a continuous law (a point has
    no mass), so P(round(X) <= v) = F(up(v)) exactly.  Both zeros map to
    (-s/2, s/2) with s the smallest subnormal; +inf to (overflow threshold, inf).
    Raises ValueError if a value is not representable in `dtype`.
    """
    name = _dtype_name(dtype)
    if name not in _FORMATS:
        raise ValueError(f"dtype must be float16, bfloat16 or float32, got {dtype!r}")
    nmant, minexp, largest = _FORMATS[name]
    v = np.asarray(values, dtype=np.float64)
    if np.isnan(v).any():
        raise ValueError("values must not contain NaN")
    a = np.abs(v)
    finite = np.isfinite(a)
    af = np.where(finite, a, largest)
    s = _spacing(af, nmant, minexp)
    if not (np.all(af <= largest) and np.all(np.mod(af, s) == 0.0)):
        bad = v[(af > largest) | (np.mod(af, s) != 0.0)][:3]
        raise ValueError(f"values are not representable in {name}: e.g. {bad.tolist()}")
    m, e = np.frexp(af)
    # Below a power of two (above the smallest normal) the spacing halves.
    below = np.where((m == 0.5) & (e - 1 > minexp), s / 2.0, s)
    up_a = np.where(finite, af + s / 2.0, np.inf)
    low_a = np.where(finite, np.where(af == 0.0, -s / 2.0, af - below / 2.0),
                     largest + _spacing(np.float64(largest), nmant, minexp) / 2.0)
    neg = v < 0
    low = np.where(neg, -up_a, low_a)
    up = np.where(neg, -low_a, up_a)
    return low, up


def _evaluate_cdf(cdf: Callable, x: np.ndarray) -> np.ndarray:
    f = np.asarray(cdf(x), dtype=np.float64)
    if f.shape != x.shape:
        raise ValueError(f"cdf must be vectorised: returned shape {f.shape} for input shape {x.shape}")
    if f.size:
        lo, hi = float(np.min(f)), float(np.max(f))  # NaN propagates into both
        # a CDF computed as a difference of two CDFs may overshoot by rounding
        if not (lo >= -1e-12 and hi <= 1.0 + 1e-12):
            raise ValueError(f"cdf must return values in [0, 1], got values in [{lo}, {hi}]")
        if lo < 0.0 or hi > 1.0:
            f = np.clip(f, 0.0, 1.0)
    return f


def _bits_table(name: str) -> np.ndarray:
    """float64 value of every 16-bit pattern of float16 / bfloat16."""
    table = _BITS_TABLES.get(name)
    if table is None:
        patterns = np.arange(1 << 16, dtype=np.uint32)
        if name == "float16":
            table = patterns.astype(np.uint16).view(np.float16).astype(np.float64)
        else:
            with np.errstate(invalid="ignore"):  # NaN patterns
                table = (patterns << 16).view(np.float32).astype(np.float64)
        table.flags.writeable = False
        _BITS_TABLES[name] = table
    return table


_BITS_TABLES: dict[str, np.ndarray] = {}


class _NotRepresentable(ValueError):
    pass


def _sixteen_bit_patterns(arr: np.ndarray, name: str) -> np.ndarray:
    """The 16-bit patterns of `arr` as `name` (float16 or bfloat16)."""
    if arr.dtype.name == name:
        return arr.view(np.uint16)
    x = arr.astype(np.float64)
    finite_or_inf = ~np.isnan(x)
    if name == "float16":
        with np.errstate(over="ignore"):
            low = x.astype(np.float16)
        ok = low.astype(np.float64) == x
        bits = low.view(np.uint16)
    else:
        with np.errstate(over="ignore"):
            x32 = x.astype(np.float32)
        b32 = x32.view(np.uint32)
        ok = (x32.astype(np.float64) == x) & ((b32 & 0xFFFF) == 0)
        bits = (b32 >> 16).astype(np.uint16)
    if not np.all(ok | ~finite_or_inf):
        bad = x[~ok & finite_or_inf][:3]
        raise _NotRepresentable(f"sample values are not representable in {name}: e.g. {bad.tolist()}")
    return bits


def _distinct_16bit(arr: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray, int]:
    """Sorted distinct values (float64, NaN removed) of a float16 / bfloat16
    sample, their counts, and the NaN count: counted by bit pattern (linear
    time, at most 65536 distinct values, no sort)."""
    counts = np.bincount(_sixteen_bit_patterns(arr, name), minlength=1 << 16)
    present = np.flatnonzero(counts)
    values = _bits_table(name)[present]
    c = counts[present]
    nan = np.isnan(values)
    values, inverse = np.unique(values[~nan], return_inverse=True)  # merges -0 and +0
    return values, np.bincount(inverse, weights=c[~nan]).astype(np.int64), int(c[nan].sum())


def _distinct_sorted(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted NaN-free array and their counts."""
    starts = np.flatnonzero(np.concatenate(([True], x[1:] != x[:-1])))
    return x[starts], np.diff(np.append(starts, x.size))


def _has_float32_subnormal_or_zero(sorted_x: np.ndarray) -> bool:
    tiny = float(np.finfo(np.float32).tiny)
    hi = np.searchsorted(sorted_x, tiny, side="left")
    lo = np.searchsorted(sorted_x, -tiny, side="right")
    return bool(hi > lo)


#: `_ks_sides_sorted` evaluates the CDF at every KS_STRIDE-th order statistic first
KS_STRIDE = 16


def _ks_sides_sorted(x: np.ndarray, cdf: Callable) -> tuple[float, float]:
    """max_i (i/n - F(x_(i))) and max_i (F(x_(i)) - (i-1)/n) for sorted x, exactly,
    evaluating F at about n/KS_STRIDE points plus the few blocks that can matter.

    The CDF is the costly part (a scipy law's cdf is ~30 ns a value, twice a
    float32 sort).  F is monotone, so between two evaluated order statistics
    x_(a) < ... < x_(b) every i/n - F(x_(i)) is at most b/n - F(x_(a)) and every
    F(x_(i)) - (i-1)/n at most F(x_(b)) - a/n: only blocks whose bound beats
    the best exact value found so far are evaluated in full.
    """
    n = x.size
    if n <= 64 * KS_STRIDE:
        f = _evaluate_cdf(cdf, x)
        ranks = np.arange(1, n + 1, dtype=np.float64) / n
        return float(np.max(ranks - f)), float(np.max(f - ranks) + 1.0 / n)
    # 0-based index i: the ECDF is (i+1)/n at x_(i) and i/n just before it
    idx = np.arange(0, n, KS_STRIDE)
    if idx[-1] != n - 1:
        idx = np.append(idx, n - 1)
    f = _evaluate_cdf(cdf, x[idx])
    d_plus = float(np.max((idx + 1) / n - f))
    d_minus = float(np.max(f - idx / n))
    # bounds for the indices strictly inside each block (idx[b], idx[b+1])
    inside_plus = idx[1:] / n - f[:-1]
    inside_minus = f[1:] - (idx[:-1] + 1) / n
    blocks = np.flatnonzero((inside_plus > d_plus) | (inside_minus > d_minus))
    if blocks.size:
        i = (idx[blocks, None] + np.arange(1, KS_STRIDE)).ravel()
        i = i[i < np.repeat(idx[blocks + 1], KS_STRIDE - 1)]
        g = _evaluate_cdf(cdf, x[i])
        d_plus = max(d_plus, float(np.max((i + 1) / n - g, initial=-np.inf)))
        d_minus = max(d_minus, float(np.max(g - i / n, initial=-np.inf)))
    return d_plus, d_minus


def ks_test(sample, cdf: Callable, alpha: float, *, dtype=None) -> StatResult:
    """One-sample Kolmogorov-Smirnov test against the law with CDF `cdf`.

    `cdf`: vectorised callable float64 -> [0, 1], the CDF of the *continuous*
    law (e.g. a scipy frozen distribution's ``.cdf``).  `dtype`: the dtype the
    law is rounded to; None takes the sample's own dtype.  For float16 and
    bfloat16 the sample is compared with the exact CDF of the rounded law
    (see the module docstring); the threshold is `dkwm_threshold(n, alpha)`.
    """
    alpha = _check_alpha(alpha)
    if not callable(cdf):
        raise TypeError(f"cdf must be callable, got {cdf!r}")
    arr = _as_sample(sample, minimum=1)
    name = _dtype_name(dtype) if dtype is not None else (
        arr.dtype.name if arr.dtype.name in _FORMATS or arr.dtype.name == "float64" else None)
    n = arr.size
    threshold = dkwm_threshold(n, alpha)
    detectable = f"CDF off by >= {_fmt(_ks_detectable(n, alpha))} somewhere"

    note = ""
    if name in ("float16", "bfloat16"):
        try:
            values, counts, nan_count = _distinct_16bit(arr, name)
            rounded = True
        except _NotRepresentable as exc:
            # a fill of the wrong dtype: the `dtype` check reports that; here
            # the distribution is still tested, against the unrounded law
            name, note = None, f"; {exc}: compared with the unrounded law"
    if name not in ("float16", "bfloat16"):
        x = np.sort(arr).astype(np.float64)  # sorting before the upcast is faster
        nan_count = int(np.isnan(x).sum()) if np.isnan(x[-1]) else 0  # NaN sorts last
        rounded = name == "float32" and nan_count == 0 and _has_float32_subnormal_or_zero(x)
        if rounded:
            values, counts = _distinct_sorted(x)
    if nan_count:
        return _nan_result(n, nan_count, "KS distance")

    if rounded:
        low, up = rounding_interval(values, name)
        upper_cdf = np.cumsum(counts) / n
        lower_cdf = upper_cdf - counts / n
        d_plus = np.max(upper_cdf - _evaluate_cdf(cdf, up))
        d_minus = np.max(_evaluate_cdf(cdf, low) - lower_cdf)
    else:
        d_plus, d_minus = _ks_sides_sorted(x, cdf)
    distance = float(max(d_plus, d_minus, 0.0))
    passed = distance <= threshold
    law = f" (law rounded to {name})" if rounded else ""
    return StatResult(
        passed=passed,
        statistic=distance,
        threshold=threshold,
        n=n,
        detectable=detectable,
        message=(f"KS distance {_fmt(distance)} {'<=' if passed else '>'} {_fmt(threshold)}"
                 f"{law} (n={n}, alpha={_alpha_txt(alpha)}){note}"),
    )


# ----------------------------------------------------------------------------
# moments


def _mean_and_nan(arr: np.ndarray) -> tuple[float, int]:
    m = float(np.mean(arr, dtype=np.float64))
    if math.isnan(m):
        return m, int(np.isnan(arr.astype(np.float64)).sum())
    return m, 0


def mean_test(sample, mean: float, var: float, alpha: float) -> StatResult:
    """Two-sided z-test of the sample mean against the law's `mean` with the law's
    variance `var`: fails when |mean_hat - mean| > z_{alpha/2} sqrt(var/n).

    The normal approximation is exact for normal laws; for the symmetric laws
    of the catalog the first correction (Edgeworth, kurtosis term) is O(1/n).
    """
    alpha = _check_alpha(alpha)
    mean = float(mean)
    if not math.isfinite(mean):
        raise ValueError(f"mean must be finite, got {mean!r}")
    var = _check_positive(var, "var")
    arr = _as_sample(sample)
    n = arr.size
    m, nan_count = _mean_and_nan(arr)
    if nan_count:
        return _nan_result(n, nan_count, "mean")
    sd = math.sqrt(var)
    se = sd / math.sqrt(n)
    threshold = _z(alpha / 2) * se
    shift = (_z(alpha / 2) + _z(1 - POWER)) * se
    dev = abs(m - mean)
    passed = dev <= threshold
    return StatResult(
        passed=passed,
        statistic=dev,
        threshold=threshold,
        n=n,
        detectable=f"mean off by >= {_fmt(shift)} (= {_fmt(shift / sd)} sigma)",
        message=(f"mean {_fmt(m)}, expected {_fmt(mean)}: |difference| {_fmt(dev)} "
                 f"{'<=' if passed else '>'} {_fmt(threshold)} (n={n}, alpha={_alpha_txt(alpha)})"),
    )


def _std_ratio_se(n: int, kurtosis: float, known_mean: bool) -> float:
    """Standard error of std_hat/std (delta method from Var(s^2))."""
    if known_mean:
        var_s2 = (kurtosis - 1.0) / n  # in units of sigma^4
    else:
        var_s2 = (kurtosis - (n - 3.0) / (n - 1.0)) / n
    return math.sqrt(var_s2) / 2.0


def _std_detectable(se: float, alpha: float) -> float:
    # Under a true ratio r the ratio estimate has standard error ~ r*se; the
    # larger of the two sides (r > 1) solves r - 1 = z_a se + z_b se r.
    za, zb = _z(alpha / 2), _z(1 - POWER)
    return (za + zb) * se / max(1.0 - zb * se, 1e-12)


def variance_test(sample, var: float, kurtosis: float, alpha: float, *, mean=None) -> StatResult:
    """Test of the sample variance against the law's `var`, using the law's own
    `kurtosis` = E[(X-mu)^4]/sigma^4 (non-excess: normal 3, uniform 1.8).

    Var(s^2) = sigma^4 (kurtosis - 1)/n with the mean known, and
    sigma^4 (kurtosis - (n-3)/(n-1))/n with the sample mean (``mean=None``).
    The test is on the ratio std_hat/std (closer to normal than s^2 itself),
    with standard error sqrt(Var(s^2))/(2 sigma^2): passes when
    |ratio - 1| <= z_{alpha/2} * se.  Unlike the chi-square variance test it
    does not assume a normal law, so it keeps its rate on uniform and
    truncated laws.
    """
    alpha = _check_alpha(alpha)
    var = _check_positive(var, "var")
    kurtosis = float(kurtosis)
    if not (kurtosis >= 1.0 and math.isfinite(kurtosis)):
        raise ValueError(f"kurtosis must be >= 1 (non-excess: normal 3, uniform 1.8), got {kurtosis!r}")
    if mean is not None:
        mean = float(mean)
        if not math.isfinite(mean):
            raise ValueError(f"mean must be finite or None, got {mean!r}")
    arr = _as_sample(sample, minimum=3)
    n = arr.size
    x = arr.astype(np.float64)
    centre = float(np.mean(x)) if mean is None else mean
    if math.isnan(centre):
        return _nan_result(n, int(np.isnan(x).sum()), "variance")
    x -= centre
    ss = float(np.dot(x, x))
    if math.isnan(ss):
        return _nan_result(n, int(np.isnan(x).sum()), "variance")
    s2 = ss / (n if mean is not None else n - 1)
    ratio = math.sqrt(s2 / var)
    se = _std_ratio_se(n, kurtosis, mean is not None)
    threshold = _z(alpha / 2) * se
    passed = abs(ratio - 1.0) <= threshold
    return StatResult(
        passed=passed,
        statistic=ratio,
        threshold=threshold,
        n=n,
        detectable=f"std off by >= {100 * _std_detectable(se, alpha):.2g}%",
        message=(f"std {_fmt(math.sqrt(s2))}, expected {_fmt(math.sqrt(var))}: ratio {ratio:.5f} "
                 f"{'within' if passed else 'outside'} 1 +- {_fmt(threshold)} "
                 f"(n={n}, kurtosis={_fmt(kurtosis)}, alpha={_alpha_txt(alpha)})"),
    )


# ----------------------------------------------------------------------------
# counts


def _binomial_bounds(n: int, p: float, alpha: float) -> tuple[int, int]:
    """Equal-tailed acceptance region [lo, hi]: P(X < lo) <= alpha/2, P(X > hi) <= alpha/2."""
    if p <= 0.0:
        return 0, 0
    if p >= 1.0:
        return n, n
    q = alpha / 2
    return (_first_count(lambda k: _special.bdtr(k, n, p) >= q, _special.bdtrik(q, n, p), n),
            _first_count(lambda k: _special.bdtrc(k, n, p) <= q, _special.bdtrik(1 - q, n, p), n))


def _first_count(holds: Callable[[int], bool], guess: float, n: int) -> int:
    """Smallest k in [0, n] where the monotone predicate `holds` is true, starting
    from the continuous inverse `guess` (scipy.stats' binom.ppf is 100x slower)."""
    k = 0 if not math.isfinite(guess) else min(max(int(math.floor(guess)), 0), n)
    while k < n and not holds(k):
        k += 1
    while k > 0 and holds(k - 1):
        k -= 1
    return k


def _binomial_detectable(n: int, p: float, alpha: float) -> float:
    """Smallest |p' - p| with P(reject) >= POWER (normal approximation, larger side)."""
    if p <= 0.0 or p >= 1.0:
        # any count off the boundary fails: P(reject) = 1-(1-d)^n >= POWER
        return -math.expm1(math.log(1.0 - POWER) / n)
    za, zb = _z(alpha / 2), _z(1 - POWER)
    # solve d = za sqrt(p(1-p)/n) + zb sqrt(p'(1-p')/n) with p' = p + d, by fixed point
    d = (za + zb) * math.sqrt(p * (1 - p) / n)
    for _ in range(30):  # converges fast: d changes by O(d^2)
        q = min(p + d, 1.0)
        d = za * math.sqrt(p * (1 - p) / n) + zb * math.sqrt(q * (1 - q) / n)
    return d


def binomial_test(count: int, n: int, p: float, alpha: float) -> StatResult:
    """Two-sided exact binomial test of `count` successes in `n` trials at rate `p`.

    Equal-tailed: fails when count < lo or count > hi with lo, hi the exact
    binomial alpha/2 quantiles, so the false-failure rate is <= alpha for every n.
    `statistic` is |count - n p|; `threshold` the allowed deviation on that side.
    """
    alpha = _check_alpha(alpha)
    n = _check_count(n, "n")
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)):
        raise TypeError(f"count must be an int, got {count!r}")
    if not (0 <= count <= n):
        raise ValueError(f"count must be in [0, n={n}], got {count}")
    p = float(p)
    if not (0.0 <= p <= 1.0):
        raise ValueError(f"p must be in [0, 1], got {p!r}")
    lo, hi = _binomial_bounds(n, p, alpha)
    expected = n * p
    dev = abs(count - expected)
    threshold = (expected - lo) if count < expected else (hi - expected)
    passed = lo <= count <= hi
    d = _binomial_detectable(n, p, alpha)
    return StatResult(
        passed=passed,
        statistic=float(dev),
        threshold=float(threshold),
        n=n,
        detectable=f"rate off by >= {_fmt(d)} (expected {_fmt(p)})",
        message=(f"count {int(count)} of {n}, expected {_fmt(expected)}: "
                 f"{'inside' if passed else 'outside'} [{lo}, {hi}] (alpha={_alpha_txt(alpha)})"),
    )


def tail_test(sample, cdf: Callable, quantiles: Sequence[float], alpha: float, *, dtype=None) -> StatResult:
    """Mass in the tails beyond the points `quantiles` (in the sample's units,
    e.g. ``law.ppf([1e-3, 0.01, 0.99, 0.999])``, or a truncation bound itself).

    A point t with F(t) < 1/2 tests the lower tail #{x <= t}, a point with
    F(t) >= 1/2 the upper tail #{x >= t}; each count gets an exact
    `binomial_test` at alpha / len(quantiles) (Bonferroni).  A point where the
    law has no mass beyond it (a truncation bound) fails on a single value past
    it.  Cheaply catches a wrong truncation or clamping that a KS test sees
    only at large n.

    Rounding: for float16, bfloat16 and float32 (`dtype` None takes the
    sample's dtype) each point is moved to the representable value on its
    tail's side and the expected mass is that of the law rounded to the dtype,
    exactly.  This matters even in float32 at a truncation bound b: values in
    (b - ulp/2, b] round to b itself, which a continuous law says has mass 0.
    """
    alpha = _check_alpha(alpha)
    if not callable(cdf):
        raise TypeError(f"cdf must be callable, got {cdf!r}")
    points = np.asarray(quantiles, dtype=np.float64).reshape(-1)
    if points.size == 0 or not np.all(np.isfinite(points)):
        raise ValueError(f"quantiles must be a non-empty sequence of finite points, got {quantiles!r}")
    arr = _as_sample(sample, minimum=1)
    name = _dtype_name(dtype) if dtype is not None else (
        arr.dtype.name if arr.dtype.name in _FORMATS else None)
    n = arr.size
    x = arr.astype(np.float64)
    nan_count = int(np.isnan(x).sum())
    if nan_count:
        return _nan_result(n, nan_count, "tail mass")
    per_point = alpha / points.size
    lower = _evaluate_cdf(cdf, points) < 0.5
    if name in _FORMATS:
        v = _representable_toward(points, name, down=lower)
        low, up = rounding_interval(v, name)
        p = np.where(lower, _evaluate_cdf(cdf, up), 1.0 - _evaluate_cdf(cdf, low))
    else:
        v = points
        f = _evaluate_cdf(cdf, v)
        p = np.where(lower, f, 1.0 - f)

    worst = None  # (how far past its threshold, result, text)
    sensitivities = []
    for vi, pi, lo_tail in zip(v.tolist(), np.clip(p, 0.0, 1.0).tolist(), lower.tolist()):
        count = int(np.count_nonzero(x <= vi) if lo_tail else np.count_nonzero(x >= vi))
        side = f"{'<=' if lo_tail else '>='} {_fmt(vi)}"
        r = binomial_test(count, n, pi, per_point)
        excess = r.statistic / r.threshold if r.threshold > 0 else (math.inf if r.statistic > 0 else 0.0)
        sensitivities.append((_binomial_detectable(n, pi, per_point) / pi if pi > 0 else -1.0, side, pi))
        if worst is None or (r.passed, -excess) < (worst[1].passed, -worst[0]):
            worst = (excess, r, f"mass {side}: {r.message}")

    _, r, text = worst
    words = []
    for rel, side, pi in sorted(sensitivities, key=lambda s: (s[0] >= 0, s[0])):
        if rel < 0:
            words.append(f"any value {side}")
        else:
            words.append(f"mass {side} off by >= {100 * rel:.2g}% of its expected {_fmt(pi)}")
    return StatResult(
        passed=r.passed,
        statistic=r.statistic,
        threshold=r.threshold,
        n=n,
        detectable="; ".join(words[:3]),
        message=f"worst of {points.size} tail(s), each at alpha={_alpha_txt(per_point)}: {text}",
    )


def _representable_toward(t: np.ndarray, name: str, *, down: np.ndarray) -> np.ndarray:
    """For each t, the representable value of `name` nearest to it on the side
    `down` says (t itself when representable)."""
    t = np.asarray(t, dtype=np.float64)
    wide = np.float16 if name == "float16" else np.float32
    with np.errstate(over="ignore"):
        r = t.astype(wide)
    towards = np.where(down, -np.inf, np.inf).astype(wide)
    wrong_side = np.where(down, r.astype(np.float64) > t, r.astype(np.float64) < t)
    r = np.where(wrong_side, np.nextafter(r, towards), r)
    if name != "bfloat16":
        return r.astype(np.float64)
    # bfloat16: keep the top 16 bits of the float32 (toward zero), then step one
    # bfloat16 away from zero where that landed on the wrong side
    bits = r.astype(np.float32).view(np.uint32) & np.uint32(0xFFFF0000)
    v = bits.view(np.float32).astype(np.float64)
    wrong_side = np.where(down, v > t, v < t)
    v = np.where(wrong_side, (bits + np.uint32(0x10000)).view(np.float32).astype(np.float64), v)
    return v


def chisquare_uniform_test(counts, alpha: float) -> StatResult:
    """Pearson chi-square test that `counts` come from equiprobable cells.

    The threshold is the chi-square(k-1) upper alpha quantile (asymptotic; each
    expected count should be >= 5, which is enforced).
    """
    alpha = _check_alpha(alpha)
    c = np.asarray(counts)
    if c.ndim != 1 or c.size < 2 or c.dtype.kind not in "iu":
        raise ValueError(f"counts must be a 1-D integer array of at least 2 cells, got {counts!r}")
    if np.any(c < 0):
        raise ValueError("counts must be >= 0")
    c = c.astype(np.float64)
    total = float(c.sum())
    k = c.size
    expected = total / k
    if expected < 5:
        raise ValueError(f"counts must have at least 5 expected per cell, got {expected:.3g}")
    stat = float(np.sum((c - expected) ** 2) / expected)
    threshold = float(_stats.chi2.isf(alpha, k - 1))
    # smallest noncentrality detected with probability POWER, as an RMS relative deviation
    lam = _noncentrality_for_power(threshold, k - 1)
    rms = math.sqrt(lam / total)
    passed = stat <= threshold
    return StatResult(
        passed=passed,
        statistic=stat,
        threshold=threshold,
        n=int(total),
        detectable=f"cell frequencies off by >= {100 * rms:.2g}% RMS of their expected share",
        message=(f"chi-square {_fmt(stat)} {'<=' if passed else '>'} {_fmt(threshold)} "
                 f"({k} cells, n={int(total)}, alpha={_alpha_txt(alpha)})"),
    )


@functools.lru_cache(maxsize=256)
def _noncentrality_for_power(threshold: float, df: int) -> float:
    """The noncentrality at which chi-square(df) exceeds `threshold` with probability POWER."""

    lo, hi = 0.0, 1.0
    while _stats.ncx2.sf(threshold, df, hi) < POWER:
        hi *= 2.0
    return _optimize.brentq(lambda lam: _stats.ncx2.sf(threshold, df, lam) - POWER, lo, hi, xtol=1e-6)


# ----------------------------------------------------------------------------
# dependence


def _standardised(arr: np.ndarray) -> tuple[np.ndarray | None, int]:
    x = arr.astype(np.float64)
    m = float(np.mean(x))
    if math.isnan(m):
        return None, int(np.isnan(x).sum())
    x -= m
    return x, 0


def correlation_test(x, y, alpha: float) -> StatResult:
    """Pearson correlation of two samples that should be independent.

    Under independence (finite variances) sqrt(n) r is asymptotically N(0, 1)
    whatever the laws; fails when |r| > z_{alpha/2}/sqrt(n).  Used for
    outputs of two different seeds: a reused stream gives r near 1 (or -1).
    """
    alpha = _check_alpha(alpha)
    a = _as_sample(x, "x", minimum=3)
    b = _as_sample(y, "y", minimum=3)
    if a.size != b.size:
        raise ValueError(f"x and y must have the same size, got {a.size} and {b.size}")
    n = a.size
    xa, na = _standardised(a)
    xb, nb = _standardised(b)
    if na or nb:
        return _nan_result(n, na + nb, "correlation")
    denom = math.sqrt(float(np.dot(xa, xa)) * float(np.dot(xb, xb)))
    threshold = _z(alpha / 2) / math.sqrt(n)
    detect = (_z(alpha / 2) + _z(1 - POWER)) / math.sqrt(n)
    if denom == 0.0:
        return StatResult(False, math.inf, threshold, n, f"correlation |r| >= {_fmt(detect)}",
                          "correlation undefined: a sample is constant (a random law cannot give this)")
    r = float(np.dot(xa, xb)) / denom
    passed = abs(r) <= threshold
    return StatResult(
        passed=passed,
        statistic=abs(r),
        threshold=threshold,
        n=n,
        detectable=f"correlation |r| >= {_fmt(detect)}",
        message=(f"|r| = {_fmt(abs(r))} {'<=' if passed else '>'} {_fmt(threshold)} "
                 f"(n={n}, alpha={_alpha_txt(alpha)})"),
    )


def _lag_products(x: np.ndarray, max_lag: int) -> np.ndarray:
    """sum_t x_t x_{t+k} for k = 1..max_lag."""
    n = x.size
    if max_lag <= 24:
        return np.array([np.dot(x[:-k], x[k:]) for k in range(1, max_lag + 1)])
    size = _fft.next_fast_len(n + max_lag + 1, real=True)
    spec = _fft.rfft(x, size)
    acf = _fft.irfft(spec.real ** 2 + spec.imag ** 2, size)
    return acf[1 : max_lag + 1]


def _lag_test(arr: np.ndarray, max_lag: int, alpha: float, what: str) -> StatResult:
    n = arr.size
    x, nan_count = _standardised(arr)
    if nan_count:
        return _nan_result(n, nan_count, what)
    lags = np.arange(1, max_lag + 1)
    per_lag = alpha / max_lag
    threshold = _z(per_lag / 2)
    detect = (threshold + _z(1 - POWER)) / math.sqrt(n - max_lag)
    ss = float(np.dot(x, x))
    detectable = f"lag correlation |rho| >= {_fmt(detect)} at some lag <= {max_lag}"
    if ss == 0.0:
        return StatResult(False, math.inf, threshold, n, detectable,
                          f"{what} undefined: the sample is constant (a random law cannot give this)")
    rho = _lag_products(x, max_lag) / ss
    # Under iid, sum_t x_t x_{t+k} has n-k uncorrelated terms of variance sigma^4.
    z = np.abs(rho) * n / np.sqrt(n - lags)
    k = int(np.argmax(z))
    stat = float(z[k])
    passed = stat <= threshold
    return StatResult(
        passed=passed,
        statistic=stat,
        threshold=threshold,
        n=n,
        detectable=detectable,
        message=(f"largest lag correlation rho={_fmt(float(rho[k]))} at lag {int(lags[k])}: "
                 f"z = {_fmt(stat)} {'<=' if passed else '>'} {_fmt(threshold)} "
                 f"({max_lag} lags, each at alpha={_alpha_txt(per_lag)}; n={n})"),
    )


def autocorrelation_test(sample, max_lag: int, alpha: float) -> StatResult:
    """Lag correlations rho_1..rho_max_lag of the flattened sample (C order).

    Under iid values sqrt(n-k)... precisely rho_k n / sqrt(n-k) is
    asymptotically N(0, 1) for every law with finite variance; the largest of
    them is held to z_{alpha/(2 max_lag)} (Bonferroni over lags).  A block
    repeated at period P <= max_lag gives rho_P near 1.
    """
    alpha = _check_alpha(alpha)
    arr = _as_sample(sample, minimum=4)
    max_lag = _check_count(max_lag, "max_lag")
    if max_lag > arr.size // 2:
        raise ValueError(f"max_lag must be <= n/2 = {arr.size // 2}, got {max_lag}")
    return _lag_test(arr, max_lag, alpha, "autocorrelation")


def periodicity_test(sample, alpha: float) -> StatResult:
    """A block repeated at any period up to n/2: `autocorrelation_test` over
    every lag 1..n/2 (one FFT), Bonferroni over all of them.

    A sample made of m >= 2 copies of a block of length P has rho_P ~ 1 - 1/m
    >= 1/2, far above the threshold ~ sqrt(2 ln(n/alpha)/n) (0.0074 at
    n = 1e6, alpha = 1e-6).  Cost: one real FFT of length ~1.5 n.
    """
    alpha = _check_alpha(alpha)
    arr = _as_sample(sample, minimum=4)
    return _lag_test(arr, arr.size // 2, alpha, "periodicity")


def cross_correlation_test(x, y, alpha: float, *, max_lag: int | None = None) -> StatResult:
    """Correlation between `x` and `y` shifted by every lag -max_lag..max_lag
    (default n/2), one FFT, Bonferroni over the 2 max_lag + 1 lags.

    For two fills with different seeds: a generator that turns the seed into
    an offset into one stream gives shifted copies, r near 1 at the offset,
    which `correlation_test` (lag 0 only) cannot see.  Under independence
    sum_t x_t y_{t+k} has n-|k| uncorrelated terms, so r_k n / sqrt(n-|k|) is
    asymptotically N(0, 1) for every law with finite variance.
    """
    alpha = _check_alpha(alpha)
    a = _as_sample(x, "x", minimum=4)
    b = _as_sample(y, "y", minimum=4)
    if a.size != b.size:
        raise ValueError(f"x and y must have the same size, got {a.size} and {b.size}")
    n = a.size
    if max_lag is None:
        max_lag = n // 2
    max_lag = _check_count(max_lag, "max_lag", 0)
    if max_lag > n // 2:
        raise ValueError(f"max_lag must be <= n/2 = {n // 2}, got {max_lag}")
    xa, na = _standardised(a)
    xb, nb = _standardised(b)
    if na or nb:
        return _nan_result(n, na + nb, "cross-correlation")
    lags = 2 * max_lag + 1
    per_lag = alpha / lags
    threshold = _z(per_lag / 2)
    detect = (threshold + _z(1 - POWER)) / math.sqrt(n - max_lag)
    detectable = f"correlation |r| >= {_fmt(detect)} at some shift |k| <= {max_lag}"
    denom = math.sqrt(float(np.dot(xa, xa)) * float(np.dot(xb, xb)))
    if denom == 0.0:
        return StatResult(False, math.inf, threshold, n, detectable,
                          "cross-correlation undefined: a sample is constant (a random law cannot give this)")
    size = _fft.next_fast_len(n + max_lag + 1, real=True)
    # c[k] = sum_t x_t y_{t+k}: k >= 0 at c[k], k < 0 wrapped to c[size + k]
    c = _fft.irfft(np.conj(_fft.rfft(xa, size)) * _fft.rfft(xb, size), size)
    shifts = np.concatenate([np.arange(-max_lag, 0), np.arange(0, max_lag + 1)])
    r = np.concatenate([c[size - max_lag:], c[: max_lag + 1]]) / denom
    z = np.abs(r) * n / np.sqrt(n - np.abs(shifts))
    i = int(np.argmax(z))
    stat = float(z[i])
    passed = stat <= threshold
    return StatResult(
        passed=passed,
        statistic=stat,
        threshold=threshold,
        n=n,
        detectable=detectable,
        message=(f"largest correlation r={_fmt(float(r[i]))} with y shifted by {int(shifts[i])}: "
                 f"z = {_fmt(stat)} {'<=' if passed else '>'} {_fmt(threshold)} "
                 f"({lags} shifts, each at alpha={_alpha_txt(per_lag)}; n={n})"),
    )


# ----------------------------------------------------------------------------
# sample sizes


def sample_size_for(check: str, effect: float, alpha: float, *, kurtosis: float | None = None,
                    power: float = POWER) -> int:
    """The smallest n at which `check` detects `effect` with probability >= `power`.

    * ``"ks"``: effect = CDF discrepancy (sup |G - F|).
    * ``"mean"``: effect = mean shift in units of the law's sigma.
    * ``"variance"``: effect = relative std error (0.02 for 2%); needs the
      law's `kurtosis`.

    These invert the same formulas the tests use for `detectable`, so a test
    run at the returned n states a detectable effect <= `effect`.
    """
    alpha = _check_alpha(alpha)
    power = _check_alpha(power, "power")
    effect = _check_positive(effect, "effect")
    zb = _z(1 - power)
    if check == "ks":
        if effect >= 1.0:
            raise ValueError(f"effect for ks must be < 1, got {effect!r}")
        c = math.sqrt(math.log(2.0 / alpha) / 2.0) + math.sqrt(math.log(1.0 / (1.0 - power)) / 2.0)
        return max(1, math.ceil((c / effect) ** 2))
    if check == "mean":
        return max(2, math.ceil(((_z(alpha / 2) + zb) / effect) ** 2))
    if check == "variance":
        if kurtosis is None:
            raise ValueError("sample_size_for('variance', ...) needs the law's kurtosis")
        kurtosis = float(kurtosis)
        if not kurtosis >= 1.0:
            raise ValueError(f"kurtosis must be >= 1, got {kurtosis!r}")
        za = _z(alpha / 2)
        # r - 1 = (za + zb) se / (1 - zb se), se = sqrt((kurtosis - 1)/n)/2: solve for se
        se = effect / (za + zb + zb * effect)
        n = max(3, math.ceil((kurtosis - 1.0) / (2.0 * se) ** 2))
        # the sample-mean version has a slightly larger standard error (+2/n^2)
        while _std_detectable(_std_ratio_se(n, kurtosis, False), alpha) > effect:
            n += 1
        return n
    raise ValueError(f"check must be 'ks', 'mean' or 'variance', got {check!r}")
