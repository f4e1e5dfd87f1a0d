"""Parameter: a named, trainable Tensor, mirroring ``mindspore.Parameter``."""

from __future__ import annotations

import numbers

import numpy as np

from reference.common import dtype as mstype
from reference.common.tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A Tensor with a name and a ``requires_grad`` flag.

    ``Parameter(default_input, name=None, requires_grad=True)``: `default_input` is a
    Tensor (a lazy one from ``initializer()`` is filled now), a numpy array, or a
    number. The parameter shares memory with a Tensor it is given.

    >>> import reference as ms
    >>> from reference.common.initializer import initializer
    >>> p = ms.Parameter(initializer("ones", (2, 2), ms.float32), name="w")
    >>> p
    Parameter (name=w, shape=(2, 2), dtype=Float32, requires_grad=True)
    """

    def __init__(self, default_input, name=None, requires_grad=True) -> None:
        if isinstance(default_input, Tensor):
            arr = default_input._array
        elif isinstance(default_input, (np.ndarray, np.generic, numbers.Number)) and not isinstance(
            default_input, bool
        ):
            arr = Tensor(default_input)._array
        else:
            raise TypeError(
                "For 'Parameter', the argument 'default_input' must be a Tensor, numpy array or "
                f"number, but got {type(default_input).__name__}."
            )
        self._set_array(arr)
        self.name = name
        self.requires_grad = requires_grad

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value) -> None:
        if value is None:
            value = "Parameter"
        if not isinstance(value, str):
            raise TypeError(f"For 'Parameter', the argument 'name' must be a str, but got {value!r}.")
        self._name = value

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"For 'Parameter', 'requires_grad' must be a bool, but got {value!r}.")
        self._requires_grad = value

    @property
    def data(self) -> "Parameter":
        """The parameter itself (MindSpore's ``Parameter.data``)."""
        return self

    def set_data(self, data) -> "Parameter":
        """Overwrite the values in place and return the parameter.

        `data` is a Tensor of the same shape (a lazy one is filled first) or a number,
        which fills every element. A value of a lower type in MindSpore's
        implicit-conversion order (bool < int8/uint8 < int16 < int32 < int64 <
        float16, bfloat16 < float32 < float64) is cast; a higher type, or float16
        against bfloat16, is a TypeError, as is a float number for an int parameter.
        A Tensor of another shape is a ValueError.
        """
        if isinstance(data, bool) or not isinstance(data, (Tensor, numbers.Real)):
            raise TypeError(
                "For 'Parameter.set_data', the argument 'data' must be a Tensor, int or float, "
                f"but got {type(data).__name__}."
            )
        if isinstance(data, numbers.Real):
            if self.dtype in mstype.int_type and not isinstance(data, numbers.Integral):
                self._raise_type_error(mstype.float32)
            self._array.fill(data)
            return self
        if data.shape != self.shape:
            raise ValueError(
                f"For 'Parameter.set_data' of '{self.name}', the new data must have the parameter's "
                f"shape {self.shape}, but got shape {data.shape}."
            )
        if data.dtype != self.dtype and data.dtype._rank >= self.dtype._rank:
            self._raise_type_error(data.dtype)
        self._array[...] = data._array
        return self

    def _raise_type_error(self, incoming) -> None:
        raise TypeError(
            f"For 'Parameter.set_data' of '{self.name}', the incoming dtype can not be converted to "
            f"the current dtype implicitly. Current dtype is {self.dtype}, and incoming is {incoming}. "
            "Cast the data first."
        )

    def init_data(self) -> "Parameter":
        return self

    def __repr__(self) -> str:
        return (
            f"Parameter (name={self.name}, shape={self.shape}, dtype={self.dtype}, "
            f"requires_grad={self.requires_grad})"
        )

    __str__ = __repr__
