"""Element-wise activation cells (``ReLU``, ``Sigmoid``, ``Tanh``), mirroring ``mindspore.nn``.

``Dense(activation='relu')`` holds one of these as its child cell ``activation``, as
MindSpore does, so traversals list it.
"""

from __future__ import annotations

import numpy as np

from reference.common.tensor import Tensor
from reference.nn.cell import Cell
from reference.nn.layer._inputs import output_tensor

__all__ = ["ReLU", "Sigmoid", "Tanh", "get_activation"]


class _Elementwise(Cell):
    def _apply(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def construct(self, x):
        if not isinstance(x, Tensor):
            raise TypeError(f"For '{self.cls_name}', the input must be a Tensor, but got {type(x).__name__}.")
        arr = x._array
        return output_tensor(self._apply(arr).astype(arr.dtype, copy=False))


class ReLU(_Elementwise):
    """``max(x, 0)``."""

    def _apply(self, x):
        return np.maximum(x, 0)


class Sigmoid(_Elementwise):
    """``1 / (1 + exp(-x))``."""

    def _apply(self, x):
        # exp of a large positive argument overflows; split by sign to stay finite.
        z = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


class Tanh(_Elementwise):
    """``tanh(x)``."""

    def _apply(self, x):
        return np.tanh(x)


_BY_NAME = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}


def get_activation(name: str) -> Cell:
    """A new activation cell for `name` ('relu', 'sigmoid' or 'tanh', case-insensitive)."""
    if not isinstance(name, str) or name.lower() not in _BY_NAME:
        raise ValueError(f"The activation name must be one of {sorted(_BY_NAME)}, but got {name!r}.")
    return _BY_NAME[name.lower()]()
