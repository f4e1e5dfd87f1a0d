"""The laws: what every catalog initializer must produce (SPEC §2).

Written from the mathematics of the specification, never from an implementation:
initcheck does not import ``reference`` here, so a bug in its fan or gain function
cannot hide itself by being shared with the oracle.

For a spec, a shape and a dtype, `law_for` returns a `Law`: either an exact array
(Zero, One, Constant, Identity, Dirac), a continuous distribution (a scipy frozen
law plus a fast CDF), an orthogonal law (Haar times gain) or a sparse law (exact
zero counts per column, normal non-zeros). Laws for float16/bfloat16/float32 are
the float64 law rounded to nearest in the dtype; the continuous law itself is kept
in float64 and the statistics account for the rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Callable

import numpy as np
from scipy import special, stats

from initcheck.spec import Spec

__all__ = [
    "NONLINEARITIES",
    "TRUNCATED_NORMAL_STD_FACTOR",
    "Law",
    "fan_in_and_fan_out",
    "gain",
    "invalid_cases",
    "law_for",
    "numpy_dtype",
    "round_to_dtype",
]

#: std of N(0, 1) conditioned on [-2, 2]; VarianceScaling divides by it so that
#: the std after truncation is sqrt(s) (SPEC §2).
TRUNCATED_NORMAL_STD_FACTOR = 0.87962566103423978

_UNIT_GAIN = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)
#: Every nonlinearity `gain` accepts.
NONLINEARITIES = (*_UNIT_GAIN, "tanh", "relu", "leaky_relu")

_FAN_MODES = ("fan_in", "fan_out")
_VS_MODES = ("fan_in", "fan_out", "fan_avg")
_VS_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


def numpy_dtype(name: str) -> np.dtype:
    """The numpy dtype called `name` (bfloat16 is ``ml_dtypes.bfloat16``)."""
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    if name in ("float16", "float32", "float64"):
        return np.dtype(name)
    raise ValueError(
        f"dtype must be one of float16, bfloat16, float32, float64, got {name!r}"
    )


def round_to_dtype(x, dtype: str) -> np.ndarray:
    """`x` (float64) rounded to nearest in `dtype`, returned as float64."""
    return np.asarray(x, dtype=np.float64).astype(numpy_dtype(dtype)).astype(np.float64)


def _check_shape(shape) -> tuple[int, ...]:
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"shape must be a tuple of ints, got {shape!r}") from None
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"shape elements must be ints, got {shape!r}")
        if d <= 0:
            raise ValueError(f"shape elements must be positive, got {shape!r}")
    return tuple(int(d) for d in dims)


def fan_in_and_fan_out(shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of `shape` in reference layout (SPEC §2).

    >>> fan_in_and_fan_out((64, 32, 3, 3))
    (288, 576)
    """
    dims = _check_shape(shape)
    if len(dims) < 2:
        raise ValueError(
            f"fan_in and fan_out need a shape of rank >= 2, got {dims!r} (rank {len(dims)})"
        )
    receptive_field = math.prod(dims[2:])
    return dims[1] * receptive_field, dims[0] * receptive_field


