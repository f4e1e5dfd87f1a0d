"""Failure explanations in words, derived from the numbers.

A failed check says *that* a fill is wrong; this module says *how*: it re-draws the
fill (fills are pure functions of their seed, SPEC §5), measures it against the law,
and tests it against a short list of plausible wrong laws — fans swapped, the
receptive field left out, a gain dropped or applied twice, a uniform's bound used as
a standard deviation, a missing truncation correction, truncation bounds read as
multiples of sigma, ... A guess is offered ("looks like ...") only when the sample
actually fits the wrong law: its std within a few standard errors *and* its KS
distance below the α = 1e-3 threshold. Otherwise the numbers are given without one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from initcheck import laws
from initcheck.laws import Law, law_for
from initcheck.spec import Spec

__all__ = [
    "DIAGNOSED_CHECKS", "Alternative", "alternatives", "diagnose", "diagnose_result", "sample_for",
]

#: Check kinds whose failure can be explained from a fresh sample of the fill.
DIAGNOSED_CHECKS = frozenset(
    {"support", "ks", "mean", "variance", "tails", "exact", "orthogonal", "sparsity"}
)

#: Most elements a diagnosis looks at: 1e6 gives std errors of ~0.1%, plenty to tell
#: plausible bugs apart (the closest ones differ by 12%).
MAX_ELEMENTS = 1_000_000

#: False-match rate for "the sample fits this wrong law" (KS test at this alpha).
GUESS_ALPHA = 1e-3


@dataclass(frozen=True)
class Alternative:
    """A plausible wrong law: what the bug would be, and the law it would produce."""

    bug: str
    mean: float
    std: float
    cdf: Callable[[np.ndarray], np.ndarray]
    kurtosis: float


def sample_for(backend: Any, spec: Spec, shape, dtype: str, seed: int) -> np.ndarray:
    """The backend's fill for exactly this spec, shape, dtype and seed (as filled)."""
    return np.asarray(backend.fill(spec, tuple(shape), dtype, int(seed)))


def _from_law(bug: str, law: Law) -> Alternative | None:
    if law.kind != "continuous":
        return None
    return Alternative(bug, law.mean, law.std, law.cdf, law.kurtosis)


def _scaled(bug: str, law: Law, factor: float) -> Alternative:
    # the same law stretched about its mean by `factor`
    mean, cdf = law.mean, law.cdf
    return Alternative(
        bug, mean, law.std * factor,
        lambda x: cdf(mean + (np.asarray(x, dtype=np.float64) - mean) / factor),
        law.kurtosis,
    )


def _try_law(spec: Spec, shape, dtype: str) -> Law | None:
    try:
        return law_for(spec, shape, dtype)
    except (ValueError, TypeError):
        return None


