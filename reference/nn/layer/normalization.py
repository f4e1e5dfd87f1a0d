"""``BatchNorm1d``, ``BatchNorm2d`` and ``LayerNorm``, mirroring ``mindspore.nn``.

BatchNorm keeps MindSpore's parameters ``moving_mean``, ``moving_variance`` (not
trainable), ``gamma`` and ``beta`` (trainable when ``affine``) and its momentum
convention: after a training step ``moving = momentum * moving + (1 - momentum) * batch``
(``momentum=0.9`` keeps 90% of the old value), where the batch variance fed into the
moving average is the unbiased one and the variance used to normalise is the biased one.
"""

from __future__ import annotations

import numbers

import numpy as np

from reference.common import dtype as mstype
from reference.common.initializer import initializer
from reference.common.parameter import Parameter
from reference.nn import _numpy_ops as ops
from reference.nn.cell import Cell
from reference.nn.layer._inputs import input_array, is_int, output_tensor, positive_int

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


class _BatchNorm(Cell):
    _ranks: tuple[int, ...]
    _layout: str

    def __init__(self, num_features, eps=1e-5, momentum=0.9, affine=True, gamma_init="ones", beta_init="zeros",
                 moving_mean_init="zeros", moving_var_init="ones", use_batch_statistics=None, data_format="NCHW",
                 dtype=mstype.float32) -> None:
        super().__init__()
        name = self.cls_name
        self.num_features = positive_int(name, "num_features", num_features)
        if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
            raise ValueError(f"For '{name}', 'momentum' must be a number in [0, 1], but got {momentum!r}.")
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or eps <= 0:
            raise ValueError(f"For '{name}', 'eps' must be a positive number, but got {eps!r}.")
        if use_batch_statistics is not None and not isinstance(use_batch_statistics, bool):
            raise ValueError(
                f"For '{name}', 'use_batch_statistics' must be a bool or None, but got {use_batch_statistics!r}."
            )
        if data_format != "NCHW":
            raise ValueError(f"For '{name}', only data_format='NCHW' is supported, but got {data_format!r}.")
        if not isinstance(affine, bool):
            raise TypeError(f"For '{name}', 'affine' must be a bool, but got {affine!r}.")
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.use_batch_statistics = use_batch_statistics
        self.data_format = data_format
        shape = (self.num_features,)
        # MindSpore's own names before the cell renames them: "mean" and "variance".
        self.moving_mean = Parameter(initializer(moving_mean_init, shape, dtype=dtype), name="mean",
                                     requires_grad=False)
        self.moving_variance = Parameter(initializer(moving_var_init, shape, dtype=dtype), name="variance",
                                         requires_grad=False)
        self.gamma = Parameter(initializer(gamma_init, shape, dtype=dtype), name="gamma", requires_grad=affine)
        self.beta = Parameter(initializer(beta_init, shape, dtype=dtype), name="beta", requires_grad=affine)

    def construct(self, x):
        arr = input_array(self.cls_name, x, self._ranks, self._layout, self.num_features)
        use_batch = self.training if self.use_batch_statistics is None else self.use_batch_statistics
        if use_batch:
            count = arr.size // self.num_features
            if count < 2:
                raise ValueError(
                    f"For '{self.cls_name}', batch statistics need more than one value per channel, "
                    f"but the input of shape {arr.shape} has {count}."
                )
            mean, biased, unbiased = ops.batch_statistics(arr)
            keep = self.momentum
            for param, batch_value in ((self.moving_mean, mean), (self.moving_variance, unbiased)):
                moving = param._array
                moving[...] = keep * moving + (1 - keep) * batch_value
            out = ops.batch_norm(arr, self.gamma._array, self.beta._array, mean, biased, self.eps)
        else:
            out = ops.batch_norm(arr, self.gamma._array, self.beta._array, self.moving_mean._array,
                                 self.moving_variance._array, self.eps)
        return output_tensor(out.astype(arr.dtype, copy=False))

    def extend_repr(self) -> str:
        return (
            f"num_features={self.num_features}, eps={self.eps}, momentum={self.momentum}, gamma={self.gamma}, "
            f"beta={self.beta}, moving_mean={self.moving_mean}, moving_variance={self.moving_variance}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs over every axis but C.

    >>> import numpy as np, reference as ms
    >>> from reference import nn
    >>> bn = nn.BatchNorm1d(3).set_train()
    >>> bn(ms.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))).shape
    (2, 3)
    """

    _ranks = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs over every axis but C."""

    _ranks = (4,)
    _layout = "(N, C, H, W)"