def _number(what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{what} must be a real number, got {value!r}")
    return float(value)


def gain(nonlinearity: str, param: Any = None) -> float:
    """The recommended gain for `nonlinearity` (SPEC §2).

    >>> round(gain("leaky_relu", 0.2), 6)
    1.386750
    """
    if not isinstance(nonlinearity, str):
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")
    if nonlinearity in _UNIT_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else _number("leaky_relu negative slope (param)", param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")


def _choice(spec: Spec, key: str, allowed: tuple[str, ...]) -> str:
    value = spec.params[key]
    if value not in allowed:
        raise ValueError(f"{spec.name}: {key} must be one of {allowed}, got {value!r}")
    return value


def _positive_sigma(spec: Spec, key: str = "sigma") -> float:
    sigma = _number(f"{spec.name} {key}", spec.params[key])
    if not sigma >= 0:  # also rejects nan
        raise ValueError(f"{spec.name}: {key} must be >= 0, got {sigma!r}")
    return sigma


def _normal_cdf(mean: float, std: float) -> Callable[[np.ndarray], np.ndarray]:
    def cdf(x):
        return special.ndtr((np.asarray(x, dtype=np.float64) - mean) / std)

    return cdf


def _uniform_cdf(lo: float, hi: float) -> Callable[[np.ndarray], np.ndarray]:
    width = hi - lo

    def cdf(x):
        return np.clip((np.asarray(x, dtype=np.float64) - lo) / width, 0.0, 1.0)

    return cdf


def _truncated_normal_cdf(mean, std, za, zb, frozen) -> Callable[[np.ndarray], np.ndarray]:
    # scipy's truncnorm.cdf is ~50x slower than ndtr; differences of ndtr are
    # accurate when computed on the side of zero where the interval lies.
    if za >= 0:  # upper tail: use survival functions
        lo_sf, hi_sf = special.ndtr(-za), special.ndtr(-zb)
        mass = lo_sf - hi_sf
        if mass > 1e-250:

            def cdf(x):
                z = np.clip((np.asarray(x, dtype=np.float64) - mean) / std, za, zb)
                return np.clip((lo_sf - special.ndtr(-z)) / mass, 0.0, 1.0)

            return cdf
    else:
        lo_cdf, hi_cdf = special.ndtr(za), special.ndtr(zb)
        mass = hi_cdf - lo_cdf
        if mass > 1e-250:

            def cdf(x):
                z = np.clip((np.asarray(x, dtype=np.float64) - mean) / std, za, zb)
                return np.clip((special.ndtr(z) - lo_cdf) / mass, 0.0, 1.0)

            return cdf
    return frozen.cdf


@dataclass(frozen=True, eq=False)
class Law:
    """The law of every element of one spec's fill for one shape and dtype.

    kind:
      ``exact``      every element is determined: `exact` holds the array (in dtype);
      ``continuous`` i.i.d. elements from `dist` (float64) rounded to the dtype;
      ``orthogonal`` the (rows, cols) flattening has orthonormal rows or columns
                     times `gain`, Haar-distributed;
      ``sparse``     each of the `cols` columns has exactly `zeros_per_column` zeros
                     at uniformly random rows; other entries i.i.d. from `dist`.
    mean/var/kurtosis are those of one element of the float64 law (for sparse: of
    the non-zeros); kurtosis is the plain (non-excess) kurtosis.
    """

    kind: str
    spec: Spec
    shape: tuple[int, ...]
    dtype: str
    description: str
    support: tuple[float, float]
    mean: float
    var: float
    kurtosis: float
    dist: Any = None
    cdf: Callable[[np.ndarray], np.ndarray] | None = None
    exact: np.ndarray | None = None
    gain: float | None = None
    rows: int | None = None
    cols: int | None = None
    zeros_per_column: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def std(self) -> float:
        return math.sqrt(self.var)

    @property
    def is_random(self) -> bool:
        return self.kind != "exact"

    def support_in_dtype(self) -> tuple[float, float]:
        """The support's bounds rounded to the dtype: rounding to nearest is
        monotone, so a correct rounded sample never leaves this interval."""
        lo, hi = self.support
        return float(round_to_dtype(lo, self.dtype)), float(round_to_dtype(hi, self.dtype))


def _continuous(spec, shape, dtype, description, frozen, cdf, support) -> Law:
    mean, var, excess = (float(v) for v in frozen.stats(moments="mvk"))
    return Law(
        kind="continuous",
        spec=spec,
        shape=shape,
        dtype=dtype,
        description=description,
        support=support,
        mean=mean,
        var=var,
        kurtosis=excess + 3.0,
        dist=frozen,
        cdf=cdf,
    )


def _normal(spec, shape, dtype, mean, std, description=None) -> Law:
    if std == 0:
        return _exact(spec, shape, dtype, np.full(shape, mean), f"exactly {mean!r}")
    frozen = stats.norm(loc=mean, scale=std)
    return Law(
        kind="continuous",
        spec=spec,
        shape=shape,
        dtype=dtype,
        description=description or f"N({mean:.6g}, {std:.6g}²)",
        support=(-math.inf, math.inf),
        mean=mean,
        var=std * std,
        kurtosis=3.0,
        dist=frozen,
        cdf=_normal_cdf(mean, std),
    )


def _uniform(spec, shape, dtype, bound) -> Law:
    bound = abs(bound)
    if bound == 0:
        return _exact(spec, shape, dtype, np.zeros(shape), "exactly 0")
    frozen = stats.uniform(loc=-bound, scale=2 * bound)
    return Law(
        kind="continuous",
        spec=spec,
        shape=shape,
        dtype=dtype,
        description=f"U(-{bound:.6g}, {bound:.6g})",
        support=(-bound, bound),
        mean=0.0,
        var=bound * bound / 3.0,
        kurtosis=1.8,
        dist=frozen,
        cdf=_uniform_cdf(-bound, bound),
    )


def _truncated_normal(spec, shape, dtype, mean, std, lo, hi) -> Law:
    if std == 0:
        value = min(max(mean, lo), hi)
        return _exact(spec, shape, dtype, np.full(shape, value), f"exactly {value!r}")
    za, zb = (lo - mean) / std, (hi - mean) / std
    frozen = stats.truncnorm(za, zb, loc=mean, scale=std)
    return _continuous(
        spec,
        shape,
        dtype,
        f"N({mean:.6g}, {std:.6g}²) truncated to [{lo:.6g}, {hi:.6g}]",
        frozen,
        _truncated_normal_cdf(mean, std, za, zb, frozen),
        (lo, hi),
    )


def _exact(spec, shape, dtype, values, description) -> Law:
    array = np.asarray(values, dtype=np.float64).astype(numpy_dtype(dtype))
    as64 = array.astype(np.float64)
    return Law(
        kind="exact",
        spec=spec,
        shape=shape,
        dtype=dtype,
        description=description,
        support=(float(as64.min()), float(as64.max())) if as64.size else (0.0, 0.0),
        mean=float(as64.mean()) if as64.size else 0.0,
        var=0.0,
        kurtosis=math.nan,
        exact=array,
    )


def _rank(spec: Spec, shape, allowed: tuple[int, ...]) -> None:
    if len(shape) not in allowed:
        raise ValueError(
            f"{spec.name} needs a shape of rank {' or '.join(map(str, allowed))}, "
            f"got {shape!r} (rank {len(shape)})"
        )


def _dirac(spec, shape, dtype) -> Law:
    _rank(spec, shape, (3, 4, 5))
    groups = spec.params["groups"]
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"Dirac: groups must be an int, got {groups!r}")
    if groups <= 0 or shape[0] % groups:
        raise ValueError(
            f"Dirac: shape[0]={shape[0]} must be divisible by groups={groups} (groups > 0)"
        )
    values = np.zeros(shape)
    out_per_group = shape[0] // groups
    centre = tuple(k // 2 for k in shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, shape[1])):
            values[(g * out_per_group + d, d, *centre)] = 1.0
    return _exact(spec, shape, dtype, values, f"Dirac with groups={groups}")


def _orthogonal(spec, shape, dtype) -> Law:
    if len(shape) < 2:
        raise ValueError(f"Orthogonal needs a shape of rank >= 2, got {shape!r}")
    g = _number("Orthogonal gain", spec.params["gain"])
    rows, cols = shape[0], math.prod(shape[1:])
    var = g * g / max(rows, cols)
    which = "rows" if rows <= cols else "columns"
    return Law(
        kind="orthogonal",
        spec=spec,
        shape=shape,
        dtype=dtype,
        description=f"Haar orthonormal {which} of a {rows}x{cols} matrix times {g!r}",
        support=(-abs(g), abs(g)),
        mean=0.0,
        var=var,
        kurtosis=math.nan,
        gain=g,
        rows=rows,
        cols=cols,
    )


def _sparse(spec, shape, dtype) -> Law:
    _rank(spec, shape, (2,))
    sparsity = _number("Sparse sparsity", spec.params["sparsity"])
    if not 0 <= sparsity < 1:
        raise ValueError(f"Sparse: sparsity must be in [0, 1), got {sparsity!r}")
    sigma = _positive_sigma(spec)
    rows, cols = shape
    zeros = math.ceil(sparsity * rows)
    return Law(
        kind="sparse",
        spec=spec,
        shape=shape,
        dtype=dtype,
        description=f"{zeros} zeros per column, others N(0, {sigma:.6g}²)",
        support=(-math.inf, math.inf),
        mean=0.0,
        var=sigma * sigma,
        kurtosis=3.0,
        dist=stats.norm(0.0, sigma) if sigma > 0 else None,
        cdf=_normal_cdf(0.0, sigma) if sigma > 0 else None,
        rows=rows,
        cols=cols,
        zeros_per_column=zeros,
    )


def _fan(spec, shape, mode) -> float:
    fan_in, fan_out = fan_in_and_fan_out(shape)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]


def _variance_scaling(spec, shape, dtype) -> Law:
    p = spec.params
    scale = _number("VarianceScaling scale", p["scale"])
    if not scale > 0:
        raise ValueError(f"VarianceScaling: scale must be > 0, got {scale!r}")
    mode = _choice(spec, "mode", _VS_MODES)
    distribution = _choice(spec, "distribution", _VS_DISTRIBUTIONS)
    s = scale / max(1.0, _fan(spec, shape, mode))
    if distribution == "uniform":
        return _uniform(spec, shape, dtype, math.sqrt(3.0 * s))
    if distribution == "untruncated_normal":
        return _normal(spec, shape, dtype, 0.0, math.sqrt(s))
    sigma = math.sqrt(s) / TRUNCATED_NORMAL_STD_FACTOR
    return _truncated_normal(spec, shape, dtype, 0.0, sigma, -2 * sigma, 2 * sigma)


def _he(spec, shape, dtype) -> Law:
    p = spec.params
    mode = _choice(spec, "mode", _FAN_MODES)
    g = gain(p["nonlinearity"], p["negative_slope"])
    fan = _fan(spec, shape, mode)
    if spec.name == "HeUniform":
        return _uniform(spec, shape, dtype, math.sqrt(3.0) * g / math.sqrt(fan))
    return _normal(spec, shape, dtype, 0.0, g / math.sqrt(fan))


def _xavier(spec, shape, dtype) -> Law:
    g = _number(f"{spec.name} gain", spec.params["gain"])
    fan_in, fan_out = fan_in_and_fan_out(shape)
    if spec.name == "XavierUniform":
        return _uniform(spec, shape, dtype, g * math.sqrt(6.0 / (fan_in + fan_out)))
    return _normal(spec, shape, dtype, 0.0, abs(g) * math.sqrt(2.0 / (fan_in + fan_out)))


def law_for(spec: Spec, shape, dtype: str) -> Law:
    """The law of `spec` filled into `shape` in `dtype`.

    Raises ValueError for bad values and TypeError for bad types, for exactly the
    inputs SPEC §2 calls errors (and non-numeric parameters).
    """
    if not isinstance(spec, Spec):
        raise TypeError(f"spec must be an initcheck.Spec, got {spec!r}")
    shape = _check_shape(shape)
    numpy_dtype(dtype)
    name, p = spec.name, spec.params
    if name == "Zero":
        return _exact(spec, shape, dtype, np.zeros(shape), "exactly 0")
    if name == "One":
        return _exact(spec, shape, dtype, np.ones(shape), "exactly 1")
    if name == "Constant":
        value = p["value"]
        value = float(value) if isinstance(value, bool) else _number("Constant value", value)
        return _exact(spec, shape, dtype, np.full(shape, value), f"exactly {p['value']!r}")
    if name == "Normal":
        sigma = _positive_sigma(spec)
        return _normal(spec, shape, dtype, _number("Normal mean", p["mean"]), sigma)
    if name == "Uniform":
        return _uniform(spec, shape, dtype, _number("Uniform scale", p["scale"]))
    if name == "TruncatedNormal":
        sigma = _positive_sigma(spec)
        mean = _number("TruncatedNormal mean", p["mean"])
        a, b = _number("TruncatedNormal a", p["a"]), _number("TruncatedNormal b", p["b"])
        if not a < b:
            raise ValueError(f"TruncatedNormal: a must be < b, got a={a!r}, b={b!r}")
        return _truncated_normal(spec, shape, dtype, mean, sigma, a, b)
    if name in ("XavierUniform", "XavierNormal"):
        return _xavier(spec, shape, dtype)
    if name in ("HeUniform", "HeNormal"):
        return _he(spec, shape, dtype)
    if name == "VarianceScaling":
        return _variance_scaling(spec, shape, dtype)
    if name == "Orthogonal":
        return _orthogonal(spec, shape, dtype)
    if name == "Identity":
        _rank(spec, shape, (2,))
        return _exact(spec, shape, dtype, np.eye(*shape), "identity matrix")
    if name == "Dirac":
        return _dirac(spec, shape, dtype)
    if name == "Sparse":
        return _sparse(spec, shape, dtype)
    raise ValueError(f"no law for initializer {name!r}")  # unreachable for catalog specs


def _unknown_alias(name: str) -> Spec:
    # Spec.make refuses unknown names; the rejects check needs one to hand a
    # backend, so build it directly. Its params are empty.
    return Spec(name, ())


def invalid_cases() -> list[tuple[Spec, tuple[int, ...], str]]:
    """Every invalid input of SPEC §2's error list: ``(spec, shape, reason)``.

    The `rejects` check hands each to a backend and expects an exception. The
    unknown-alias entries carry a Spec whose name is not in the catalog.
    """
    S = Spec.make
    cases = []
    for name in ("XavierUniform", "XavierNormal", "HeUniform", "HeNormal", "VarianceScaling"):
        cases.append((S(name), (16,), f"{name} on a rank-1 shape (fans undefined)"))
    cases += [
        (S("Orthogonal"), (16,), "Orthogonal on a rank-1 shape"),
        (S("Identity"), (4, 4, 3), "Identity on a rank-3 shape"),
        (S("Identity"), (8,), "Identity on a rank-1 shape"),
        (S("Sparse", sparsity=0.1), (8, 4, 3), "Sparse on a rank-3 shape"),
        (S("Sparse", sparsity=0.1), (8,), "Sparse on a rank-1 shape"),
        (S("Dirac"), (4, 4), "Dirac on a rank-2 shape"),
        (S("Dirac"), (2, 2, 1, 1, 1, 3), "Dirac on a rank-6 shape"),
        (S("Dirac", groups=3), (4, 2, 3, 3), "Dirac with shape[0]=4 not divisible by groups=3"),
        (S("HeUniform", mode="fan_avg"), (16, 8), "HeUniform with unknown mode 'fan_avg'"),
        (S("HeNormal", mode="fan_sum"), (16, 8), "HeNormal with unknown mode 'fan_sum'"),
        (S("VarianceScaling", mode="fan_sum"), (16, 8), "VarianceScaling with unknown mode"),
        (S("HeUniform", nonlinearity="softplus"), (16, 8), "HeUniform with unknown nonlinearity"),
        (S("HeNormal", nonlinearity="selu"), (16, 8), "HeNormal with unknown nonlinearity"),
        (S("VarianceScaling", distribution="laplace"), (16, 8), "VarianceScaling with unknown distribution"),
        (S("VarianceScaling", scale=0.0), (16, 8), "VarianceScaling with scale=0"),
        (S("VarianceScaling", scale=-1.0), (16, 8), "VarianceScaling with scale<0"),
        (S("Normal", sigma=-0.1), (16, 8), "Normal with negative sigma"),
        (S("TruncatedNormal", sigma=-0.1), (16, 8), "TruncatedNormal with negative sigma"),
        (S("Sparse", sparsity=0.1, sigma=-0.1), (16, 8), "Sparse with negative sigma"),
        (S("TruncatedNormal", a=1.0, b=1.0), (16, 8), "TruncatedNormal with a == b"),
        (S("TruncatedNormal", a=2.0, b=-2.0), (16, 8), "TruncatedNormal with a > b"),
        (S("Sparse", sparsity=1.0), (16, 8), "Sparse with sparsity=1"),
        (S("Sparse", sparsity=-0.1), (16, 8), "Sparse with sparsity<0"),
        (S("Sparse", sparsity=1.5), (16, 8), "Sparse with sparsity>1"),
        (_unknown_alias("xavier_unifrom"), (16, 8), "unknown alias 'xavier_unifrom'"),
        (_unknown_alias("kaiming"), (16, 8), "unknown alias 'kaiming'"),
    ]
    return cases
