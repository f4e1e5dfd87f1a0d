"""Convolution layers, mirroring ``mindspore.nn.Conv1d/Conv2d/Conv3d/Conv2dTranspose``.

Weights are ``(out_channels, in_channels // group, *kernel_size)`` (Conv1d keeps
MindSpore's 4-D ``(out, in // group, 1, k)``), transposed convolutions store
``(in_channels, out_channels // group, *kernel_size)``. Defaults: weight
``HeUniform(math.sqrt(5))``, bias ``Uniform(1 / sqrt(fan_in))`` with fan_in from the
weight's shape, ``has_bias=False``, ``pad_mode='same'``.

Padding tuples follow MindSpore: Conv2d ``(top, bottom, left, right)``, Conv3d
``(head, tail, top, bottom, left, right)``, i.e. ``(low, high)`` per spatial axis in order.
"""

from __future__ import annotations

import math
import numpy as np

from reference.common import dtype as mstype
from reference.common.initializer import HeUniform, Uniform, _calculate_fan_in_and_fan_out, initializer
from reference.common.parameter import Parameter
from reference.common.tensor import Tensor
from reference.nn import _numpy_ops as ops
from reference.nn.cell import Cell
from reference.nn.layer._inputs import check_same_dtype, input_array, is_int, output_tensor, positive_int

__all__ = ["Conv1d", "Conv2d", "Conv2dTranspose", "Conv3d"]

_PAD_MODES = ("same", "valid", "pad")


def _int_tuple(layer: str, arg: str, value, length: int, minimum: int) -> tuple[int, ...]:
    """`value` (an int or a tuple of `length` ints, each >= `minimum`) as a tuple."""
    if is_int(value):
        value = (value,) * length
    if not isinstance(value, tuple) or not all(is_int(v) for v in value):
        raise TypeError(f"For '{layer}', '{arg}' must be an int or a tuple of {length} ints, but got {value!r}.")
    if len(value) != length or any(v < minimum for v in value):
        raise ValueError(
            f"For '{layer}', '{arg}' must be an int or a tuple of {length} ints, each >= {minimum}, "
            f"but got {value!r}."
        )
    return tuple(int(v) for v in value)


class _Conv(Cell):
    """Parameters and validation shared by the convolution layers.

    `nd` is the number of spatial axes of the weight (2 for Conv1d, which keeps
    MindSpore's 4-D weight).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                 has_bias, weight_init, bias_init, dtype, nd: int, transposed: bool = False) -> None:
        super().__init__()
        name = self.cls_name
        self.in_channels = positive_int(name, "in_channels", in_channels)
        self.out_channels = positive_int(name, "out_channels", out_channels)
        self.kernel_size = _int_tuple(name, "kernel_size", kernel_size, nd, 1)
        self.stride = _int_tuple(name, "stride", stride, nd, 1)
        self.dilation = _int_tuple(name, "dilation", dilation, nd, 1)
        self.group = positive_int(name, "group", group)
        if self.in_channels % self.group or self.out_channels % self.group:
            raise ValueError(
                f"For '{name}', 'in_channels' and 'out_channels' must be divisible by 'group', but got "
                f"in_channels={in_channels}, out_channels={out_channels}, group={group}."
            )
        if not isinstance(pad_mode, str) or pad_mode.lower() not in _PAD_MODES:
            raise ValueError(f"For '{name}', 'pad_mode' must be one of {_PAD_MODES}, but got {pad_mode!r}.")
        self.pad_mode = pad_mode.lower()
        self.padding = padding
        self._pads = self._explicit_padding(padding, nd)
        if self.pad_mode != "pad" and any(lo or hi for lo, hi in self._pads):
            raise ValueError(
                f"For '{name}', 'padding' must be 0 when 'pad_mode' is not 'pad', but got "
                f"padding={padding!r} with pad_mode={pad_mode!r}."
            )
        if not isinstance(has_bias, bool):
            raise TypeError(f"For '{name}', 'has_bias' must be a bool, but got {has_bias!r}.")
        self.has_bias = has_bias
        if transposed:
            shape = (self.in_channels, self.out_channels // self.group) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.group) + self.kernel_size
        if weight_init is None:
            weight_init = HeUniform(math.sqrt(5))
        self.weight_init = weight_init
        self.weight = Parameter(initializer(weight_init, shape, dtype=dtype), name="weight")
        if has_bias:
            if bias_init is None:
                fan_in, _ = _calculate_fan_in_and_fan_out(shape)
                bias_init = Uniform(1 / math.sqrt(fan_in))
            self.bias_init = bias_init
            self.bias = Parameter(initializer(bias_init, (self.out_channels,), dtype=dtype), name="bias")
        else:
            self.bias_init = bias_init
            self.bias = None

    def _explicit_padding(self, padding, nd: int) -> list[tuple[int, int]]:
        """MindSpore's `padding` (an int, or a (low, high) pair per spatial axis) as pairs."""
        if is_int(padding):
            values = (padding,) * (2 * nd)
        elif isinstance(padding, tuple) and all(is_int(p) for p in padding):
            if len(padding) != 2 * nd:
                raise ValueError(
                    f"For '{self.cls_name}', a 'padding' tuple must have {2 * nd} elements "
                    f"((low, high) per spatial axis), but got {padding!r}."
                )
            values = padding
        else:
            raise TypeError(f"For '{self.cls_name}', 'padding' must be an int or a tuple of ints, but got {padding!r}.")
        if any(v < 0 for v in values):
            raise ValueError(f"For '{self.cls_name}', 'padding' must be non-negative, but got {padding!r}.")
        return [(int(values[2 * i]), int(values[2 * i + 1])) for i in range(nd)]

    def _add_bias(self, out: np.ndarray) -> np.ndarray:
        if self.has_bias:
            out = out + self.bias._array.reshape((1, -1) + (1,) * (out.ndim - 2))
        return out

    def extend_repr(self) -> str:
        return (
            f"input_channels={self.in_channels}, output_channels={self.out_channels}, "
            f"kernel_size={self.kernel_size}, stride={self.stride}, pad_mode={self.pad_mode}, "
            f"padding={self.padding}, dilation={self.dilation}, group={self.group}, has_bias={self.has_bias}, "
            f"weight_init={self.weight_init}, bias_init={self.bias_init}"
        )


