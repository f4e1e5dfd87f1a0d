"""One function per check kind of SPEC §6.

Each ``check_<kind>(ctx)`` looks at a `CheckContext` (the backend, the case, the
law and the fill, fetched lazily and cached by the runner) and returns a
`Verdict`. Structural checks compare exactly; statistical ones call
`initcheck.statistics` with the case's alpha and pass on its statistic,
threshold, sample size and detectable effect. A check raises `BackendRaised` when
the backend raised during a fill it needed; the runner turns that into an
``error`` or ``skipped`` outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from scipy import stats as scipy_stats

from initcheck import laws, statistics
from initcheck.laws import Law, fan_in_and_fan_out, numpy_dtype
from initcheck.spec import CATALOG

__all__ = [
    "CHECKS",
    "GAIN_CASES",
    "INVALID_GAIN_CASES",
    "TAIL_PROBABILITIES",
    "BackendRaised",
    "CheckContext",
    "Unreadable",
    "Verdict",
]

#: Tail probabilities whose mass `tails` tests, beside any truncation bound.
TAIL_PROBABILITIES = (1e-3, 0.02, 0.98, 1 - 1e-3)
#: `precision`: the largest plausible fraction of a correct float32 (float64) fill
#: that is exactly representable in float16 or bfloat16 (float32). For smooth
#: laws it is ~2^-13 (2^-29); 24-bit-uniform based generators lose low bits
#: near zero and reach ~1e-3. A fill computed at the lower precision has 100%.
PRECISION_FRACTION_BOUND = 2.0**-6
#: `seed`: the FFT cross-correlation between two seeds' fills looks at this many
#: leading values: a seed used as an offset into one stream is caught for
#: offsets up to half of it
CROSS_CORRELATION_WINDOW = 1 << 17
#: `independence`: lags tested one by one, and the FFT periodicity test over
#: the first PERIODICITY_WINDOW values (periods up to half of it; bounds its
#: memory at the thorough budget)
INDEPENDENCE_MAX_LAG = 64
PERIODICITY_WINDOW = 1 << 21
#: `orthogonal`: Gram tolerance: ORTHOGONAL_ROUNDING_EPS eps of the dtype for
#: rounding to it, plus (ORTHOGONAL_TOLERANCE_EPS + sqrt(side)) eps of the
#: working precision for the QR's own rounding.
ORTHOGONAL_TOLERANCE_EPS = 8.0
ORTHOGONAL_ROUNDING_EPS = 4.0

#: (nonlinearity, param) pairs a conforming `gain` must accept, and SPEC §2's values
GAIN_CASES = (
    *((nl, None) for nl in laws.NONLINEARITIES),
    ("leaky_relu", 0),
    ("leaky_relu", 0.2),
    ("leaky_relu", 1.0),
    ("leaky_relu", math.sqrt(5)),
    ("leaky_relu", -0.5),
    ("leaky_relu", 3),
)
#: inputs a conforming `gain` must reject
INVALID_GAIN_CASES = (("softplus", None), ("selu", None), ("leaky_relu", True), ("leaky_relu", "0.2"))


class BackendRaised(Exception):
    """The backend raised during a fill a check needed; `exc` is its exception."""

    def __init__(self, exc: BaseException, what: str):
        super().__init__(f"{what}: {type(exc).__name__}: {exc}")
        self.exc = exc
        self.what = what


@dataclass
class Verdict:
    outcome: str  # passed | failed | skipped | error
    message: str
    statistic: float | None = None
    threshold: float | None = None
    n: int | None = None
    detectable: str | None = None

    @classmethod
    def of(cls, result: "statistics.StatResult", message: str | None = None) -> "Verdict":
        return cls(
            "passed" if result.passed else "failed",
            message or result.message,
            result.statistic,
            result.threshold,
            result.n,
            result.detectable,
        )


def _passed(message: str, **kw) -> Verdict:
    return Verdict("passed", message, **kw)


def _failed(message: str, **kw) -> Verdict:
    return Verdict("failed", message, **kw)


class CheckContext:
    """What a check may look at. Fills go through `fill_cache` (a dict-like keyed
    by the case's fill key) so that every check of one fill shares it."""

    def __init__(self, backend, case, fill_cache: dict | None = None):
        self.backend = backend
        self.case = case
        self._cache = fill_cache if fill_cache is not None else {}
        self._law: Law | None = None

    # -- the law --------------------------------------------------------------
    @property
    def law(self) -> Law:
        if self._law is None:
            c = self.case
            # the law is shared by every check of a fill: keep it beside the fill
            key = ("law", c.spec, c.shape, c.dtype)
            self._law = self._cache.get(key)
            if self._law is None:
                self._law = laws.law_for(c.spec, c.shape, c.dtype)
                self._cache[key] = self._law
        return self._law

    # -- fills ------------------------------------------------------------------
    def fill(self, seed: int, *, spec=None, shape=None, dtype=None) -> Any:
        """An uncached fill (raw, as the backend returned it)."""
        c = self.case
        try:
            return self.backend.fill(
                spec if spec is not None else c.spec,
                tuple(shape if shape is not None else c.shape),
                dtype or c.dtype,
                int(seed),
            )
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # the backend's own failure, judged by the runner
            raise BackendRaised(exc, f"fill(seed={seed})") from exc

    def raw(self) -> Any:
        """The case's fill, as the backend returned it (cached)."""
        key = self.case.fill_key
        entry = self._cache.get(key)
        if entry is None:
            try:
                entry = {"raw": self.fill(self.case.seed)}
            except BackendRaised as exc:
                entry = {"raised": exc}
            self._cache[key] = entry
        if "raised" in entry:
            raise entry["raised"]
        return entry["raw"]

    def array(self) -> np.ndarray:
        raw = self.raw()
        return raw if isinstance(raw, np.ndarray) else np.asarray(raw)

    def values(self) -> np.ndarray:
        """The fill as float64 with the case's shape; a `Verdict` is raised (as
        `Unreadable`) when that is impossible."""
        entry = self._cache.get(self.case.fill_key)
        if entry is not None and "values" in entry:
            return entry["values"]
        array = self.array()
        if tuple(array.shape) != tuple(self.case.shape):
            raise Unreadable(
                f"cannot check: the fill has shape {tuple(array.shape)}, "
                f"but should be {tuple(self.case.shape)}"
            )
        try:
            values = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise Unreadable(f"cannot read the fill as numbers ({array.dtype}): {exc}") from None
        entry = self._cache.get(self.case.fill_key)
        if entry is not None:
            entry["values"] = values
        return values

    def derived_seed(self, salt: str) -> int:
        from initcheck.battery import derive_seed

        return derive_seed(self.case.seed, salt)


class Unreadable(Exception):
    """The fill cannot be checked at all (wrong shape, not numbers): a failure."""


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _index(shape, flat_index: int) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(int(flat_index), shape))