def alternatives(spec: Spec, shape, dtype: str) -> list[Alternative]:
    """Plausible wrong laws for `spec` on `shape`, each named by the bug that gives it.

    >>> alts = alternatives(Spec.make("HeNormal"), (128, 32), "float32")
    >>> alts[0].bug
    "fan_in and fan_out swapped, or mode='fan_out' used instead of 'fan_in'"
    >>> alts[1].bug
    'the gain 1.414 of leaky_relu left out'

    With fan ratio 2 those two are the same law (fan ratio √2² = gain²) and are named
    together: ratio-2 shapes cannot tell them apart.
    """
    law = law_for(spec, shape, dtype)
    if law.kind != "continuous":
        return []
    shape = tuple(shape)
    name, p = spec.name, spec.params
    found: list[Alternative | None] = []

    def add_spec(bug: str, alt_spec: Spec, alt_shape=shape) -> None:
        alt = _try_law(alt_spec, alt_shape, dtype)
        if alt is not None:
            found.append(_from_law(bug, alt))

    fan_based = name in ("XavierUniform", "XavierNormal", "HeUniform", "HeNormal",
                         "VarianceScaling")
    if fan_based:
        fan_in, fan_out = laws.fan_in_and_fan_out(shape)
        if fan_in != fan_out:
            add_spec("fan_in and fan_out swapped", spec, (shape[1], shape[0], *shape[2:]))
        if "mode" in p:
            modes = ("fan_in", "fan_out", "fan_avg") if name == "VarianceScaling" else (
                "fan_in", "fan_out")
            for mode in modes:
                if mode != p["mode"]:
                    add_spec(f"mode={mode!r} used instead of {p['mode']!r}",
                             spec.replace(mode=mode))
        rf = math.prod(shape[2:])
        if rf > 1:
            add_spec(f"the receptive field ({rf} = prod(shape[2:])) left out of the fans",
                     spec, shape[:2])
    if name in ("XavierUniform", "XavierNormal"):
        fan_in, fan_out = laws.fan_in_and_fan_out(shape)
        for which, fan in (("fan_in", fan_in), ("fan_out", fan_out)):
            if fan_in != fan_out:
                found.append(_scaled(f"{which} alone used instead of (fan_in+fan_out)/2",
                                     law, math.sqrt((fan_in + fan_out) / (2 * fan))))
    if "gain" in p and p["gain"] not in (1, -1):
        add_spec("the gain parameter ignored", spec.replace(gain=1))
        found.append(_scaled("the gain applied twice", law, abs(p["gain"])))
    if name in ("HeUniform", "HeNormal"):
        try:
            g = laws.gain(p["nonlinearity"], p["negative_slope"])
        except (ValueError, TypeError):
            g = 1.0
        if g != 1.0:
            add_spec(f"the gain {g:.4g} of {p['nonlinearity']} left out",
                     spec.replace(nonlinearity="linear"))
            found.append(_scaled(f"the gain {g:.4g} applied twice", law, g))
        if p["nonlinearity"] == "leaky_relu" and p["negative_slope"] not in (0, None):
            add_spec("negative_slope ignored (relu's gain √2 used)",
                     spec.replace(negative_slope=0))
        other = "HeNormal" if name == "HeUniform" else "HeUniform"
        add_spec(f"{other}'s law drawn instead", Spec.make(other, **p))
    if name in ("XavierUniform", "XavierNormal"):
        other = "XavierNormal" if name == "XavierUniform" else "XavierUniform"
        add_spec(f"{other}'s law drawn instead", Spec.make(other, **p))
    if name == "VarianceScaling":
        for dist in ("truncated_normal", "untruncated_normal", "uniform"):
            if dist != p["distribution"]:
                add_spec(f"distribution={dist!r} drawn instead of {p['distribution']!r}",
                         spec.replace(distribution=dist))
        if p["mode"] == "fan_avg":
            fan_in, fan_out = laws.fan_in_and_fan_out(shape)
            found.append(_scaled("fan_avg computed as fan_in + fan_out (not halved)", law,
                                 math.sqrt(max(1.0, (fan_in + fan_out) / 2)
                                           / max(1.0, fan_in + fan_out))))
        if p["distribution"] == "truncated_normal":
            found.append(_scaled(
                "sigma not divided by 0.8796 (the truncation correction left out)",
                law, laws.TRUNCATED_NORMAL_STD_FACTOR))
            untruncated = _try_law(spec.replace(distribution="untruncated_normal"), shape, dtype)
            if untruncated is not None and untruncated.kind == "continuous":
                found.append(_scaled("no truncation at ±2σ (σ = √s/0.8796 untruncated)",
                                     untruncated, 1 / laws.TRUNCATED_NORMAL_STD_FACTOR))
    if name in ("Normal", "TruncatedNormal"):
        sigma, mean = p["sigma"], p["mean"]
        if mean != 0:
            add_spec("the mean ignored", spec.replace(mean=0.0))
    if name == "TruncatedNormal":
        sigma, mean, a, b = p["sigma"], p["mean"], p["a"], p["b"]
        add_spec("a and b read as multiples of sigma (SPEC: absolute values)",
                 spec.replace(a=mean + a * sigma, b=mean + b * sigma))
        if mean != 0:
            add_spec("a and b read relative to the mean (SPEC: absolute values)",
                     spec.replace(a=mean + a, b=mean + b))
        add_spec("the truncation left out", Spec.make("Normal", sigma=sigma, mean=mean))
    if law.std not in (0.0, 1.0):
        # std and variance confused, in either direction
        found.append(_scaled("the variance used as the std", law, law.std))
        found.append(_scaled("the std used as the variance", law, 1 / math.sqrt(law.std)))
    if law.kurtosis < 2.5:  # a uniform law
        found.append(_scaled("the bound set to the std (the √3 factor left out)",
                             law, 1 / math.sqrt(3)))
        found.append(_scaled("the √3 factor between bound and std applied twice",
                             law, math.sqrt(3)))
    elif law.kurtosis == 3.0 and name != "Normal":
        found.append(_scaled("a uniform law's bound used as the std", law, math.sqrt(3)))
    if name == "Uniform":
        scale = float(p["scale"])
        from scipy import stats

        found.append(Alternative("U(0, scale) drawn instead of U(-scale, scale)",
                                 scale / 2, scale / math.sqrt(12),
                                 stats.uniform(0.0, scale).cdf, 1.8))
        found.append(_scaled("scale used as the width, U(-scale/2, scale/2)", law, 0.5))
    return _merge_same_law([a for a in found if a is not None], law)