class _ConvForward(_Conv):
    """Forward of a direct convolution over `_spatial_rank` input axes."""

    _spatial_rank: int
    _layout: str

    def _pads_for(self, spatial: tuple[int, ...]) -> list[tuple[int, int]]:
        if self.pad_mode == "same":
            return [ops.same_padding(n, k, s, d) for n, k, s, d in zip(spatial, self.kernel_size, self.stride, self.dilation)]
        if self.pad_mode == "valid":
            return [(0, 0)] * len(spatial)
        return self._pads

    def _convolve(self, x: np.ndarray) -> np.ndarray:
        check_same_dtype(self.cls_name, x, self.weight)
        spatial = x.shape[2:]
        pads = self._pads_for(spatial)
        lengths = [ops.conv_output_length(n, k, s, d, p)
                   for n, k, s, d, p in zip(spatial, self.kernel_size, self.stride, self.dilation, pads)]
        if min(lengths) < 1:
            raise ValueError(
                f"For '{self.cls_name}', the input's spatial shape {tuple(spatial)} is too small for "
                f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={pads} "
                f"(pad_mode={self.pad_mode!r}): the output would have shape {tuple(lengths)}."
            )
        out = ops.conv_nd(x, self.weight._array, self.stride, self.dilation, pads, self.group)
        return self._add_bias(out).astype(x.dtype, copy=False)

    def construct(self, x):
        arr = input_array(self.cls_name, x, (2 + self._spatial_rank,), self._layout, self.in_channels)
        return output_tensor(self._convolve(arr))


class Conv2d(_ConvForward):
    """2-D convolution of (N, C_in, H, W) inputs with MindSpore's signature and defaults.

    >>> import numpy as np, reference as ms
    >>> from reference import nn
    >>> nn.Conv2d(3, 64, 3)(ms.Tensor(np.ones((1, 3, 16, 50), np.float32))).shape
    (1, 64, 16, 50)
    """

    _spatial_rank = 2
    _layout = "(N, C_in, H, W)"

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0, dilation=1,
                 group=1, has_bias=False, weight_init=None, bias_init=None, data_format="NCHW",
                 dtype=mstype.float32) -> None:
        if data_format != "NCHW":
            raise ValueError(f"For 'Conv2d', only data_format='NCHW' is supported, but got {data_format!r}.")
        self.data_format = data_format
        super().__init__(in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                         has_bias, weight_init, bias_init, dtype, nd=2)


class Conv3d(_ConvForward):
    """3-D convolution of (N, C_in, D, H, W) inputs with MindSpore's signature and defaults."""

    _spatial_rank = 3
    _layout = "(N, C_in, D, H, W)"

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0, dilation=1,
                 group=1, has_bias=False, weight_init=None, bias_init=None, data_format="NCDHW",
                 dtype=mstype.float32) -> None:
        if data_format != "NCDHW":
            raise ValueError(f"For 'Conv3d', only data_format='NCDHW' is supported, but got {data_format!r}.")
        self.data_format = data_format
        super().__init__(in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                         has_bias, weight_init, bias_init, dtype, nd=3)


