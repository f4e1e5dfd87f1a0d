"""Adapter for JAX's ``jax.nn.initializers`` (SPEC §5).

JAX initializers are factories: ``init = jax.nn.initializers.normal(stddev)``, then
``init(key, shape, dtype)``. How each catalog initializer (SPEC §2) is expressed:

===================  ===========================================================
catalog spec         jax.nn.initializers call
===================  ===========================================================
Zero / One           ``zeros`` / ``ones``
Constant(value)      ``constant(value)``
Normal(sigma, 0)     ``normal(stddev=sigma)``; mean ≠ 0 not provided (JAX's
                     normal has no mean and the adapter does not shift output)
Uniform(scale)       not provided: ``uniform(scale)`` samples U[0, scale), a
                     different law with the same name
TruncatedNormal      ``truncated_normal(stddev=sigma, lower=a/sigma,
(sigma, 0, a, b)     upper=b/sigma)``: JAX's bounds are multiples of stddev, the
                     catalog's are absolute; mean ≠ 0 not provided
XavierUniform(g)     ``variance_scaling(g², 'fan_avg', 'uniform')``; JAX's
                     ``glorot_uniform`` is the g = 1 case
XavierNormal(g)      ``variance_scaling(g², 'fan_avg', 'normal')``; not
                     ``glorot_normal``, which is *truncated*
HeUniform(s, mode,   ``variance_scaling(gain², mode, 'uniform')`` with gain from
nonlinearity)        SPEC §2's table (JAX has no gain function); ``he_uniform``
                     is gain² = 2, mode fan_in
HeNormal             ``variance_scaling(gain², mode, 'normal')``; not
                     ``he_normal``, which is *truncated*
VarianceScaling      ``variance_scaling(scale, mode, distribution)`` with
                     'untruncated_normal' spelt 'normal'; other names pass
                     through so that JAX itself accepts or rejects them
Orthogonal(gain)     ``orthogonal(scale=gain, column_axis=0)``; float16 and
                     bfloat16 raise JAX's own NotImplementedError (its QR has
                     no half-precision kernel), shown as not provided
Identity, Dirac,     not provided: jax.nn.initializers has none
Sparse, aliases
===================  ===========================================================

Layout: JAX kernels are channels-last (``(kh, kw, in, out)``, fans from
``in_axis=-2, out_axis=-1``). The adapter fills the reference layout
``(out, in, *kernel)`` directly by passing ``in_axis=1, out_axis=0`` to
``variance_scaling`` and ``column_axis=0`` to ``orthogonal`` (rows of
``W.reshape(out, -1)`` orthonormal), so no transpose is needed and JAX's own fan
computation is what gets checked.

Gain: a nonlinearity or negative slope that SPEC §2 does not define has no JAX
meaning, so it is not provided (NotImplementedError) rather than rejected by
the adapter on JAX's behalf. A mode or distribution *is* passed to JAX, which
rejects what it does not know (JAX also accepts 'fan_avg' and 'fan_geo_avg' for
any variance-scaling initializer, He included).

Seeds: ``jax.random.key(seed)``; JAX's RNG is functional, so a fill is a pure
function of its arguments. With 64-bit mode off JAX keeps only a seed's low 32
bits, so seeds of 2**32 and more are first hashed to 32 bits
(`initcheck.backends.seeds.seed32`) to stay distinct. float64 needs 64-bit
mode: it is switched on with the ``jax.enable_x64`` context manager for float64
fills only, never globally.
"""

from __future__ import annotations

import contextlib
from numbers import Real

import numpy as np

from initcheck.backends.seeds import seed32

__all__ = ["JaxBackend"]

# SPEC §2's gain table, restated here rather than taken from initcheck.laws: the
# adapter must not share the oracle's arithmetic, or a wrong gain law would make
# JAX's He fills agree with it.
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
_VS_DISTRIBUTION_NAMES = {"untruncated_normal": "normal"}


