"""Deliberately broken backends: each one a realistic initializer bug.

Every class wraps the correct `independent_backend.NumpyBackend` and changes one thing.
Its docstring names the bug; ``touches`` are the initializers the bug changes (the
meta-test runs the battery restricted to them, ``--only`` style: capability bugs name
"fans", "gain" or "layer-default"); ``caught_by`` are the check kinds (SPEC §6) that
ought to fail; ``dtype_under_test`` is the dtype the meta-test fills.
`tests/test_meta_broken.py` requires, at the quick budget, at least one failed result
of one of those kinds, so a bug caught only by accident does not count.

``BROKEN_BACKENDS`` lists them all; together they touch every initializer and every
check kind.
"""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np

from independent_backend import NumpyBackend, checked_shape
from initcheck.spec import Spec

__all__ = ["BROKEN_BACKENDS", "BrokenBackend"]


class BrokenBackend(NumpyBackend):
    """A correct backend with one bug; subclasses say which."""

    touches: tuple[str, ...] = ()
    caught_by: tuple[str, ...] = ()
    #: the dtype the meta-test fills (the bug shows in every dtype unless overridden)
    dtype_under_test: str = "float32"

    @classmethod
    def slug(cls) -> str:
        return cls.__name__

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"broken-{self.slug()}"


# -- gains and fans ------------------------------------------------------------------


class HeGainForgotten(BrokenBackend):
    """He initializers use gain 1 whatever the nonlinearity (std too small by sqrt(2)
    for relu)."""

    touches = ("HeNormal", "HeUniform")
    caught_by = ("ks", "variance", "tails")

    def he_std(self, owner, shape, negative_slope, mode, nonlinearity):
        return super().he_std(owner, shape, negative_slope, mode, "linear")


class LeakyReluSlopeIgnored(BrokenBackend):
    """He initializers ignore `negative_slope` and always use the relu gain sqrt(2)."""

    touches = ("HeNormal", "HeUniform")
    caught_by = ("ks", "variance", "tails")

    def he_std(self, owner, shape, negative_slope, mode, nonlinearity):
        if nonlinearity == "leaky_relu":
            nonlinearity = "relu"
        return super().he_std(owner, shape, negative_slope, mode, nonlinearity)


class HeModeIgnored(BrokenBackend):
    """He initializers always use fan_in, even with mode='fan_out'."""

    touches = ("HeNormal", "HeUniform")
    caught_by = ("ks", "variance", "tails", "support")

    def he_std(self, owner, shape, negative_slope, mode, nonlinearity):
        return super().he_std(owner, shape, negative_slope, "fan_in", nonlinearity)


class XavierNormalGainSquared(BrokenBackend):
    """XavierNormal multiplies the std by gain**2 (gain applied to the variance and
    to the std)."""

    touches = ("XavierNormal",)
    caught_by = ("ks", "variance", "tails")

    def sample_XavierNormal(self, rng, shape, gain):
        return super().sample_XavierNormal(rng, shape, gain) * gain


class XavierUniformPrecedence(BrokenBackend):
    """XavierUniform bound written ``sqrt(6 / fan_in + fan_out)``: operator precedence."""

    touches = ("XavierUniform",)
    caught_by = ("ks", "variance", "support", "tails")

    def sample_XavierUniform(self, rng, shape, gain):
        fan_in, fan_out = self.fan_in_and_fan_out(shape)
        return self.uniform(rng, gain * math.sqrt(6.0 / fan_in + fan_out), shape)


class FansSwapped(BrokenBackend):
    """fan_in and fan_out swapped everywhere (fills and the fans() capability)."""

    touches = ("HeNormal", "HeUniform", "VarianceScaling", "fans")
    caught_by = ("ks", "variance", "support", "tails", "fans")

    def fan_in_and_fan_out(self, shape):
        fan_in, fan_out = super().fan_in_and_fan_out(shape)
        return fan_out, fan_in


class ReceptiveFieldIgnored(BrokenBackend):
    """Fans of a convolution weight ignore the kernel: (shape[1], shape[0])."""

    touches = ("HeUniform", "XavierNormal", "fans")
    caught_by = ("ks", "variance", "support", "tails", "fans")

    def fan_in_and_fan_out(self, shape):
        shape = checked_shape(shape)
        super().fan_in_and_fan_out(shape)  # keeps the rank check
        return shape[1], shape[0]