# ---------------------------------------------------------------------------
# structural checks


def check_shape(ctx: CheckContext) -> Verdict:
    shape = tuple(int(s) for s in np.shape(ctx.raw()))
    expected = tuple(ctx.case.shape)
    if shape == expected:
        return _passed(f"shape {shape}")
    return _failed(f"shape {shape}, but should be {expected}")


def check_dtype(ctx: CheckContext) -> Verdict:
    raw = ctx.raw()
    expected = numpy_dtype(ctx.case.dtype)
    if not isinstance(raw, np.ndarray):
        return _failed(f"returned a {type(raw).__module__}.{type(raw).__name__}, "
                       f"but should return a numpy.ndarray of dtype {ctx.case.dtype}")
    if raw.dtype == expected:
        return _passed(f"dtype {raw.dtype}")
    return _failed(f"dtype {raw.dtype}, but should be {ctx.case.dtype}")


def check_finite(ctx: CheckContext) -> Verdict:
    values = ctx.values()
    bad = ~np.isfinite(values)
    count = int(bad.sum())
    if not count:
        return _passed(f"all {values.size} values finite", statistic=0, threshold=0, n=values.size)
    nans = int(np.isnan(values).sum())
    first = _index(values.shape, np.flatnonzero(bad)[0])
    return _failed(
        f"{nans} NaN and {count - nans} infinite values out of {values.size}, "
        f"but should be none; first at {first}: {values[first]!r}",
        statistic=count, threshold=0, n=values.size,
    )