def _merge_same_law(alts: list[Alternative], law: Law) -> list[Alternative]:
    """Join alternatives with identical laws ("A, or B"); drop those equal to the law."""
    probe = law.mean + law.std * np.linspace(-3, 3, 13)
    def key(cdf):
        return tuple(np.round(np.asarray(cdf(probe), dtype=np.float64), 9))

    true_key = key(law.cdf)
    merged: dict[tuple, Alternative] = {}
    for alt in alts:
        k = key(alt.cdf)
        if k == true_key and abs(alt.mean - law.mean) <= 1e-12 * max(1, abs(law.mean)):
            continue
        if k in merged:
            first = merged[k]
            # indistinguishable from the numbers alone: name both
            merged[k] = Alternative(f"{first.bug}, or {alt.bug}", first.mean, first.std,
                                    first.cdf, first.kurtosis)
        else:
            merged[k] = alt
    return list(merged.values())


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _std_tolerance(n: int, kurtosis: float) -> float:
    # relative std error of a sample std is sqrt((kurtosis - 1) / (4n)); 6 of them,
    # and never finer than 1%: rounding to 16-bit dtypes moves the std by ~0.1%
    return max(0.01, 6 * math.sqrt(max(kurtosis - 1, 0.5) / (4 * n)))


def _ks_fits(x: np.ndarray, cdf, dtype: str) -> bool:
    from initcheck.statistics import ks_test

    return ks_test(x, cdf, GUESS_ALPHA, dtype=dtype).passed


#: Mantissa bits per dtype: one ulp of x is at most |x|·2^-bits.
_MANTISSA_BITS = {"float16": 10, "bfloat16": 7, "float32": 23, "float64": 52}


def _clamped_count(law: Law, x64: np.ndarray) -> int:
    """How many values sit exactly on a finite support bound, when that is far more
    than rounding to the dtype puts there (0 otherwise): the mark of clamping."""
    lo, hi = law.support_in_dtype()
    at_bounds, expected = 0, 0.0
    ulp = 2.0 ** -_MANTISSA_BITS.get(law.dtype, 23)
    for bound, side in ((lo, 1.0), (hi, -1.0)):
        if not math.isfinite(bound):
            continue
        at_bounds += int((x64 == bound).sum())
        # mass that rounds onto the bound: within one ulp inside it (generous)
        inner = bound + side * max(abs(bound), 1e-300) * ulp
        expected += x64.size * abs(float(law.cdf(np.array([inner]))[0]
                                         - law.cdf(np.array([bound]))[0]))
    threshold = expected + 6 * math.sqrt(expected) + 10
    return at_bounds if at_bounds > threshold else 0