class FansCapabilityRank3(BrokenBackend):
    """Only the exported fans() helper is wrong: it multiplies by the receptive field
    once too often for rank >= 3 (the fills use a correct private copy)."""

    touches = ("fans",)
    caught_by = ("fans",)

    def fans(self, shape):
        fan_in, fan_out = super().fans(shape)
        rf = math.prod(tuple(shape)[2:])
        return fan_in * rf, fan_out * rf


class TanhGainCapability(BrokenBackend):
    """The exported gain() returns 5/4 for tanh (a typo of 5/3)."""

    touches = ("gain",)
    caught_by = ("gain",)

    def gain(self, nonlinearity, param=None):
        if nonlinearity == "tanh":
            return 1.25
        return super().gain(nonlinearity, param)


class LeakyReluNoneAsZero(BrokenBackend):
    """gain('leaky_relu', None) uses slope 0 (sqrt(2)) instead of the default 0.01."""

    touches = ("gain",)
    caught_by = ("gain",)

    def nonlinearity_gain(self, nonlinearity, param=None):
        if nonlinearity == "leaky_relu" and param is None:
            param = 0
        return super().nonlinearity_gain(nonlinearity, param)


# -- distributions --------------------------------------------------------------------


class HeUniformMissingSqrt3(BrokenBackend):
    """HeUniform bound is gain/sqrt(fan) (the std) instead of sqrt(3)*gain/sqrt(fan)."""

    touches = ("HeUniform",)
    caught_by = ("ks", "variance", "tails")

    def sample_HeUniform(self, rng, shape, negative_slope, mode, nonlinearity):
        return super().sample_HeUniform(rng, shape, negative_slope, mode, nonlinearity) / math.sqrt(3)


class XavierNormalStdAsVariance(BrokenBackend):
    """XavierNormal passes the variance gain**2*2/(fan_in+fan_out) where the std belongs."""

    touches = ("XavierNormal",)
    caught_by = ("ks", "variance", "tails")

    def sample_XavierNormal(self, rng, shape, gain):
        fan_in, fan_out = self.fan_in_and_fan_out(shape)
        return gain**2 * 2.0 / (fan_in + fan_out) * self.standard_normal(rng, shape)


class NormalMeanIgnored(BrokenBackend):
    """Normal ignores `mean` (always centred at 0)."""

    touches = ("Normal",)
    caught_by = ("ks", "mean")

    def sample_Normal(self, rng, shape, sigma, mean):
        return super().sample_Normal(rng, shape, sigma, 0.0)


class UniformFromZero(BrokenBackend):
    """Uniform draws U(0, scale) instead of U(-scale, scale)."""

    touches = ("Uniform",)
    caught_by = ("ks", "mean", "tails")

    def sample_Uniform(self, rng, shape, scale):
        return np.abs(super().sample_Uniform(rng, shape, scale))


class TruncationBoundsInSigmas(BrokenBackend):
    """TruncatedNormal reads a and b as multiples of sigma around the mean
    (the PyTorch-vs-JAX convention mix-up)."""

    touches = ("TruncatedNormal",)
    caught_by = ("ks", "variance", "tails", "support")

    def sample_TruncatedNormal(self, rng, shape, sigma, mean, a, b):
        return super().sample_TruncatedNormal(
            rng, shape, sigma, mean, mean + a * sigma, mean + b * sigma
        )


class TruncationByClamping(BrokenBackend):
    """TruncatedNormal clips N(mean, sigma**2) to [a, b] instead of conditioning on it:
    atoms at the bounds."""

    touches = ("TruncatedNormal",)
    caught_by = ("ks", "tails", "variance")

    def sample_TruncatedNormal(self, rng, shape, sigma, mean, a, b):
        super().sample_TruncatedNormal(rng, (1,), sigma, mean, a, b)  # validates
        return np.clip(mean + sigma * self.standard_normal(rng, shape), a, b)


class TruncationShiftedByMean(BrokenBackend):
    """TruncatedNormal truncates the centred normal to [a, b] and then adds the mean,
    so values leave [a, b] whenever mean != 0."""

    touches = ("TruncatedNormal",)
    caught_by = ("support", "ks", "mean")

    def sample_TruncatedNormal(self, rng, shape, sigma, mean, a, b):
        return mean + super().sample_TruncatedNormal(rng, shape, sigma, 0.0, a, b)


