"""Vectorised numpy forward kernels behind ``reference.nn``'s layers.

Everything here works on plain ndarrays in channels-first layout; the layers validate
their inputs and translate MindSpore's arguments (pad modes, padding tuples) into the
explicit per-axis ``(low, high)`` paddings these kernels take.

Convolution is im2col: a strided, dilated window view of the padded input (no copy until
the final reshape) contracted with the kernel by one batched matrix product per group, so
there is no Python loop over output positions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "batch_norm",
    "batch_statistics",
    "conv_nd",
    "conv_output_length",
    "conv_transpose_nd",
    "layer_norm",
    "same_padding",
]


def _compute_dtype(*arrays: np.ndarray) -> np.dtype:
    # Half-precision inputs are accumulated in float32 (as the backends do), never in
    # float16, whose 11-bit mantissa would lose most of a long dot product.
    dtype = np.result_type(*arrays)
    if not np.issubdtype(dtype, np.floating) or dtype.itemsize < 4:
        return np.dtype(np.float32)
    return dtype


def same_padding(length: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """MindSpore's (and TensorFlow's) 'same' padding of one axis: output ceil(length/stride),
    the smaller half of the padding on the low side."""
    extent = dilation * (kernel - 1) + 1
    out = -(-length // stride)
    needed = max(0, (out - 1) * stride + extent - length)
    return needed // 2, needed - needed // 2


def conv_output_length(length: int, kernel: int, stride: int, dilation: int, pad: tuple[int, int]) -> int:
    """Output length of a convolution of one axis with explicit padding (may be <= 0)."""
    extent = dilation * (kernel - 1) + 1
    return (length + pad[0] + pad[1] - extent) // stride + 1


def _pad_or_crop(x: np.ndarray, pads: Sequence[tuple[int, int]]) -> np.ndarray:
    """Zero-pad (positive) or crop (negative) each trailing spatial axis at both ends."""
    lead = x.ndim - len(pads)
    crop = [slice(None)] * lead + [
        slice(max(0, -lo), x.shape[lead + i] - max(0, -hi)) for i, (lo, hi) in enumerate(pads)
    ]
    x = x[tuple(crop)]
    widths = [(0, 0)] * lead + [(max(0, lo), max(0, hi)) for lo, hi in pads]
    if any(lo or hi for lo, hi in widths):
        x = np.pad(x, widths)
    return x


def conv_nd(
    x: np.ndarray,
    weight: np.ndarray,
    stride: Sequence[int],
    dilation: Sequence[int],
    pads: Sequence[tuple[int, int]],
    group: int = 1,
) -> np.ndarray:
    """Cross-correlation of ``x`` (N, C, *S) with ``weight`` (O, C/group, *K).

    ``pads`` gives the zero padding ``(low, high)`` of every spatial axis. Returns
    (N, O, *S_out) in the inputs' result dtype (float32 or wider).
    """
    dtype = _compute_dtype(x, weight)
    nd = x.ndim - 2
    n, c = x.shape[:2]
    o = weight.shape[0]
    kernel = weight.shape[2:]
    xp = _pad_or_crop(x.astype(dtype, copy=False), pads)
    spatial_axes = tuple(range(2, 2 + nd))
    extents = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    windows = sliding_window_view(xp, extents, axis=spatial_axes)
    # windows: (N, C, *positions, *extent); keep every stride-th position and every
    # dilation-th tap of each window.
    index = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)
    index += tuple(slice(None, None, d) for d in dilation)
    windows = windows[index]
    out_shape = windows.shape[2 : 2 + nd]
    positions = math.prod(out_shape)
    cg, og = c // group, o // group
    taps = math.prod(kernel)
    # (N, g, C/g, *out, *K) -> (g, N, *out, C/g, *K) -> (g, N*P, C/g*K): the im2col matrix.
    windows = windows.reshape((n, group, cg) + out_shape + tuple(kernel))
    order = (1, 0) + tuple(range(3, 3 + nd)) + (2,) + tuple(range(3 + nd, 3 + 2 * nd))
    columns = windows.transpose(order).reshape(group, n * positions, cg * taps)
    kernels = weight.astype(dtype, copy=False).reshape(group, og, cg * taps).transpose(0, 2, 1)
    out = np.matmul(columns, kernels)  # (g, N*P, O/g)
    out = out.reshape((group, n) + out_shape + (og,))
    out = np.moveaxis(out, 0, -2).reshape((n,) + out_shape + (o,))
    return np.ascontiguousarray(np.moveaxis(out, -1, 1))


def conv_transpose_nd(
    x: np.ndarray,
    weight: np.ndarray,
    stride: Sequence[int],
    dilation: Sequence[int],
    pad_low: Sequence[int],
    out_spatial: Sequence[int],
    group: int = 1,
) -> np.ndarray:
    """Transposed convolution (the gradient of ``conv_nd`` with respect to its input).

    ``x`` is (N, C_in, *S), ``weight`` is (C_in, C_out/group, *K) as MindSpore stores it.
    Output element ``o`` of an axis is element ``o + pad_low`` of the full transposed
    convolution (length ``(S-1)*stride + dilation*(K-1) + 1``); positions beyond the full
    result are zero. ``out_spatial`` is the output's spatial shape.
    """
    dtype = _compute_dtype(x, weight)
    nd = x.ndim - 2
    n, c_in = x.shape[:2]
    kernel = weight.shape[2:]
    c_out = weight.shape[1] * group
    # Scatter the input onto a grid with stride-1 zeros between samples; the transposed
    # convolution is then a plain stride-1 convolution of that grid with the flipped,
    # channel-swapped kernel.
    grid_shape = tuple((s - 1) * st + 1 for s, st in zip(x.shape[2:], stride))
    grid = np.zeros((n, c_in) + grid_shape, dtype=dtype)
    grid[(slice(None), slice(None)) + tuple(slice(None, None, st) for st in stride)] = x
    pads = []
    for g_len, k, d, lo, out_len in zip(grid_shape, kernel, dilation, pad_low, out_spatial):
        extent = d * (k - 1) + 1
        low = extent - 1 - lo
        pads.append((low, out_len + extent - 1 - g_len - low))
    cig, cog = c_in // group, c_out // group
    w = weight.astype(dtype, copy=False).reshape((group, cig, cog) + tuple(kernel))
    w = w.swapaxes(1, 2).reshape((c_out, cig) + tuple(kernel))
    w = np.flip(w, axis=tuple(range(2, 2 + nd)))
    return conv_nd(grid, w, (1,) * nd, dilation, pads, group)


def batch_norm(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    mean: np.ndarray,
    variance: np.ndarray,
    eps: float,
) -> np.ndarray:
    """``(x - mean) / sqrt(variance + eps) * gamma + beta`` with per-channel (axis 1) vectors."""
    dtype = _compute_dtype(x, gamma)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    scale = (gamma.astype(dtype) / np.sqrt(variance.astype(dtype) + dtype.type(eps))).reshape(shape)
    shift = beta.astype(dtype).reshape(shape) - mean.astype(dtype).reshape(shape) * scale
    return x.astype(dtype, copy=False) * scale + shift


def batch_statistics(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-channel mean, biased variance (for normalising) and unbiased variance (for
    the moving average, as MindSpore's BatchNorm keeps it) of ``x`` (N, C, ...)."""
    axes = (0,) + tuple(range(2, x.ndim))
    dtype = _compute_dtype(x)
    xd = x.astype(dtype, copy=False)
    mean = xd.mean(axis=axes)
    count = x.size // x.shape[1]
    biased = np.square(xd - mean.reshape((1, -1) + (1,) * (x.ndim - 2))).mean(axis=axes)
    return mean, biased, biased * (count / (count - 1))


def layer_norm(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    begin_norm_axis: int,
    eps: float,
) -> np.ndarray:
    """Normalise over axes ``begin_norm_axis..`` (biased variance), then scale by ``gamma``
    and shift by ``beta``, which broadcast against the trailing axes."""
    dtype = _compute_dtype(x, gamma)
    axes = tuple(range(begin_norm_axis, x.ndim))
    xd = x.astype(dtype, copy=False)
    mean = xd.mean(axis=axes, keepdims=True)
    centred = xd - mean
    variance = np.square(centred).mean(axis=axes, keepdims=True)
    return centred / np.sqrt(variance + dtype.type(eps)) * gamma.astype(dtype) + beta.astype(dtype)