def check_support(ctx: CheckContext) -> Verdict:
    law, values = ctx.law, ctx.values()
    lo, hi = law.support_in_dtype()
    if law.kind == "orthogonal":
        # entries of an orthonormal row/column times gain are at most |gain|,
        # plus rounding to the dtype and the QR's own rounding
        slack = abs(law.gain) * _orthogonal_tolerance(law)
        lo, hi = lo - slack, hi + slack
    finite = values[np.isfinite(values)]
    outside = (finite < lo) | (finite > hi)
    count = int(outside.sum())
    vmin = float(finite.min()) if finite.size else math.nan
    vmax = float(finite.max()) if finite.size else math.nan
    text = f"values in [{_fmt(vmin)}, {_fmt(vmax)}]"
    if not count:
        return _passed(f"{text}, inside the support [{_fmt(lo)}, {_fmt(hi)}]",
                       statistic=0, threshold=0, n=values.size)
    return _failed(
        f"{count} of {values.size} values outside the support: {text}, "
        f"but should be inside [{_fmt(lo)}, {_fmt(hi)}] ({law.description})",
        statistic=count, threshold=0, n=values.size,
    )


def check_exact(ctx: CheckContext) -> Verdict:
    law, values = ctx.law, ctx.values()
    expected = law.exact.astype(np.float64)
    differ = ~((values == expected) | (np.isnan(values) & np.isnan(expected)))
    count = int(differ.sum())
    if not count:
        return _passed(f"all {values.size} values equal {law.description}",
                       statistic=0, threshold=0, n=values.size)
    first = _index(values.shape, np.flatnonzero(differ)[0])
    return _failed(
        f"{count} of {values.size} values differ from {law.description}; "
        f"first at {first}: {values[first]!r}, but should be {expected[first]!r}",
        statistic=count, threshold=0, n=values.size,
    )


def _eps(dtype: str) -> float:
    import ml_dtypes  # its finfo knows bfloat16; numpy's does not

    return float(ml_dtypes.finfo(numpy_dtype(dtype)).eps)


def _orthogonal_tolerance(law: Law) -> float:
    # Rounding each entry to the dtype moves a Gram entry by at most ~eps (each
    # |w_i w_j| sums to <= 1); the QR itself, done in float32 or float64, adds an
    # error growing like sqrt(side) eps of that working precision.
    working = "float64" if law.dtype == "float64" else "float32"
    side = min(law.rows, law.cols)
    return (ORTHOGONAL_ROUNDING_EPS * _eps(law.dtype)
            + (ORTHOGONAL_TOLERANCE_EPS + math.sqrt(side)) * _eps(working))


def check_orthogonal(ctx: CheckContext) -> Verdict:
    law, values = ctx.law, ctx.values()
    if law.gain == 0:
        return _failed("Orthogonal with gain 0 has no orthonormal structure to check")
    w = values.reshape(law.rows, law.cols) / law.gain
    gram = w @ w.T if law.rows <= law.cols else w.T @ w
    deviation = np.abs(gram - np.eye(gram.shape[0]))
    worst = float(deviation.max()) if np.isfinite(deviation).all() else math.inf
    tol = _orthogonal_tolerance(law)
    which = "rows" if law.rows <= law.cols else "columns"
    text = (f"Gram matrix of the {which} of the {law.rows}x{law.cols} flattening / gain "
            f"deviates from I by {_fmt(worst)}")
    if worst <= tol:
        return _passed(f"{text} <= {_fmt(tol)}", statistic=worst, threshold=tol, n=values.size)
    i, j = np.unravel_index(int(np.nanargmax(np.where(np.isfinite(deviation), deviation, np.inf))),
                            deviation.shape)
    return _failed(
        f"{text}, but should be <= {_fmt(tol)} (entry ({i}, {j}) is {_fmt(gram[i, j])}, "
        f"should be {1.0 if i == j else 0.0}; gain {law.gain!r})",
        statistic=worst, threshold=tol, n=values.size,
    )


# ---------------------------------------------------------------------------
# statistical checks on one fill


def _sample(ctx: CheckContext) -> np.ndarray:
    """The values the law's `dist` describes: all of them, or the non-zeros of
    a sparse fill. Kept in the fill's dtype so KS can see the rounding."""
    values = ctx.values()
    if ctx.law.kind == "sparse":
        array = ctx.array()
        return array[values != 0]
    return ctx.array().reshape(-1)


def _sample64(ctx: CheckContext) -> np.ndarray:
    """`_sample` as float64, taken from the fill's cached float64 copy (the moment
    tests need float64, and a fresh copy per check costs 80 MB at 1e7 values)."""
    values = ctx.values()
    if ctx.law.kind == "sparse":
        return values[values != 0]
    return values.reshape(-1)