class VarianceScalingNoTruncationCorrection(BrokenBackend):
    """VarianceScaling truncated_normal uses sigma = sqrt(s), missing the division by
    0.8796..., so the std after truncation is 12% too small."""

    touches = ("VarianceScaling",)
    caught_by = ("ks", "variance", "tails")

    def sample_VarianceScaling(self, rng, shape, scale, mode, distribution):
        values = super().sample_VarianceScaling(rng, shape, scale, mode, distribution)
        if distribution == "truncated_normal":
            values = values * 0.87962566103423978
        return values


class VarianceScalingTruncatedSampledUniform(BrokenBackend):
    """VarianceScaling truncated_normal samples the uniform law of the same variance."""

    touches = ("VarianceScaling",)
    caught_by = ("ks", "tails")

    def sample_VarianceScaling(self, rng, shape, scale, mode, distribution):
        if distribution == "truncated_normal":
            distribution = "uniform"
        return super().sample_VarianceScaling(rng, shape, scale, mode, distribution)


class VarianceScalingFanAvgSummed(BrokenBackend):
    """VarianceScaling mode='fan_avg' uses fan_in + fan_out, forgetting the halving."""

    touches = ("VarianceScaling",)
    caught_by = ("ks", "variance", "tails")

    def sample_VarianceScaling(self, rng, shape, scale, mode, distribution):
        if mode == "fan_avg":
            scale = scale / 2
        return super().sample_VarianceScaling(rng, shape, scale, mode, distribution)


# -- structured laws ------------------------------------------------------------------


class OrthogonalNoSignCorrection(BrokenBackend):
    """Orthogonal returns QR's Q without fixing the signs of diag(R): orthonormal but not
    Haar (LAPACK makes diag(R) negative, which biases the trace)."""

    touches = ("Orthogonal",)
    caught_by = ("haar",)

    def orthonormal(self, rng, rows, cols):
        flat = self.standard_normal(rng, (rows, cols))
        if rows < cols:
            flat = flat.T
        q, _ = np.linalg.qr(flat)
        return q.T if rows < cols else q


class OrthogonalWrongFlattening(BrokenBackend):
    """Orthogonal flattens to (prod(shape[:-1]), shape[-1]) instead of
    (shape[0], prod(shape[1:])), so conv kernels are orthogonal the wrong way."""

    touches = ("Orthogonal",)
    caught_by = ("orthogonal",)

    def sample_Orthogonal(self, rng, shape, gain):
        values = super().sample_Orthogonal(rng, shape, gain)
        if len(shape) > 2:
            values = gain * self.orthonormal(rng, math.prod(shape[:-1]), shape[-1])
        return values.reshape(shape)


class OrthogonalGainIgnored(BrokenBackend):
    """Orthogonal ignores `gain`."""

    touches = ("Orthogonal",)
    caught_by = ("orthogonal",)

    def sample_Orthogonal(self, rng, shape, gain):
        return super().sample_Orthogonal(rng, shape, 1.0)


class DiracCentreOffByOne(BrokenBackend):
    """Dirac puts the 1 at (k - 1) // 2 instead of k // 2: wrong on even kernels."""

    touches = ("Dirac",)
    caught_by = ("exact",)

    def sample_Dirac(self, rng, shape, groups):
        right = super().sample_Dirac(rng, shape, groups)
        # Shift every even-sized spatial axis back by one: k//2 -> (k-1)//2.
        for axis, k in enumerate(shape[2:], start=2):
            if k % 2 == 0:
                right = np.roll(right, -1, axis=axis)
        return right


class IdentityBottomAligned(BrokenBackend):
    """Identity on a tall matrix puts the ones in the last rows (eye with an offset)."""

    touches = ("Identity",)
    caught_by = ("exact",)

    def sample_Identity(self, rng, shape):
        super().sample_Identity(rng, shape)  # rank check
        rows, cols = shape
        return np.eye(rows, cols, k=-max(0, rows - cols))


class ZeroCopyPaste(BrokenBackend):
    """A copy-paste slip in the name -> implementation table: Zero fills ones."""

    touches = ("Zero",)
    caught_by = ("exact",)

    def sample_Zero(self, rng, shape):
        return self.sample_One(rng, shape)


class OneReturnsIntegers(BrokenBackend):
    """One ignores the dtype and returns int64 ones."""

    touches = ("One",)
    caught_by = ("dtype",)

    def fill(self, spec, shape, dtype, seed):
        if spec.name == "One":
            return np.ones(tuple(shape), dtype=np.int64)
        return super().fill(spec, shape, dtype, seed)


class ConstantTruncatedToInt(BrokenBackend):
    """Constant casts `value` through int, dropping its fraction."""

    touches = ("Constant",)
    caught_by = ("exact",)

    def sample_Constant(self, rng, shape, value):
        return super().sample_Constant(rng, shape, int(value))


