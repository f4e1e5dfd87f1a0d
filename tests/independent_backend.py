"""Two correct backends written in plain numpy straight from SPEC §2, for testing the checker.

They exist so that the checker can be judged by something other than the project's own
``reference`` package: if ``initcheck`` and ``reference`` shared a misreading of the
specification, a checker that passes ``reference`` would prove nothing. Nothing here
imports ``reference`` or ``initcheck.laws``; every formula is re-derived from SPEC §2.

- `NumpyBackend`: PCG64 (``numpy.random.default_rng``), truncated normals by exact
  rejection sampling, Haar orthogonal matrices by sign-corrected QR, sparse zero rows by
  ranking uniform keys, bfloat16 by exact round-to-nearest from float64.
- `PhiloxBackend`: the Philox bit generator and different (still exact) algorithms:
  normals and truncated normals by inverse CDF, orthogonal matrices as the polar factor
  of a Gaussian matrix, zero rows by shuffling each column, bfloat16 through ml_dtypes.

Both are pure functions of their arguments: every fill builds its own generator from
`seed`; no global state is read or written.

Use from the command line: ``initcheck run --backend independent_backend:NumpyBackend``
with ``tests/`` on ``PYTHONPATH``.
"""

from __future__ import annotations

import math
import numbers

import ml_dtypes
import numpy as np
from scipy import special

from initcheck.spec import CATALOG, Spec

__all__ = ["NumpyBackend", "PhiloxBackend"]

NUMPY_DTYPES = {
    "float16": np.dtype(np.float16),
    "bfloat16": np.dtype(ml_dtypes.bfloat16),
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
}

# Standard deviation of N(0, 1) conditioned on [-2, 2] (SPEC §2, VarianceScaling).
STD_OF_UNIT_NORMAL_TRUNCATED_AT_2 = 0.87962566103423978

FAN_MODES = ("fan_in", "fan_out")
VARIANCE_SCALING_MODES = ("fan_in", "fan_out", "fan_avg")
VARIANCE_SCALING_DISTRIBUTIONS = ("uniform", "untruncated_normal", "truncated_normal")
FIXED_GAINS = {
    **dict.fromkeys(
        ("linear", "conv1d", "conv2d", "conv3d",
         "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid"),
        1.0,
    ),
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
}