def _law_text(law: Law) -> str:
    return law.description + (" (non-zeros)" if law.kind == "sparse" else "")


def check_ks(ctx: CheckContext) -> Verdict:
    law = ctx.law
    sample = _sample(ctx)
    if sample.size == 0:
        return _failed(f"no values to compare with {_law_text(law)}")
    result = statistics.ks_test(sample, law.cdf, ctx.case.alpha, dtype=ctx.case.dtype)
    verdict = Verdict.of(result, f"{result.message}; law {_law_text(law)}")
    if not result.passed:
        verdict.message = (f"KS distance {_fmt(result.statistic)} to {_law_text(law)}, "
                           f"but should be <= {_fmt(result.threshold)} ({result.message})")
    return verdict


def check_mean(ctx: CheckContext) -> Verdict:
    law = ctx.law
    x = _sample64(ctx)
    if x.size < 2:
        return _failed(f"only {x.size} values to estimate the mean of {_law_text(law)}")
    result = statistics.mean_test(x, law.mean, law.var, ctx.case.alpha)
    verdict = Verdict.of(result)
    if not result.passed:
        m = float(np.mean(x))
        verdict.message = (f"mean={_fmt(m)}, but should be {_fmt(law.mean)} ± "
                           f"{_fmt(result.threshold)} ({_law_text(law)}; {result.message})")
    return verdict


def check_variance(ctx: CheckContext) -> Verdict:
    law = ctx.law
    x = _sample64(ctx)
    if x.size < 3:
        return _failed(f"only {x.size} values to estimate the std of {_law_text(law)}")
    result = statistics.variance_test(x, law.var, law.kurtosis, ctx.case.alpha, mean=law.mean)
    verdict = Verdict.of(result)
    if not result.passed:
        std = float(np.sqrt(np.mean((x - law.mean) ** 2)))
        verdict.message = (f"std={_fmt(std)}, but should be {_fmt(law.std)} ± "
                           f"{_fmt(law.std * result.threshold)} ({_law_text(law)}; {result.message})")
    return verdict


def check_tails(ctx: CheckContext) -> Verdict:
    law = ctx.law
    points = [float(p) for p in law.dist.ppf(TAIL_PROBABILITIES)]
    # a truncation bound itself: any value beyond it fails
    points += [b for b in law.support if math.isfinite(b)]
    sample = _sample(ctx)
    result = statistics.tail_test(sample, law.cdf, points, ctx.case.alpha, dtype=ctx.case.dtype)
    verdict = Verdict.of(result, f"{result.message}; law {_law_text(law)}")
    if not result.passed:
        verdict.message = f"tail mass wrong for {_law_text(law)}: {result.message}"
    return verdict