def _continuous(law: Law, x: np.ndarray, spec: Spec, shape, dtype: str) -> str:
    x64 = x.astype(np.float64).ravel()
    finite = np.isfinite(x64)
    if not finite.all():
        bad = int((~finite).sum())
        return f"{bad} of {x64.size} values are NaN or infinite"
    n = x64.size
    mean, std = float(x64.mean()), float(x64.std())
    parts = []
    tol = _std_tolerance(n, law.kurtosis)
    ratio = std / law.std
    if abs(ratio - 1) > tol:
        parts.append(f"std is {ratio:.3g}x the law's ({_fmt(std)} vs {_fmt(law.std)})")
    mean_se = law.std / math.sqrt(n)
    if abs(mean - law.mean) > 6 * mean_se:
        parts.append(f"mean is {_fmt(mean)}, the law's is {_fmt(law.mean)} "
                     f"({(mean - law.mean) / law.std:+.3g} law std)")
    lo, hi = law.support_in_dtype()
    outside = int(((x64 < lo) | (x64 > hi)).sum())
    if outside:
        parts.append(f"{outside} of {n} values lie outside the law's support "
                     f"[{_fmt(lo)}, {_fmt(hi)}] (min {_fmt(x64.min())}, max {_fmt(x64.max())})")
    clamped = _clamped_count(law, x64)
    if clamped:
        parts.append(f"{clamped} of {n} values sit exactly on the support's bounds")
    if not parts:
        parts.append(f"mean ({_fmt(mean)}) and std ({_fmt(std)}) match the law's; "
                     f"the shape of the distribution does not ({law.description})")
    if clamped:
        return "; ".join(parts) + (": looks like values clamped to the bounds "
                                   "instead of redrawn (truncation)")
    guess = None
    if not _ks_fits(x, law.cdf, dtype):
        for alt in alternatives(spec, shape, dtype):
            if abs(std / alt.std - 1) > _std_tolerance(n, alt.kurtosis):
                continue
            if abs(mean - alt.mean) > 6 * alt.std / math.sqrt(n):
                continue
            if _ks_fits(x, alt.cdf, dtype):
                guess = alt.bug
                break
    text = "; ".join(parts)
    return f"{text}: looks like {guess}" if guess else text


def _exact(law: Law, x: np.ndarray) -> str:
    got = x.astype(np.float64)
    want = law.exact.astype(np.float64)
    if got.shape != want.shape:
        return f"shape {got.shape} instead of {want.shape}"
    differ = ~((got == want) | (np.isnan(got) & np.isnan(want)))
    count = int(differ.sum())
    if not count:
        return f"every element matches the law ({law.description}) in this fill"
    first = tuple(int(i) for i in np.argwhere(differ)[0])
    text = (f"{count} of {got.size} elements differ from the law ({law.description}); "
            f"first at {first}: got {float(got[first])!r}, expected {float(want[first])!r}")
    values = np.unique(got)
    if values.size == 1:
        text += f"; every element is {float(values[0])!r}"
    if law.spec.name == "Dirac" and law.spec.params["groups"] != 1:
        ungrouped = _try_law(law.spec.replace(groups=1), law.shape, law.dtype)
        if ungrouped is not None and np.array_equal(ungrouped.exact.astype(np.float64), got):
            text += ": looks like groups ignored (groups=1 used)"
    return text


def _gram(x: np.ndarray, rows: int, cols: int) -> np.ndarray:
    w = x.astype(np.float64).reshape(rows, cols)
    return w @ w.T if rows <= cols else w.T @ w


def _orthogonal(law: Law, x: np.ndarray) -> str:
    g2 = law.gain ** 2
    gram = _gram(x, law.rows, law.cols)
    k = gram.shape[0]
    deviation = float(np.max(np.abs(gram - g2 * np.eye(k))))
    norms = np.sqrt(np.clip(np.diag(gram), 0, None))
    off = gram - np.diag(np.diag(gram))
    which = "rows" if law.rows <= law.cols else "columns"
    text = (f"max |Gram - gain²·I| = {_fmt(deviation)}; {which} have norms "
            f"{_fmt(norms.min())}..{_fmt(norms.max())} (law: |gain| = {_fmt(abs(law.gain))}), "
            f"largest off-diagonal {_fmt(np.max(np.abs(off)) if k > 1 else 0.0)}")
    tol = 1e-2
    if abs(law.gain) != 1 and np.all(np.abs(norms - 1) < tol):
        text += ": looks like the gain was not applied"
    elif abs(law.gain) != 1 and np.all(np.abs(norms - g2) < tol * g2):
        text += ": looks like the gain applied twice"
    elif law.rows != law.cols:
        w = x.astype(np.float64).reshape(law.rows, law.cols)
        other = w.T @ w if law.rows <= law.cols else w @ w.T
        if np.all(np.abs(np.diag(other) - g2) < tol * g2):
            text += (f": looks like the {'columns' if which == 'rows' else 'rows'} "
                     f"were normalised instead of the {which}")
    return text