class SparseFloorZeros(BrokenBackend):
    """Sparse zeroes floor(sparsity * rows) entries per column instead of the ceiling."""

    touches = ("Sparse",)
    caught_by = ("sparsity",)

    def zero_count(self, sparsity, rows):
        return math.floor(sparsity * rows)


class SparseSameZeroRows(BrokenBackend):
    """Sparse draws one set of zero rows and uses it for every column."""

    touches = ("Sparse",)
    caught_by = ("sparsity",)

    def zero_rows(self, rng, rows, cols, zeros):
        chosen = rng.permutation(rows)[:zeros]
        return np.repeat(chosen[:, None], cols, axis=1)


class SparseUnitNonZeros(BrokenBackend):
    """Sparse draws the non-zero entries from N(0, 1), ignoring sigma."""

    touches = ("Sparse",)
    # The battery tests the law of the non-zeros with its ks/variance checks.
    caught_by = ("sparsity", "ks", "variance")

    def sample_Sparse(self, rng, shape, sparsity, sigma):
        values = super().sample_Sparse(rng, shape, sparsity, sigma)
        return values / sigma if sigma > 0 else values


# -- randomness -----------------------------------------------------------------------


class SeedIgnored(BrokenBackend):
    """The seed is ignored: every call draws from seed 0."""

    touches = ("Normal",)
    caught_by = ("seed",)

    def generator(self, seed):
        return super().generator(0)


class OneGlobalStream(BrokenBackend):
    """One generator seeded once at construction and shared by every call (global
    state): the same seed does not give the same bytes."""

    touches = ("Normal",)
    caught_by = ("determinism",)

    def __init__(self):
        self._shared = np.random.default_rng(0)

    def generator(self, seed):
        return self._shared


class SeedAsStreamOffset(BrokenBackend):
    """The seed selects an offset into one fixed stream (seed s skips s draws), so
    neighbouring seeds give shifted copies of each other."""

    touches = ("Normal",)
    caught_by = ("seed",)

    def standard_normal(self, rng, shape):
        return np.random.default_rng(0).standard_normal(math.prod(shape) + self._offset)[
            self._offset:
        ].reshape(shape)

    def fill(self, spec, shape, dtype, seed):
        self._offset = int(seed) % 1024
        return super().fill(spec, shape, dtype, seed)


class RepeatedBlock(BrokenBackend):
    """Normals come from a 4096-value buffer tiled over the tensor (a cache reused)."""

    touches = ("Normal",)
    caught_by = ("independence",)

    def standard_normal(self, rng, shape):
        block = rng.standard_normal(4096)
        return np.resize(block, shape)


# -- dtypes and values ----------------------------------------------------------------


class Float64Leak(BrokenBackend):
    """float32 requests return float64 (the result of the float64 computation)."""

    touches = ("Normal", "Uniform")
    caught_by = ("dtype",)

    def round_to(self, values, dtype):
        if dtype == "float32":
            return values
        return super().round_to(values, dtype)


class ComputedInFloat16(BrokenBackend):
    """float32 requests are computed in float16 and upcast: only 11 significant bits."""

    touches = ("Normal", "XavierUniform")
    caught_by = ("precision",)

    def round_to(self, values, dtype):
        if dtype == "float32":
            return values.astype(np.float16).astype(np.float32)
        return super().round_to(values, dtype)


class Float64ComputedInFloat32(BrokenBackend):
    """float64 requests are computed in float32 and upcast."""

    touches = ("Normal",)
    caught_by = ("precision",)
    dtype_under_test = "float64"

    def round_to(self, values, dtype):
        if dtype == "float64":
            return values.astype(np.float32).astype(np.float64)
        return super().round_to(values, dtype)


class Bfloat16RoundedTowardZero(BrokenBackend):
    """bfloat16 made by dropping the low 16 bits of the float32 (round toward zero), the
    cheap conversion some libraries shipped, instead of rounding to nearest."""

    touches = ("Normal", "Uniform")
    caught_by = ("ks", "mean", "tails")
    dtype_under_test = "bfloat16"

    def round_to(self, values, dtype):
        if dtype == "bfloat16":
            bits = values.astype(np.float32).view(np.uint32) & np.uint32(0xFFFF0000)
            return bits.view(np.float32).astype(ml_dtypes.bfloat16)
        return super().round_to(values, dtype)


