"""``Dense``, mirroring ``mindspore.nn.Dense``: ``y = activation(x @ weight.T + bias)``.

The weight is ``(out_channels, in_channels)``; defaults are weight
``HeUniform(math.sqrt(5))`` and bias ``Uniform(1 / sqrt(in_channels))``.
"""

from __future__ import annotations

import math

import numpy as np

from reference.common import dtype as mstype
from reference.common.initializer import HeUniform, Uniform, initializer
from reference.common.parameter import Parameter
from reference.common.tensor import Tensor
from reference.nn.cell import Cell
from reference.nn.layer.activation import get_activation
from reference.nn.layer._inputs import check_same_dtype, input_array, output_tensor, positive_int

__all__ = ["Dense"]

class Dense(Cell):
    """Fully connected layer on inputs whose last axis has `in_channels` elements.

    `activation` is None, a Cell applied to the output, or the name of one ('relu',
    'sigmoid', 'tanh'; MindSpore knows more names).

    >>> import numpy as np, reference as ms
    >>> from reference import nn
    >>> nn.Dense(3, 4)(ms.Tensor(np.ones((2, 3), np.float32))).shape
    (2, 4)
    """

    def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True, activation=None,
                 dtype=mstype.float32) -> None:
        super().__init__()
        self.in_channels = positive_int("Dense", "in_channels", in_channels)
        self.out_channels = positive_int("Dense", "out_channels", out_channels)
        if not isinstance(has_bias, bool):
            raise TypeError(f"For 'Dense', 'has_bias' must be a bool, but got {has_bias!r}.")
        self.has_bias = has_bias
        if isinstance(weight_init, Tensor) and weight_init.shape != (out_channels, in_channels):
            raise ValueError(
                f"For 'Dense', a Tensor 'weight_init' must have shape (out_channels, in_channels) = "
                f"{(out_channels, in_channels)}, but got {weight_init.shape}."
            )
        if weight_init is None:
            weight_init = HeUniform(math.sqrt(5))
        self.weight = Parameter(initializer(weight_init, (out_channels, in_channels), dtype=dtype), name="weight")
        self.bias = None
        if has_bias:
            if isinstance(bias_init, Tensor) and bias_init.shape != (out_channels,):
                raise ValueError(
                    f"For 'Dense', a Tensor 'bias_init' must have shape (out_channels,) = ({out_channels},), "
                    f"but got {bias_init.shape}."
                )
            if bias_init is None:
                bias_init = Uniform(scale=1 / math.sqrt(in_channels))
            self.bias = Parameter(initializer(bias_init, (out_channels,), dtype=dtype), name="bias")
        if isinstance(activation, str):
            activation = get_activation(activation)
        elif activation is not None and not isinstance(activation, Cell):
            raise TypeError(f"For 'Dense', 'activation' must be a str or a Cell, but got {type(activation).__name__}.")
        self.activation = activation

    def construct(self, x):
        arr = input_array("Dense", x, None, "(..., in_channels)", self.in_channels, channel_axis=-1)
        check_same_dtype("Dense", arr, self.weight)
        # float16 products are accumulated in float32, as the backends do.
        compute = np.promote_types(arr.dtype, np.float32)
        out = np.matmul(arr.astype(compute, copy=False), self.weight._array.T.astype(compute, copy=False))
        if self.has_bias:
            out = out + self.bias._array
        result = output_tensor(out.astype(arr.dtype, copy=False))
        if self.activation is not None:
            result = self.activation(result)
        return result

    def extend_repr(self) -> str:
        text = f"input_channels={self.in_channels}, output_channels={self.out_channels}, has_bias={self.has_bias}"
        if self.activation is not None:
            text += f", activation={self.activation}"
        return text