def check_sparsity(ctx: CheckContext) -> Verdict:
    law, values = ctx.law, ctx.values()
    rows, cols, zeros = law.rows, law.cols, law.zeros_per_column
    is_zero = values == 0
    per_column = is_zero.sum(axis=0)
    # A non-zero N(0, sigma^2) value can round to 0 in a low-precision dtype
    # (|x| <= half the smallest subnormal: about 2.4e-6 of them in float16 at
    # sigma=0.01), and a generator built on 24-bit (53-bit) uniforms hits 0
    # exactly with probability ~2^-24 (2^-53); so a column may hold a few zeros
    # more than ceil(sparsity*rows), binomially bounded in total.
    working = "float64" if law.dtype == "float64" else "float32"
    underflow = _underflow_probability(law) + _eps(working)
    extra_allowed = int(scipy_stats.binom.isf(ctx.case.alpha, cols * (rows - zeros), underflow)) \
        if underflow > 0 else 0
    extra = int(np.sum(per_column - zeros)) if np.all(per_column >= zeros) else 0
    wrong = np.flatnonzero(per_column < zeros) if extra <= extra_allowed else \
        np.flatnonzero(per_column != zeros)
    if wrong.size:
        j = int(wrong[0])
        slack = f" (plus at most {extra_allowed} underflows in all)" if extra_allowed else ""
        return _failed(
            f"{wrong.size} of {cols} columns have the wrong number of zeros; column {j} has "
            f"{int(per_column[j])}, but should have ceil(sparsity*rows) = {zeros}{slack}",
            statistic=int(wrong.size), threshold=0, n=cols,
        )
    if extra:  # rows of those underflowed zeros are not structural: ignore them
        is_zero = is_zero & (np.cumsum(is_zero, axis=0) <= zeros)
    if zeros == 0 or zeros == rows:
        return _passed(f"every column has exactly {zeros} zeros (all {'non-' if not zeros else ''}zero"
                       " rows: nothing random to test)", statistic=0, threshold=0, n=cols)
    if cols > 1 and np.all(is_zero == is_zero[:, :1]):
        return _failed(f"every one of the {cols} columns has its zeros in the same rows "
                       f"{np.flatnonzero(is_zero[:, 0])[:8].tolist()}..., but the zero rows "
                       "should be drawn independently for each column", n=cols)
    # Zero counts per row: each column draws a uniform `zeros`-subset, so the
    # counts have covariance cols*p(1-p)*rows/(rows-1)*(I - J/rows); Pearson's X^2
    # scaled by (rows-1)/(rows(1-p)) is then chi-square(rows-1).
    p = zeros / rows
    expected = cols * p
    per_row = is_zero.sum(axis=1)
    x2 = float(np.sum((per_row - expected) ** 2) / expected) * (rows - 1) / (rows * (1 - p))
    alpha = ctx.case.alpha
    threshold = float(scipy_stats.chi2.isf(alpha, rows - 1))
    noncentral = statistics._noncentrality_for_power(threshold, rows - 1)
    detectable = (f"row zero-rates off by >= {_fmt(math.sqrt(noncentral / (rows * expected)) * 100)}% "
                  "rms (relative)")
    text = (f"zero rows: scaled chi-square {_fmt(x2)} over {rows} rows "
            f"(threshold {_fmt(threshold)}, alpha={alpha:g})")
    if x2 > threshold:
        worst = int(np.argmax(np.abs(per_row - expected)))
        return _failed(
            f"{text}: zeros are not uniform across rows; row {worst} is zero in "
            f"{int(per_row[worst])} columns, but should be in about {_fmt(expected)}",
            statistic=x2, threshold=threshold, n=int(is_zero.sum()), detectable=detectable,
        )
    return _passed(f"every column has exactly {zeros} zeros; {text}",
                   statistic=x2, threshold=threshold, n=int(is_zero.sum()), detectable=detectable)


def _underflow_probability(law: Law) -> float:
    if law.dist is None:
        return 0.0
    import ml_dtypes

    tiny = float(ml_dtypes.finfo(numpy_dtype(law.dtype)).smallest_subnormal)
    return float(law.dist.cdf(tiny / 2) - law.dist.cdf(-tiny / 2))


# ---------------------------------------------------------------------------
# checks that need more fills


def _differing(a: np.ndarray, b: np.ndarray) -> int:
    if a.shape != b.shape or a.dtype != b.dtype:
        return -1
    if a.dtype.hasobject:  # not numbers (the dtype check fails it); compare by value
        return int(np.sum(np.asarray(a != b, dtype=bool)))
    av = a.reshape(-1).view(np.uint8).reshape(a.size, -1) if a.size else a
    bv = b.reshape(-1).view(np.uint8).reshape(b.size, -1) if b.size else b
    return int(np.any(av != bv, axis=1).sum()) if a.size else 0


def check_determinism(ctx: CheckContext) -> Verdict:
    first = ctx.array()
    raw = ctx.fill(ctx.case.seed)
    second = raw if isinstance(raw, np.ndarray) else np.asarray(raw)
    if second.shape != first.shape or second.dtype != first.dtype:
        return _failed(f"a second fill with seed {ctx.case.seed} has shape {second.shape} "
                       f"{second.dtype}, but the first had {first.shape} {first.dtype}")
    count = _differing(first, second)
    if count == 0:
        return _passed(f"two fills with seed {ctx.case.seed} are bitwise identical",
                       statistic=0, threshold=0, n=first.size)
    return _failed(
        f"two fills with the same seed {ctx.case.seed} differ in {count} of {first.size} values, "
        "but should be bitwise identical (fill must be a pure function of its arguments)",
        statistic=count, threshold=0, n=first.size,
    )