def _sparse(law: Law, x: np.ndarray) -> str:
    w = x.astype(np.float64).reshape(law.rows, law.cols)
    zeros = (w == 0).sum(axis=0)
    want = law.zeros_per_column
    lo, hi = int(zeros.min()), int(zeros.max())
    text = f"columns have {lo}..{hi} zeros, the law says exactly {want} (ceil(sparsity·rows))"
    sparsity = float(law.spec.params["sparsity"])
    if lo == hi != want:
        for rule, value in (("floor", math.floor(sparsity * law.rows)),
                            ("round", round(sparsity * law.rows))):
            if lo == value:
                return f"{text}: looks like {rule}(sparsity·rows) used instead of ceil"
    row_zeros = (w == 0).sum(axis=1)
    if lo != hi and row_zeros.min() == row_zeros.max() == math.ceil(sparsity * law.cols):
        return f"{text}: looks like zeros placed per row instead of per column"
    if lo == hi == want > 0 and law.cols > 1:
        zero_rows = int((w == 0).all(axis=1).sum())
        if zero_rows == want:
            return (f"{text}, but every column has them in the same {want} rows: looks like "
                    "the zero rows drawn once instead of per column")
    nonzero = w[w != 0]
    if lo == hi == want and nonzero.size > 1 and law.var > 0:
        ratio = float(nonzero.std()) / law.std
        if abs(ratio - 1) > _std_tolerance(nonzero.size, 3.0):
            text = (f"zero counts are right; the non-zeros' std is {ratio:.3g}x the law's "
                    f"({_fmt(nonzero.std())} vs {_fmt(law.std)})")
    return text


def diagnose(spec: Spec, shape, dtype: str, sample: np.ndarray) -> str | None:
    """What is wrong with `sample` as a fill of `spec`, in words; None when the law
    itself cannot be built (then the check's own message is all there is).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(0, np.sqrt(2 / 128), size=(128, 32)).astype("float32")  # fan_out
    >>> diagnose(Spec.make("HeNormal"), (128, 32), "float32", x)
    "std is 0.499x the law's (0.1247 vs 0.25): looks like fan_in and fan_out swapped, or mode='fan_out' used instead of 'fan_in'"
    """
    law = _try_law(spec, shape, dtype)
    if law is None:
        return None
    x = np.asarray(sample)
    if x.size > MAX_ELEMENTS and law.kind == "continuous":
        x = x.reshape(-1)[:MAX_ELEMENTS]
    if law.kind == "exact":
        return _exact(law, x)
    if x.size != math.prod(law.shape):
        return f"{x.size} elements instead of {math.prod(law.shape)} (shape {tuple(law.shape)})"
    if law.kind == "orthogonal":
        return _orthogonal(law, x)
    if law.kind == "sparse":
        return _sparse(law, x)
    return _continuous(law, x, spec, shape, dtype)


def diagnose_result(backend: Any, result) -> str | None:
    """`diagnose` for a failed CheckResult, re-drawing its fill from `backend`.

    None when the check kind is not explained from a sample, the result did not fail,
    or the fill cannot be re-drawn (the check's own message then stands alone).
    """
    if result.outcome != "failed" or result.check not in DIAGNOSED_CHECKS:
        return None
    if result.shape is None or result.dtype is None or result.seed is None:
        return None
    try:
        spec = Spec.parse(result.spec)
        sample = sample_for(backend, spec, result.shape, result.dtype, result.seed)
        return diagnose(spec, tuple(result.shape), result.dtype, sample)
    except Exception:  # a diagnosis is a courtesy: never let it break the report
        return None