class Conv1d(_ConvForward):
    """1-D convolution of (N, C_in, L) inputs; the weight is MindSpore's 4-D (out, in // group, 1, k).

    `kernel_size`, `stride`, `padding` and `dilation` are ints, as in MindSpore.
    """

    _spatial_rank = 1
    _layout = "(N, C_in, L)"

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0, dilation=1,
                 group=1, has_bias=False, weight_init=None, bias_init=None, dtype=mstype.float32) -> None:
        for arg, value, minimum in (("kernel_size", kernel_size, 1), ("stride", stride, 1), ("padding", padding, 0),
                                    ("dilation", dilation, 1)):
            if not is_int(value):
                raise TypeError(f"For 'Conv1d', '{arg}' must be an int, but got {value!r}.")
            if value < minimum:
                raise ValueError(f"For 'Conv1d', '{arg}' must be >= {minimum}, but got {value}.")
        if isinstance(weight_init, Tensor):
            if weight_init.ndim != 3:
                raise ValueError(
                    f"For 'Conv1d', a Tensor 'weight_init' must be 3-D (out, in // group, k), "
                    f"but got shape {weight_init.shape}."
                )
            weight_init = Tensor._from_array(np.expand_dims(weight_init._array, 2).copy())
        super().__init__(in_channels, out_channels, (1, kernel_size), (1, stride), pad_mode, (0, 0, padding, padding),
                         (1, dilation), group, has_bias, weight_init, bias_init, dtype, nd=2)
        self.padding = padding

    def construct(self, x):
        arr = input_array(self.cls_name, x, (3,), self._layout, self.in_channels)
        return output_tensor(self._convolve(arr[:, :, np.newaxis, :])[:, :, 0, :])


class Conv2dTranspose(_Conv):
    """2-D transposed convolution of (N, C_in, H, W) inputs; the weight is
    (in_channels, out_channels // group, kH, kW).

    Output size per axis: 'same' ``H * stride``; 'valid' ``H * stride + max(extent - stride, 0)``;
    'pad' ``(H - 1) * stride + extent - (low + high)``, with ``extent = dilation * (k - 1) + 1``;
    then `output_padding` zero rows/columns are appended at the end (after the bias), as
    MindSpore does.
    """

    _layout = "(N, C_in, H, W)"

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0,
                 output_padding=0, dilation=1, group=1, has_bias=False, weight_init=None, bias_init=None,
                 dtype=mstype.float32) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                         has_bias, weight_init, bias_init, dtype, nd=2, transposed=True)
        self.output_padding = output_padding
        self._output_padding = _int_tuple(self.cls_name, "output_padding", output_padding, 2, 0)
        for axis, (extra, s, d) in enumerate(zip(self._output_padding, self.stride, self.dilation)):
            if extra >= max(s, d):
                raise ValueError(
                    f"For 'Conv2dTranspose', 'output_padding' must be < max(stride, dilation) on each axis, "
                    f"but got {extra} >= max({s}, {d}) on axis {axis}."
                )
        if self.pad_mode != "pad" and any(self._output_padding):
            raise ValueError(
                f"For 'Conv2dTranspose', a non-zero 'output_padding' needs pad_mode='pad', "
                f"but got output_padding={output_padding!r} with pad_mode={pad_mode!r}."
            )

    def construct(self, x):
        arr = input_array(self.cls_name, x, (4,), self._layout, self.in_channels)
        check_same_dtype(self.cls_name, arr, self.weight)
        lengths, pad_low = [], []
        for n, k, s, d, (lo, hi) in zip(arr.shape[2:], self.kernel_size, self.stride, self.dilation, self._pads):
            extent = d * (k - 1) + 1
            if self.pad_mode == "same":
                length = n * s
                low = max(0, (n - 1) * s + extent - length) // 2
            elif self.pad_mode == "valid":
                length, low = n * s + max(extent - s, 0), 0
            else:
                length, low = (n - 1) * s + extent - lo - hi, lo
            lengths.append(length)
            pad_low.append(low)
        if min(lengths) < 1:
            raise ValueError(
                f"For 'Conv2dTranspose', the padding {self.padding!r} is larger than the full output: "
                f"input spatial shape {arr.shape[2:]} gives output shape {tuple(lengths)}."
            )
        out = ops.conv_transpose_nd(arr, self.weight._array, self.stride, self.dilation, pad_low, lengths, self.group)
        out = self._add_bias(out)
        if any(self._output_padding):
            out = np.pad(out, [(0, 0), (0, 0)] + [(0, extra) for extra in self._output_padding])
        return output_tensor(out.astype(arr.dtype, copy=False))