def check_seed(ctx: CheckContext) -> Verdict:
    values = ctx.values()
    other_seed = ctx.derived_seed("another seed")
    raw = ctx.fill(other_seed)
    other = np.asarray(raw)
    if other.shape != values.shape:
        return _failed(f"fill with seed {other_seed} has shape {other.shape}, "
                       f"but should be {values.shape}")
    other = other.astype(np.float64)
    if np.array_equal(values, other, equal_nan=True):
        return _failed(
            f"fills with seeds {ctx.case.seed} and {other_seed} are identical, "
            "but different seeds should give independent values (seed ignored?)",
            statistic=1.0, n=values.size,
        )
    x, y = values.reshape(-1), other.reshape(-1)
    alpha = ctx.case.alpha / 2  # lag 0, and all lags: Bonferroni
    result = statistics.correlation_test(x, y, alpha)
    if not result.passed:
        return Verdict.of(result, f"fills with seeds {ctx.case.seed} and {other_seed} are "
                                  f"correlated: {result.message}, but should be independent")
    window = min(x.size, CROSS_CORRELATION_WINDOW)
    shifted = statistics.cross_correlation_test(x[:window], y[:window], alpha)
    if not shifted.passed:
        return Verdict.of(shifted, f"fills with seeds {ctx.case.seed} and {other_seed} are "
                                   f"shifted copies: {shifted.message}, but should be independent "
                                   "(seed used as an offset into one stream?)")
    return Verdict.of(result, f"seeds {ctx.case.seed} and {other_seed}: lag 0 {result.message}; "
                              f"all lags: {shifted.message}")