class OneNaN(BrokenBackend):
    """One NaN in every random tensor (an uninitialised slot at the end of a buffer)."""

    touches = ("Normal",)
    caught_by = ("finite",)

    def sample_Normal(self, rng, shape, sigma, mean):
        values = super().sample_Normal(rng, shape, sigma, mean)
        values.reshape(-1)[-1] = np.nan
        return values


class ReversedShape(BrokenBackend):
    """Weights come back in the reversed axis order (a channels-last library's layout
    handed back without transposing)."""

    touches = ("Normal",)
    caught_by = ("shape",)

    def fill(self, spec, shape, dtype, seed):
        return super().fill(spec, tuple(shape)[::-1], dtype, seed)


class UniformOutsideSupport(BrokenBackend):
    """Uniform's bound computed with a stale scale of 1.1 * scale for a few values
    (an off-by-one mixing in the next tensor's parameters)."""

    touches = ("Uniform",)
    caught_by = ("support",)

    def sample_Uniform(self, rng, shape, scale):
        values = super().sample_Uniform(rng, shape, scale)
        values.reshape(-1)[:16] *= 1.1
        return values


# -- invalid input accepted -----------------------------------------------------------


class NegativeSigmaAccepted(BrokenBackend):
    """A negative sigma is silently used as abs(sigma) (Normal, TruncatedNormal, Sparse)."""

    touches = ("Normal", "TruncatedNormal", "Sparse")
    caught_by = ("rejects",)

    def sample_Normal(self, rng, shape, sigma, mean):
        return super().sample_Normal(rng, shape, abs(sigma), mean)

    def sample_TruncatedNormal(self, rng, shape, sigma, mean, a, b):
        return super().sample_TruncatedNormal(rng, shape, abs(sigma), mean, a, b)

    def sample_Sparse(self, rng, shape, sparsity, sigma):
        return super().sample_Sparse(rng, shape, sparsity, abs(sigma))


class UnknownModeFallsBack(BrokenBackend):
    """An unknown mode or distribution silently falls back to the default."""

    touches = ("HeUniform", "HeNormal", "VarianceScaling")
    caught_by = ("rejects",)

    def he_std(self, owner, shape, negative_slope, mode, nonlinearity):
        if mode not in ("fan_in", "fan_out"):
            mode = "fan_in"
        return super().he_std(owner, shape, negative_slope, mode, nonlinearity)

    def sample_VarianceScaling(self, rng, shape, scale, mode, distribution):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            mode = "fan_in"
        if distribution not in ("uniform", "untruncated_normal", "truncated_normal"):
            distribution = "truncated_normal"
        return super().sample_VarianceScaling(rng, shape, scale, mode, distribution)


class RankChecksMissing(BrokenBackend):
    """Identity, Sparse and Dirac accept any rank: Identity and Sparse work on the
    first two axes' product, Dirac on a rank-2 shape returns an identity."""

    touches = ("Identity", "Sparse", "Dirac")
    caught_by = ("rejects",)

    def sample_Identity(self, rng, shape):
        return np.eye(shape[0], math.prod(shape[1:]))

    def sample_Sparse(self, rng, shape, sparsity, sigma):
        flat = (shape[0], math.prod(shape[1:]))
        return super().sample_Sparse(rng, flat, sparsity, sigma)

    def sample_Dirac(self, rng, shape, groups):
        if len(shape) < 3:
            return np.eye(shape[0], math.prod(shape[1:]))
        return super().sample_Dirac(rng, shape, groups)


# -- layers ---------------------------------------------------------------------------


class LayerDefaultFanOut(BrokenBackend):
    """Default Dense/Conv2d weights use fan_out (PyTorch's kaiming mode mixed up)."""

    touches = ("layer-default",)
    caught_by = ("layer-default",)

    def layer_default_inits(self, fan_in):
        weight, bias = super().layer_default_inits(fan_in)
        return weight.replace(mode="fan_out"), bias


class LayerBiasWithoutSqrt(BrokenBackend):
    """Default biases are Uniform(1/fan_in) instead of Uniform(1/sqrt(fan_in))."""

    touches = ("layer-default",)
    caught_by = ("layer-default",)

    def layer_default_inits(self, fan_in):
        weight, _ = super().layer_default_inits(fan_in)
        return weight, Spec.make("Uniform", scale=1.0 / fan_in)


BROKEN_BACKENDS: tuple[type[BrokenBackend], ...] = tuple(
    cls for cls in BrokenBackend.__subclasses__()
)
