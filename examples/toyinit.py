"""toyinit: a tiny initializer library, standing in for *your* library.

It is the kind of code initcheck checks: a few fill functions, each drawing from the
numpy Generator it is given, with fan and gain helpers. ``toyinit_backend.py`` beside
it is the adapter that lets initcheck check it.
"""

import math

import numpy as np

__version__ = "0.3.1"

GAINS = {
    **dict.fromkeys(["linear", "sigmoid", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                     "conv_transpose2d", "conv_transpose3d"], 1.0),
    "tanh": 5 / 3,
    "relu": math.sqrt(2),
}


def fans(shape):
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel)."""
    if len(shape) < 2:
        raise ValueError(f"fans need a shape of rank >= 2, got {shape}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def gain(nonlinearity, slope=None):
    if nonlinearity == "leaky_relu":
        slope = 0.01 if slope is None else slope
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise TypeError(f"leaky_relu slope must be a number, got {slope!r}")
        return math.sqrt(2 / (1 + slope**2))
    if nonlinearity not in GAINS:
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}")
    return GAINS[nonlinearity]


def constant(shape, value, dtype):
    return np.full(shape, value, dtype=dtype)


def normal(shape, std, rng, dtype, mean=0.0):
    return rng.normal(mean, std, size=shape).astype(dtype)


def uniform(shape, bound, rng, dtype):
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def kaiming(shape, rng, dtype, gain=math.sqrt(2), mode="fan_in", distribution="uniform"):
    fan_in, fan_out = fans(shape)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"unknown mode {mode!r}")
    std = gain / math.sqrt(fan_in if mode == "fan_in" else fan_out)
    if distribution == "uniform":
        return uniform(shape, math.sqrt(3) * std, rng, dtype)
    return normal(shape, std, rng, dtype)


def glorot_normal(shape, rng, dtype, gain=1.0):
    fan_in, fan_out = fans(shape)
    return normal(shape, gain * math.sqrt(2 / (fan_in + fan_out)), rng, dtype)