def check_independence(ctx: CheckContext) -> Verdict:
    sample = ctx.values().reshape(-1)
    alpha = ctx.case.alpha / 2  # two tests, Bonferroni
    lags = min(INDEPENDENCE_MAX_LAG, sample.size // 2)
    short = statistics.autocorrelation_test(sample, lags, alpha)
    if not short.passed:
        return Verdict.of(short, f"values inside one fill are correlated: {short.message}, "
                                 "but should be independent")
    full = statistics.periodicity_test(sample[:PERIODICITY_WINDOW], alpha)
    if not full.passed:
        return Verdict.of(full, f"values inside one fill repeat: {full.message}, "
                                "but should be independent (a repeated block or a reused stream?)")
    return Verdict.of(full, f"lags 1..{lags}: {short.message}; periods up to "
                            f"{min(sample.size, PERIODICITY_WINDOW) // 2}: {full.message}")


def check_precision(ctx: CheckContext) -> Verdict:
    values = ctx.values()
    dtype = ctx.case.dtype
    if dtype == "float32":
        lower = ("float16", "bfloat16")
    elif dtype == "float64":
        lower = ("float32",)
    else:
        return _passed(f"{dtype} has no lower precision to leak through", n=0)
    x = values[np.isfinite(values) & (values != 0)]
    if x.size == 0:
        return _failed("no non-zero finite values to judge the precision by")
    representable = np.zeros(x.shape, dtype=bool)
    with np.errstate(over="ignore"):
        for name in lower:
            representable |= laws.round_to_dtype(x, name) == x
    count = int(representable.sum())
    n = x.size
    p0 = PRECISION_FRACTION_BOUND
    threshold = int(scipy_stats.binom.isf(ctx.case.alpha, n, p0))
    detectable = (f"a fraction >= {_fmt((threshold + 1) / n)} of values computed in "
                  f"{' or '.join(lower)}")
    text = (f"{count} of {n} values exactly representable in {' or '.join(lower)} "
            f"(threshold {threshold}: at most {_fmt(p0)} expected, alpha={ctx.case.alpha:g})")
    if count > threshold:
        return _failed(f"{text}, so the {dtype} fill looks computed at lower precision and upcast",
                       statistic=count, threshold=threshold, n=n, detectable=detectable)
    return _passed(text, statistic=count, threshold=threshold, n=n, detectable=detectable)


def check_haar(ctx: CheckContext) -> Verdict:
    # The trace of a Haar-distributed orthogonal k x k matrix (k >= 4) has the
    # moments of N(0, 1) up to order k (Diaconis-Shahshahani), so over m draws
    # sum(t) ~ N(0, m) and sum(t^2) ~ chi-square(m). QR without the sign
    # correction gives a mean trace near -2.4 (k=16) and a variance near 0.6.
    from initcheck.battery import BUDGETS

    law = ctx.law
    m = BUDGETS[ctx.case.budget].haar_draws
    traces = np.empty(m)
    for i in range(m):
        raw = ctx.fill(ctx.derived_seed(f"haar draw {i}"))
        w = np.asarray(raw).astype(np.float64)
        if w.shape != tuple(ctx.case.shape):
            return _failed(f"draw {i} has shape {w.shape}, but should be {ctx.case.shape}")
        traces[i] = np.trace(w) / law.gain
    alpha = ctx.case.alpha / 2
    z_crit = float(scipy_stats.norm.isf(alpha / 2))
    z = float(traces.sum() / math.sqrt(m))
    q = float(np.sum(traces**2))
    q_lo, q_hi = (float(v) for v in scipy_stats.chi2.ppf([alpha / 2, 1 - alpha / 2], m))
    mean_threshold = z_crit / math.sqrt(m)
    shift = (z_crit + float(scipy_stats.norm.isf(1 - statistics.POWER))) / math.sqrt(m)
    detectable = f"mean trace/gain off by >= {_fmt(shift)}"
    mean_tr, var_tr = float(traces.mean()), q / m
    text = (f"{m} draws {ctx.case.shape}: trace/gain mean {_fmt(mean_tr)} (should be 0 ± "
            f"{_fmt(mean_threshold)}), mean square {_fmt(var_tr)} (should be in "
            f"[{_fmt(q_lo / m)}, {_fmt(q_hi / m)}])")
    kw = dict(statistic=abs(mean_tr), threshold=mean_threshold, n=m, detectable=detectable)
    if abs(z) > z_crit or not (q_lo <= q <= q_hi) or not np.isfinite(q):
        return _failed(f"{text}: not Haar-distributed (missing QR sign correction?)", **kw)
    return _passed(text, **kw)


def _layer_config(kind: str, shape: tuple[int, ...]) -> dict:
    if kind == "Dense":
        return {"in_channels": shape[1], "out_channels": shape[0], "has_bias": True}
    return {"in_channels": shape[1], "out_channels": shape[0], "kernel_size": shape[2],
            "has_bias": True}


def check_layer_default(ctx: CheckContext) -> Verdict:
    kind, part = ctx.case.detail.split(".")
    weight_shape = tuple(ctx.case.shape)
    config = _layer_config(kind, weight_shape)
    try:
        params = ctx.backend.layer(kind, dict(config), int(ctx.case.seed))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        raise BackendRaised(exc, f"layer({kind!r}, {config})") from exc
    if part not in params:
        return _failed(f"layer({kind!r}, {config}) has parameters {sorted(params)}, "
                       f"but should have {part!r}")
    array = np.asarray(params[part])
    expected_shape = weight_shape if part == "weight" else (weight_shape[0],)
    if array.shape != expected_shape:
        return _failed(f"{kind}.{part} has shape {array.shape}, but should be {expected_shape}")
    fan_in, _ = fan_in_and_fan_out(weight_shape)
    bound = 1.0 / math.sqrt(fan_in)
    # weight HeUniform(sqrt(5)) and bias Uniform(1/sqrt(fan_in)) are both U(-b, b)
    cdf = laws._uniform_cdf(-bound, bound)
    result = statistics.ks_test(array.reshape(-1), cdf, ctx.case.alpha, dtype=array.dtype.name
                                if array.dtype.name in ("float16", "bfloat16") else None)
    law = f"U(-{_fmt(bound)}, {_fmt(bound)}) with fan_in={fan_in}"
    verdict = Verdict.of(result, f"{kind}{config} {part}: {result.message}; law {law}")
    outside = int(np.sum(np.abs(array.astype(np.float64)) > bound * (1 + 1e-6)))
    if outside:
        return _failed(f"{kind}.{part}: {outside} values outside [-{_fmt(bound)}, {_fmt(bound)}] "
                       f"(default init should be {law})", statistic=result.statistic,
                       threshold=result.threshold, n=result.n, detectable=result.detectable)
    if not result.passed:
        verdict.message = (f"{kind}.{part} default init: KS distance {_fmt(result.statistic)} to "
                           f"{law}, but should be <= {_fmt(result.threshold)}")
    return verdict


# ---------------------------------------------------------------------------
# capability checks


def check_fans(ctx: CheckContext) -> Verdict:
    from initcheck.battery import BUDGETS

    rng = np.random.default_rng(ctx.case.seed)
    count = BUDGETS[ctx.case.budget].generated_shapes
    shapes = []
    for _ in range(count):
        rank = int(rng.integers(2, 6))
        shapes.append(tuple(int(d) for d in rng.integers(1, 65, size=rank)))
    mismatches = []
    for shape in shapes:
        try:
            got = ctx.backend.fans(shape)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            raise BackendRaised(exc, f"fans({shape})") from exc
        want = fan_in_and_fan_out(shape)
        try:
            ok = tuple(got) == want
        except TypeError:
            ok = False
        if not ok:
            mismatches.append((shape, got, want))
    accepted = []
    for shape in ((), (7,)):
        try:
            got = ctx.backend.fans(shape)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:
            continue
        accepted.append((shape, got))
    n = count + 2
    if mismatches:
        shape, got, want = mismatches[0]
        return _failed(f"{len(mismatches)} of {count} generated shapes disagree; fans({shape}) = "
                       f"{got!r}, but should be {want}", statistic=len(mismatches), threshold=0, n=n)
    if accepted:
        shape, got = accepted[0]
        return _failed(f"fans({shape}) returned {got!r}, but should raise (rank < 2)",
                       statistic=len(accepted), threshold=0, n=n)
    return _passed(f"fans agree with SPEC §2 on {count} generated shapes of rank 2-5 "
                   "and reject rank 0 and 1", statistic=0, threshold=0, n=n)


def check_gain(ctx: CheckContext) -> Verdict:
    bad = []
    for nonlinearity, param in GAIN_CASES:
        want = laws.gain(nonlinearity, param)
        try:
            got = ctx.backend.gain(nonlinearity, param)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            raise BackendRaised(exc, f"gain({nonlinearity!r}, {param!r})") from exc
        try:
            ok = abs(float(got) - want) <= 1e-12 * abs(want)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            bad.append(f"gain({nonlinearity!r}, {param!r}) = {got!r}, but should be {want!r}")
    for nonlinearity, param in INVALID_GAIN_CASES:
        try:
            got = ctx.backend.gain(nonlinearity, param)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:
            continue
        bad.append(f"gain({nonlinearity!r}, {param!r}) returned {got!r}, but should raise")
    n = len(GAIN_CASES) + len(INVALID_GAIN_CASES)
    if bad:
        return _failed(f"{len(bad)} of {n} gain cases wrong: " + "; ".join(bad[:3]),
                       statistic=len(bad), threshold=0, n=n)
    return _passed(f"gain agrees with SPEC §2 on {len(GAIN_CASES)} inputs (relative 1e-12) "
                   f"and rejects {len(INVALID_GAIN_CASES)} invalid ones", statistic=0, threshold=0, n=n)


def check_rejects(ctx: CheckContext) -> Verdict:
    case = ctx.case
    unknown_name = case.spec.name not in CATALOG
    try:
        raw = ctx.backend.fill(case.spec, tuple(case.shape), case.dtype, int(case.seed))
    except (KeyboardInterrupt, SystemExit):
        raise
    except NotImplementedError as exc:
        if unknown_name:  # "no equivalent of this name" is the rejection asked for
            return _passed(f"rejected {case.detail}: NotImplementedError: {exc}")
        return Verdict("skipped", f"cannot judge ({case.detail}): the backend has no "
                                  f"{case.spec.name}: {exc}")
    except BaseException as exc:
        return _passed(f"rejected {case.detail}: {type(exc).__name__}: {exc}")
    shape = np.shape(raw)
    return _failed(f"{case.detail}: filled silently (returned shape {shape}), "
                   "but should raise an exception (SPEC §2 error list)")


#: check kind -> function
CHECKS: dict[str, Callable[[CheckContext], Verdict]] = {
    "shape": check_shape,
    "dtype": check_dtype,
    "finite": check_finite,
    "support": check_support,
    "exact": check_exact,
    "ks": check_ks,
    "mean": check_mean,
    "variance": check_variance,
    "tails": check_tails,
    "orthogonal": check_orthogonal,
    "haar": check_haar,
    "sparsity": check_sparsity,
    "determinism": check_determinism,
    "seed": check_seed,
    "independence": check_independence,
    "precision": check_precision,
    "fans": check_fans,
    "gain": check_gain,
    "rejects": check_rejects,
    "layer-default": check_layer_default,
}