class LayerNorm(Cell):
    """Normalise over axes ``begin_norm_axis..`` and apply ``gamma``/``beta`` (of shape
    `normalized_shape`) over axes ``begin_params_axis..``.

    >>> import numpy as np, reference as ms
    >>> from reference import nn
    >>> nn.LayerNorm((4,))(ms.Tensor(np.ones((2, 4), np.float32))).shape
    (2, 4)
    """

    def __init__(self, normalized_shape, begin_norm_axis=-1, begin_params_axis=-1, gamma_init="ones",
                 beta_init="zeros", epsilon=1e-7, dtype=mstype.float32) -> None:
        super().__init__()
        if not isinstance(normalized_shape, (tuple, list)):
            raise TypeError(
                f"For 'LayerNorm', 'normalized_shape' must be a tuple or list of ints, but got {normalized_shape!r}."
            )
        if not normalized_shape:
            raise ValueError(f"For 'LayerNorm', 'normalized_shape' must not be empty, but got {normalized_shape!r}.")
        for arg, value in (("begin_norm_axis", begin_norm_axis), ("begin_params_axis", begin_params_axis)):
            if not is_int(value):
                raise TypeError(f"For 'LayerNorm', '{arg}' must be an int, but got {value!r}.")
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or epsilon <= 0:
            raise ValueError(f"For 'LayerNorm', 'epsilon' must be a positive number, but got {epsilon!r}.")
        self.normalized_shape = normalized_shape
        self.begin_norm_axis = int(begin_norm_axis)
        self.begin_params_axis = int(begin_params_axis)
        self.epsilon = float(epsilon)
        shape = tuple(normalized_shape)
        self.gamma = Parameter(initializer(gamma_init, shape, dtype=dtype), name="gamma")
        self.beta = Parameter(initializer(beta_init, shape, dtype=dtype), name="beta")

    def _axis(self, arg: str, axis: int, rank: int, shape) -> int:
        if not -rank <= axis < rank:
            raise ValueError(
                f"For 'LayerNorm', '{arg}'={axis} is out of range for an input of rank {rank} (shape {shape})."
            )
        return axis % rank

    def construct(self, x):
        arr = input_array("LayerNorm", x, None, "(..., *normalized_shape)")
        norm_axis = self._axis("begin_norm_axis", self.begin_norm_axis, arr.ndim, arr.shape)
        params_axis = self._axis("begin_params_axis", self.begin_params_axis, arr.ndim, arr.shape)
        gamma, beta = self.gamma._array, self.beta._array
        if arr.shape[params_axis:] != gamma.shape:
            raise ValueError(
                f"For 'LayerNorm', the input's axes from begin_params_axis={self.begin_params_axis} on must "
                f"have the shape of gamma and beta {gamma.shape}, but the input has shape {arr.shape}."
            )
        out = ops.layer_norm(arr, gamma, beta, norm_axis, self.epsilon)
        return output_tensor(out.astype(arr.dtype, copy=False))

    def extend_repr(self) -> str:
        return (
            f"normalized_shape={self.normalized_shape}, begin_norm_axis={self.begin_norm_axis}, "
            f"begin_params_axis={self.begin_params_axis}, gamma={self.gamma}, beta={self.beta}"
        )
