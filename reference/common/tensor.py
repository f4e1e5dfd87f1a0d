"""A numpy-backed Tensor, mirroring the parts of ``mindspore.Tensor`` the initializer API uses.

A tensor made with ``init`` (what ``initializer()`` returns) is *lazy*: it knows its
shape, dtype and initializer but holds no data until ``init_data()`` or the first use
that needs values (``asnumpy()``, ``numpy.asarray(t)``, ``_array``).

Internal interface for ``reference.nn`` (not part of MindSpore's API):

- ``Tensor._array``: the backing numpy array (materialising a lazy tensor first).
  Writing into it changes the tensor.
- ``Tensor._from_array(ndarray)``: wrap an array of a supported dtype without copying.
"""

from __future__ import annotations

import numbers

import numpy as np

from reference.common import dtype as mstype

__all__ = ["Tensor"]


def _check_shape(shape, who: str) -> tuple[int, ...]:
    """`shape` (an int, tuple or list of positive ints; ``()`` is a scalar) as a tuple."""
    if isinstance(shape, (numbers.Integral, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(
            f"For '{who}', the argument 'shape' must be a tuple or list of positive ints, "
            f"but got {shape!r} of type {type(shape).__name__}."
        )
    for value in shape:
        if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)) or value <= 0:
            raise ValueError(
                f"For '{who}', the argument 'shape' is invalid, the value of 'shape' must be "
                f"positive integer, but got {tuple(shape)!r}."
            )
    return tuple(int(v) for v in shape)


def _as_array(data, dtype: mstype.Type | None) -> np.ndarray:
    """A fresh array for `data`, of `dtype` or of MindSpore's default for `data`."""
    if isinstance(data, Tensor):
        arr = data._array
    elif isinstance(data, (np.ndarray, np.generic)):
        arr = data
    elif isinstance(data, (numbers.Number, list, tuple)):
        arr = np.asarray(data)
        # MindSpore makes Python floats Float32 (and Python ints Int64).
        if dtype is None and arr.dtype == np.float64:
            arr = arr.astype(np.float32)
    else:
        raise TypeError(
            "For 'Tensor', the argument 'input_data' must be a Tensor, numpy array, number, "
            f"list or tuple, but got {type(data).__name__}."
        )
    np_dtype = arr.dtype if dtype is None else dtype._np
    mstype.pytype_to_dtype(np_dtype)  # rejects unsupported dtypes by name
    return np.array(arr, dtype=np_dtype, copy=True)


class Tensor:
    """A tensor of one of the reference dtypes, backed by a numpy array.

    ``Tensor(input_data=None, dtype=None, shape=None, init=None)``: `input_data` is
    copied (cast to `dtype` when given); with `init` (an Initializer) instead, `dtype`
    and `shape` are required and the tensor is lazy.

    >>> import numpy as np, reference as ms
    >>> ms.Tensor(np.ones((2, 3), np.float32)).shape
    (2, 3)
    """

    def __init__(self, input_data=None, dtype=None, shape=None, init=None) -> None:
        dtype = None if dtype is None else mstype.pytype_to_dtype(dtype)
        self._init = None
        if init is not None:
            if input_data is not None:
                raise ValueError("For 'Tensor', 'input_data' and 'init' cannot both be given.")
            if dtype is None or shape is None:
                raise TypeError(
                    f"For 'Tensor', 'dtype' and 'shape' are required with 'init', "
                    f"but got dtype={dtype!r} and shape={shape!r}."
                )
            self._init = init
            self._data = None
            self._shape = _check_shape(shape, "Tensor")
            self._dtype = dtype
            return
        if input_data is None:
            if shape is None:
                raise TypeError("For 'Tensor', one of 'input_data', 'shape' or 'init' is required.")
            shape = _check_shape(shape, "Tensor")
            arr = np.zeros(shape, dtype=(dtype or mstype.float32)._np)
        else:
            arr = _as_array(input_data, dtype)
            if shape is not None and arr.shape != _check_shape(shape, "Tensor"):
                raise ValueError(
                    f"For 'Tensor', the shape of 'input_data' {arr.shape} differs from 'shape' {tuple(shape)}."
                )
        self._set_array(arr)

    # -- internal interface (see the module docstring) --------------------------------

    def _set_array(self, arr: np.ndarray) -> None:
        self._data = arr
        self._shape = arr.shape
        self._dtype = mstype.pytype_to_dtype(arr.dtype)
        self._init = None

    @classmethod
    def _from_array(cls, arr: np.ndarray) -> "Tensor":
        """A Tensor wrapping `arr` itself (no copy)."""
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"Tensor._from_array needs a numpy array, got {type(arr).__name__}")
        obj = Tensor.__new__(cls)
        Tensor._set_array(obj, arr)
        return obj

    @property
    def _array(self) -> np.ndarray:
        if self._data is None:
            self.init_data()
        return self._data

    # -- MindSpore API ----------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def dtype(self) -> mstype.Type:
        return self._dtype

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def size(self) -> int:
        return int(np.prod(self._shape, dtype=np.int64))

    @property
    def itemsize(self) -> int:
        return self._dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.itemsize

    @property
    def init(self):
        """The initializer of a lazy tensor; None once it holds data."""
        return self._init

    @property
    def has_init(self) -> bool:
        """True while the tensor is lazy (has an initializer and no data yet)."""
        return self._data is None

    def init_data(self) -> "Tensor":
        """Fill a lazy tensor with its initializer (once) and return this tensor."""
        if self._data is None:
            init = self._init
            # Allocation is the initializer's business: Zero asks for zeroed pages.
            arr = init._new_array(self._shape, self._dtype._np)
            self._data = arr
            self._init = None
        return self

    def asnumpy(self) -> np.ndarray:
        """The tensor's values as a numpy array (shares memory, as MindSpore on CPU does)."""
        return self._array

    def astype(self, dtype) -> "Tensor":
        """A new tensor with the values cast to `dtype`."""
        return Tensor._from_array(self._array.astype(mstype.pytype_to_dtype(dtype)._np))

    def __array__(self, dtype=None, copy=None):
        arr = self._array
        if dtype is not None and np.dtype(dtype) != arr.dtype:
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    def __repr__(self) -> str:
        if self._data is None:
            value = f"<uninitialized, init={type(self._init).__name__}>"
        else:
            value = "\n" + np.array2string(self._data, separator=", ")
        return f"Tensor(shape={list(self._shape)}, dtype={self._dtype}, value={value})"

    def __str__(self) -> str:
        if self._data is None:
            return repr(self)
        return str(self._data)