def real_number(owner: str, name: str, value) -> float:
    """`value` as a float; TypeError unless it is a real number (bools are not)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {value!r}")
    return float(value)


def choice_of(owner: str, name: str, value, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{owner}: {name} must be a str, got {value!r}")
    if value not in allowed:
        raise ValueError(f"{owner}: {name} must be one of {allowed}, got {value!r}")
    return value


def non_negative_sigma(owner: str, sigma) -> float:
    sigma = real_number(owner, "sigma", sigma)
    if not 0 <= sigma < math.inf:
        raise ValueError(f"{owner}: sigma must be finite and >= 0, got {sigma!r}")
    return sigma


def checked_shape(shape) -> tuple[int, ...]:
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"shape must be a sequence of ints, got {shape!r}") from None
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral):
            raise TypeError(f"shape elements must be ints, got {d!r} in {shape!r}")
        if d <= 0:
            raise ValueError(f"shape elements must be positive, got {d!r} in {shape!r}")
    return tuple(int(d) for d in dims)


def rank_must_be(owner: str, shape: tuple[int, ...], ranks: tuple[int, ...]) -> None:
    if len(shape) not in ranks:
        raise ValueError(
            f"{owner}: needs a tensor of rank {' or '.join(map(str, ranks))}, "
            f"got shape {shape} (rank {len(shape)})"
        )


def round_to_bfloat16(values: np.ndarray) -> np.ndarray:
    """float64 -> bfloat16 rounded to nearest-even, with no double rounding.

    ml_dtypes goes through float32, which rounds twice: a float64 just above a bfloat16
    midpoint can land on it in float32 and then round down. Rounding to float32 *to odd*
    first (truncate, then set the last bit when inexact) makes the second rounding
    exact, since float32 carries more than two extra bits over bfloat16.
    """
    x = np.asarray(values, dtype=np.float64)
    with np.errstate(over="ignore"):  # beyond float32's range is inf, as it should be
        f = x.astype(np.float32)
    overshoot = np.abs(f.astype(np.float64)) > np.abs(x)
    f = np.where(overshoot, np.nextafter(f, np.float32(0)), f)
    inexact = (f.astype(np.float64) != x) & ~np.isnan(x)
    bits = f.view(np.uint32) | inexact.astype(np.uint32)
    return bits.view(np.float32).astype(ml_dtypes.bfloat16)


class NumpyBackend:
    """A correct backend in plain numpy (PCG64), written from SPEC §2 alone."""

    name = "numpy-independent"
    version = np.__version__
    dtypes = tuple(NUMPY_DTYPES)

    # -- protocol ------------------------------------------------------------------

    def fill(self, spec, shape, dtype, seed):
        shape = checked_shape(shape)
        if dtype not in NUMPY_DTYPES:
            raise ValueError(f"dtype must be one of {tuple(NUMPY_DTYPES)}, got {dtype!r}")
        if spec.name not in CATALOG:
            raise ValueError(f"unknown initializer {spec.name!r}")
        sampler = getattr(self, f"sample_{spec.name}")
        values = sampler(self.generator(seed), shape, **spec.params)
        values = np.asarray(values, dtype=np.float64).reshape(shape)
        return self.round_to(values, dtype)

    def fans(self, shape):
        return self.fan_in_and_fan_out(shape)

    def gain(self, nonlinearity, param=None):
        return self.nonlinearity_gain(nonlinearity, param)

    def layer(self, kind, config, seed):
        """Default-initialised parameters of MindSpore 2.x ``Dense`` / ``Conv2d``."""
        config = dict(config)
        in_channels, out_channels = config["in_channels"], config["out_channels"]
        if kind == "Dense":
            weight_shape = (out_channels, in_channels)
            has_bias = config.get("has_bias", True)
        elif kind == "Conv2d":
            kernel = config["kernel_size"]
            kernel = (kernel, kernel) if isinstance(kernel, numbers.Integral) else tuple(kernel)
            group = config.get("group", 1)
            if in_channels % group or out_channels % group:
                raise ValueError(
                    f"Conv2d: in_channels={in_channels} and out_channels={out_channels} "
                    f"must be divisible by group={group}"
                )
            weight_shape = (out_channels, in_channels // group, *kernel)
            has_bias = config.get("has_bias", False)
        else:
            raise NotImplementedError(f"{self.name} has no layer kind {kind!r}")
        fan_in, _ = self.fan_in_and_fan_out(weight_shape)
        weight_seed, bias_seed = np.random.SeedSequence(seed).generate_state(2)
        weight_init, bias_init = self.layer_default_inits(fan_in)
        if config.get("weight_init") is not None:
            weight_init = as_spec(config["weight_init"])
        if config.get("bias_init") is not None:
            bias_init = as_spec(config["bias_init"])
        params = {"weight": self.fill(weight_init, weight_shape, "float32", int(weight_seed))}
        if has_bias:
            params["bias"] = self.fill(bias_init, (out_channels,), "float32", int(bias_seed))
        return params

    # -- primitives a subclass may replace -----------------------------------------

    def layer_default_inits(self, fan_in: int) -> tuple[Spec, Spec]:
        """MindSpore 2.x Dense/Conv defaults: weight HeUniform(negative_slope=sqrt(5)),
        which is U(+-1/sqrt(fan_in)); bias Uniform(1/sqrt(fan_in))."""
        return (
            Spec.make("HeUniform", negative_slope=math.sqrt(5)),
            Spec.make("Uniform", scale=1.0 / math.sqrt(fan_in)),
        )

    def fan_in_and_fan_out(self, shape):
        shape = checked_shape(shape)
        if len(shape) < 2:
            raise ValueError(f"fans need a tensor of rank >= 2, got shape {shape}")
        # fan_in: all weights feeding one output channel; fan_out: one input channel's.
        return math.prod(shape[1:]), shape[0] * math.prod(shape[2:])

    def nonlinearity_gain(self, nonlinearity, param=None):
        if nonlinearity == "leaky_relu":
            if param is None:
                slope = 0.01
            elif isinstance(param, bool) or not isinstance(param, numbers.Real):
                raise ValueError(f"negative_slope {param!r} is not a valid number")
            else:
                slope = float(param)
            return math.sqrt(2.0 / (1.0 + slope**2))
        if isinstance(nonlinearity, str) and nonlinearity in FIXED_GAINS:
            return FIXED_GAINS[nonlinearity]
        raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")

    def generator(self, seed) -> np.random.Generator:
        return np.random.default_rng(seed)

    def round_to(self, values: np.ndarray, dtype: str) -> np.ndarray:
        if dtype == "bfloat16":
            return round_to_bfloat16(values)
        return values.astype(NUMPY_DTYPES[dtype])

    def standard_normal(self, rng, shape) -> np.ndarray:
        return rng.standard_normal(shape)

    def uniform(self, rng, bound: float, shape) -> np.ndarray:
        return rng.uniform(-bound, bound, shape)

    def truncated_standard_normal(self, rng, lo: float, hi: float, size: int) -> np.ndarray:
        """N(0, 1) conditioned on [lo, hi], by exact rejection sampling.

        The proposal is chosen for acceptance: the normal itself when [lo, hi] holds a
        quarter of the mass; else a uniform on a short interval; else (a long interval
        wholly in one tail) Robert's (1995) shifted exponential.
        """
        mass = 0.5 * (math.erfc(-hi / math.sqrt(2)) - math.erfc(-lo / math.sqrt(2)))
        if hi <= 0 and mass < 0.25 and hi - lo > 2:
            return -self.truncated_standard_normal(rng, -hi, -lo, size)
        out = np.empty(0)
        while out.size < size:
            batch = max(64, int(2 * (size - out.size)))
            if mass >= 0.25:
                z = rng.standard_normal(batch)
                keep = (z >= lo) & (z <= hi)
            elif hi - lo <= 2:
                nearest = 0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi))
                z = rng.uniform(lo, hi, batch)
                keep = rng.random(batch) <= np.exp((nearest**2 - z**2) / 2)
            else:  # lo > 0 here
                rate = (lo + math.sqrt(lo**2 + 4)) / 2
                z = lo + rng.exponential(1 / rate, batch)
                keep = (rng.random(batch) <= np.exp(-((z - rate) ** 2) / 2)) & (z <= hi)
            out = np.concatenate([out, z[keep]])
        return out[:size]

    def orthonormal(self, rng, rows: int, cols: int) -> np.ndarray:
        """Haar-distributed rows x cols matrix with orthonormal rows or columns."""
        flat = self.standard_normal(rng, (rows, cols))
        if rows < cols:
            flat = flat.T
        q, r = np.linalg.qr(flat)
        # QR's R has an arbitrary sign per column; fixing diag(R) > 0 makes Q Haar.
        q = q * np.sign(np.diag(r))
        return q.T if rows < cols else q

    def zero_count(self, sparsity: float, rows: int) -> int:
        # Literally ceil(sparsity * rows) in floating point, as MindSpore and PyTorch do.
        return math.ceil(sparsity * rows)

    def zero_rows(self, rng, rows: int, cols: int, zeros: int) -> np.ndarray:
        """(zeros, cols) row indices: for each column, a uniform random subset."""
        return np.argsort(rng.random((rows, cols)), axis=0)[:zeros]

    # -- the catalog (SPEC §2), in float64 -----------------------------------------

    def sample_Zero(self, rng, shape):
        return np.zeros(shape)

    def sample_One(self, rng, shape):
        return np.ones(shape)

    def sample_Constant(self, rng, shape, value):
        return np.full(shape, real_number("Constant", "value", value))

    def sample_Normal(self, rng, shape, sigma, mean):
        sigma = non_negative_sigma("Normal", sigma)
        mean = real_number("Normal", "mean", mean)
        return mean + sigma * self.standard_normal(rng, shape)

    def sample_Uniform(self, rng, shape, scale):
        return self.uniform(rng, real_number("Uniform", "scale", scale), shape)

    def sample_TruncatedNormal(self, rng, shape, sigma, mean, a, b):
        sigma = non_negative_sigma("TruncatedNormal", sigma)
        mean = real_number("TruncatedNormal", "mean", mean)
        a = real_number("TruncatedNormal", "a", a)
        b = real_number("TruncatedNormal", "b", b)
        if not a < b:
            raise ValueError(f"TruncatedNormal: needs a < b, got a={a!r}, b={b!r}")
        if sigma == 0:
            if not a <= mean <= b:
                raise ValueError(
                    f"TruncatedNormal: sigma=0 puts all mass at mean={mean!r}, "
                    f"outside [a, b] = [{a!r}, {b!r}]"
                )
            return np.full(shape, mean)
        z = self.truncated_standard_normal(
            rng, (a - mean) / sigma, (b - mean) / sigma, math.prod(shape)
        )
        # mean + sigma*z can step an ulp past a bound; the law never does.
        return np.clip(mean + sigma * z, a, b)

    def sample_XavierUniform(self, rng, shape, gain):
        fan_in, fan_out = self.fan_in_and_fan_out(shape)
        gain = real_number("XavierUniform", "gain", gain)
        return self.uniform(rng, gain * math.sqrt(6.0 / (fan_in + fan_out)), shape)

    def sample_XavierNormal(self, rng, shape, gain):
        fan_in, fan_out = self.fan_in_and_fan_out(shape)
        gain = real_number("XavierNormal", "gain", gain)
        return gain * math.sqrt(2.0 / (fan_in + fan_out)) * self.standard_normal(rng, shape)

    def he_std(self, owner, shape, negative_slope, mode, nonlinearity) -> float:
        fan_in, fan_out = self.fan_in_and_fan_out(shape)
        mode = choice_of(owner, "mode", mode, FAN_MODES)
        fan = fan_in if mode == "fan_in" else fan_out
        return self.nonlinearity_gain(nonlinearity, negative_slope) / math.sqrt(fan)

    def sample_HeUniform(self, rng, shape, negative_slope, mode, nonlinearity):
        std = self.he_std("HeUniform", shape, negative_slope, mode, nonlinearity)
        return self.uniform(rng, math.sqrt(3.0) * std, shape)

    def sample_HeNormal(self, rng, shape, negative_slope, mode, nonlinearity):
        std = self.he_std("HeNormal", shape, negative_slope, mode, nonlinearity)
        return std * self.standard_normal(rng, shape)

    def sample_VarianceScaling(self, rng, shape, scale, mode, distribution):
        scale = real_number("VarianceScaling", "scale", scale)
        if not scale > 0:
            raise ValueError(f"VarianceScaling: scale must be > 0, got {scale!r}")
        mode = choice_of("VarianceScaling", "mode", mode, VARIANCE_SCALING_MODES)
        distribution = choice_of(
            "VarianceScaling", "distribution", distribution, VARIANCE_SCALING_DISTRIBUTIONS
        )
        fan_in, fan_out = self.fan_in_and_fan_out(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        variance = scale / max(1.0, n)
        if distribution == "uniform":
            return self.uniform(rng, math.sqrt(3.0 * variance), shape)
        if distribution == "untruncated_normal":
            return math.sqrt(variance) * self.standard_normal(rng, shape)
        sigma = math.sqrt(variance) / STD_OF_UNIT_NORMAL_TRUNCATED_AT_2
        return sigma * self.truncated_standard_normal(rng, -2.0, 2.0, math.prod(shape))

    def sample_Orthogonal(self, rng, shape, gain):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: needs rank >= 2, got shape {shape}")
        gain = real_number("Orthogonal", "gain", gain)
        rows = shape[0]
        return gain * self.orthonormal(rng, rows, math.prod(shape) // rows)

    def sample_Identity(self, rng, shape):
        rank_must_be("Identity", shape, (2,))
        return np.eye(*shape)

    def sample_Dirac(self, rng, shape, groups):
        rank_must_be("Dirac", shape, (3, 4, 5))
        if isinstance(groups, bool) or not isinstance(groups, numbers.Integral):
            raise TypeError(f"Dirac: groups must be an int, got {groups!r}")
        if groups < 1 or shape[0] % groups:
            raise ValueError(
                f"Dirac: shape[0]={shape[0]} must be divisible by groups={groups!r} (>= 1)"
            )
        # Output channel o sits in its group at position o mod (shape[0]/groups) and
        # passes that input channel through, while the input channel exists.
        out_channel = np.arange(shape[0])
        in_channel = out_channel % (shape[0] // groups)
        live = in_channel < shape[1]
        out = np.zeros(shape)
        out[(out_channel[live], in_channel[live], *(k // 2 for k in shape[2:]))] = 1.0
        return out

    def sample_Sparse(self, rng, shape, sparsity, sigma):
        rank_must_be("Sparse", shape, (2,))
        sparsity = real_number("Sparse", "sparsity", sparsity)
        if not 0 <= sparsity < 1:
            raise ValueError(f"Sparse: sparsity must be in [0, 1), got {sparsity!r}")
        sigma = non_negative_sigma("Sparse", sigma)
        rows, cols = shape
        zeros = self.zero_count(sparsity, rows)
        values = sigma * self.standard_normal(rng, shape)
        values[self.zero_rows(rng, rows, cols, zeros), np.arange(cols)] = 0.0
        return values


def as_spec(init) -> Spec:
    """A layer's ``weight_init`` / ``bias_init`` (Spec, alias string or number) as a Spec."""
    if isinstance(init, Spec):
        return init
    if isinstance(init, str):
        return Spec.make(init)
    if isinstance(init, numbers.Real) and not isinstance(init, bool):
        return Spec.make("Constant", value=init)
    raise TypeError(f"initializer must be a Spec, an alias or a number, got {init!r}")


