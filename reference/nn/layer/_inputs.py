"""Argument and input validation shared by the layers: a wrong rank or channel count is
a ValueError that names the layer, what it expected and what it got."""

from __future__ import annotations

import numbers

import numpy as np

from reference.common import dtype as mstype
from reference.common.tensor import Tensor

__all__ = ["check_same_dtype", "input_array", "is_int", "output_tensor", "positive_int"]


def input_array(layer: str, x, ranks: tuple[int, ...] | None, layout: str, channels: int | None = None,
                channel_axis: int = 1) -> np.ndarray:
    """The ndarray behind the Tensor `x`, after checking its rank (one of `ranks`; None:
    any rank >= 1) and, when `channels` is given, its size along `channel_axis`."""
    if not isinstance(x, Tensor):
        raise TypeError(f"For '{layer}', the input must be a Tensor, but got {type(x).__name__}.")
    if ranks is None and x.ndim == 0:
        raise ValueError(f"For '{layer}', the input must be a tensor {layout} of rank >= 1, but got a 0-D tensor.")
    if ranks is not None and x.ndim not in ranks:
        raise ValueError(
            f"For '{layer}', the input must be a {' or '.join(f'{r}-D' for r in ranks)} tensor {layout}, "
            f"but got a {x.ndim}-D tensor of shape {x.shape}."
        )
    if channels is not None and x.shape[channel_axis] != channels:
        raise ValueError(
            f"For '{layer}', the input must have {channels} channels (axis {channel_axis} of {layout}), "
            f"but got {x.shape[channel_axis]} (input shape {x.shape})."
        )
    return x._array


def check_same_dtype(layer: str, x: np.ndarray, weight) -> None:
    """MindSpore's layers refuse an input whose dtype differs from the weight's; so do we,
    rather than silently promoting (a float64 input would give a float64 output)."""
    if x.dtype != weight._array.dtype:
        raise TypeError(
            f"For '{layer}', the input's dtype must be the weight's dtype {weight.dtype}, but got "
            f"{mstype.pytype_to_dtype(x.dtype)}. Cast the input (or create the layer with dtype=...)."
        )


def output_tensor(arr: np.ndarray) -> Tensor:
    """Wrap a freshly computed array as the layer's output Tensor (no copy)."""
    return Tensor._from_array(np.ascontiguousarray(arr))


def is_int(value) -> bool:
    """True for Python and numpy integers, False for bools."""
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool)


def positive_int(layer: str, arg: str, value) -> int:
    """`value` as an int, after checking it is an int >= 1."""
    if not is_int(value):
        raise TypeError(f"For '{layer}', '{arg}' must be an int, but got {value!r}.")
    if value < 1:
        raise ValueError(f"For '{layer}', '{arg}' must be a positive int, but got {value}.")
    return int(value)