def _squared_gain(nonlinearity, param) -> float:
    """gain² of SPEC §2 for a variance-scaling `scale`; NotImplementedError outside it."""
    if nonlinearity in _UNIT_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 25.0 / 9.0
    if nonlinearity == "relu":
        return 2.0
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, Real) and not isinstance(slope, bool):
            return 2.0 / (1.0 + float(slope) ** 2)
        raise NotImplementedError(
            f"negative_slope={param!r} is not a number: JAX has no gain function that "
            "could accept or reject it"
        )
    raise NotImplementedError(
        f"nonlinearity={nonlinearity!r} is not in SPEC §2's gain table: JAX has no gain "
        "function that could accept or reject it"
    )


class JaxBackend:
    """``jax.nn.initializers`` as an initcheck backend (see the module docstring)."""

    name = "jax"
    dtypes = ("float16", "bfloat16", "float32", "float64")

    def __init__(self) -> None:
        import jax
        import jax.nn.initializers
        import jax.numpy as jnp

        self._jax = jax
        self._init = jax.nn.initializers
        self.version = jax.__version__
        self._jax_dtypes = {
            "float16": jnp.float16,
            "bfloat16": jnp.bfloat16,
            "float32": jnp.float32,
            "float64": jnp.float64,
        }

    def _initializer(self, spec):
        """The jax.nn.initializers initializer for `spec`, in reference layout."""
        init, p, name = self._init, spec.params, spec.name
        reference_axes = {"in_axis": 1, "out_axis": 0}
        if name == "Zero":
            return init.zeros
        if name == "One":
            return init.ones
        if name == "Constant":
            return init.constant(p["value"])
        if name in ("Normal", "TruncatedNormal") and p["mean"] != 0:
            raise NotImplementedError(
                f"jax.nn.initializers' {name.lower()} has no mean (mean={p['mean']!r})"
            )
        if name == "Normal":
            return init.normal(stddev=p["sigma"])
        if name == "TruncatedNormal":
            sigma = p["sigma"]
            # JAX's bounds are in units of stddev; sigma=0 is left to divide by
            # zero, as an invalid sigma would in any implementation.
            return init.truncated_normal(
                stddev=sigma, lower=p["a"] / sigma, upper=p["b"] / sigma
            )
        if name == "Uniform":
            raise NotImplementedError(
                "jax.nn.initializers.uniform(scale) samples U[0, scale), not U(-scale, scale)"
            )
        if name in ("XavierUniform", "XavierNormal"):
            distribution = "uniform" if name == "XavierUniform" else "normal"
            return init.variance_scaling(
                float(p["gain"]) ** 2, "fan_avg", distribution, **reference_axes
            )
        if name in ("HeUniform", "HeNormal"):
            distribution = "uniform" if name == "HeUniform" else "normal"
            scale = _squared_gain(p["nonlinearity"], p["negative_slope"])
            return init.variance_scaling(scale, p["mode"], distribution, **reference_axes)
        if name == "VarianceScaling":
            distribution = _VS_DISTRIBUTION_NAMES.get(p["distribution"], p["distribution"])
            return init.variance_scaling(p["scale"], p["mode"], distribution, **reference_axes)
        if name == "Orthogonal":
            return init.orthogonal(scale=p["gain"], column_axis=0)
        raise NotImplementedError(f"jax.nn.initializers has no equivalent of {name!r}")

    def fill(self, spec, shape, dtype, seed):
        jax_dtype = self._jax_dtypes.get(dtype)
        if jax_dtype is None:
            raise ValueError(f"dtype must be one of {self.dtypes}, got {dtype!r}")
        initializer = self._initializer(spec)
        x64 = self._jax.enable_x64(True) if dtype == "float64" else contextlib.nullcontext()
        with x64:
            key = self._jax.random.key(seed32(seed))
            values = initializer(key, tuple(shape), jax_dtype)
            return np.asarray(values)