class PhiloxBackend(NumpyBackend):
    """A second correct backend: the Philox bit generator and other exact algorithms."""

    name = "numpy-philox"

    def generator(self, seed) -> np.random.Generator:
        return np.random.Generator(np.random.Philox(seed))

    def round_to(self, values, dtype):
        # ml_dtypes rounds float64 -> bfloat16 through float32; the double rounding
        # moves about one value in 2**16 by one ulp, far below anything testable.
        return values.astype(NUMPY_DTYPES[dtype])

    def open_unit_interval(self, rng, shape) -> np.ndarray:
        # Centres of the 2**53 cells of [0, 1): never 0 or 1, so ndtri stays finite.
        return rng.random(shape) + 2.0**-54

    def standard_normal(self, rng, shape):
        return special.ndtri(self.open_unit_interval(rng, shape))

    def uniform(self, rng, bound, shape):
        return bound * (2.0 * self.open_unit_interval(rng, shape) - 1.0)

    def truncated_standard_normal(self, rng, lo, hi, size):
        """By inverse CDF in log space, on the lower tail where it is accurate."""
        if lo > 0:
            return -self.truncated_standard_normal(rng, -hi, -lo, size)
        log_cdf_lo, log_cdf_hi = special.log_ndtr(lo), special.log_ndtr(hi)
        u = self.open_unit_interval(rng, size)
        # log(cdf_lo + u (cdf_hi - cdf_lo)), without cancellation when both are tiny
        log_p = log_cdf_hi + np.log1p(-(1.0 - u) * -np.expm1(log_cdf_lo - log_cdf_hi))
        return np.clip(special.ndtri_exp(log_p), lo, hi)

    def orthonormal(self, rng, rows, cols):
        """The polar factor U V^T of a Gaussian matrix: Haar, with no sign fix needed."""
        u, _, vt = np.linalg.svd(self.standard_normal(rng, (rows, cols)),
                                 full_matrices=False)
        return u @ vt

    def zero_rows(self, rng, rows, cols, zeros):
        order = np.broadcast_to(np.arange(rows)[:, None], (rows, cols))
        return rng.permuted(order, axis=0)[:zeros]
