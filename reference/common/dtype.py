"""Data types, mirroring ``mindspore.common.dtype``.

Each dtype is a singleton that prints like MindSpore's (``Float32``), compares equal
only to itself, and maps to a numpy dtype (``bfloat16`` through ``ml_dtypes``).
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

__all__ = [
    "Type",
    "bfloat16",
    "bool_",
    "dtype_to_nptype",
    "float16",
    "float32",
    "float64",
    "float_type",
    "int16",
    "int32",
    "int64",
    "int8",
    "int_type",
    "pytype_to_dtype",
    "uint8",
]


class Type:
    """One tensor element type. Use the module's instances, never construct one."""

    __slots__ = ("_name", "_np", "_rank")

    def __init__(self, name: str, np_dtype, rank: int) -> None:
        self._name = name
        self._np = np.dtype(np_dtype)
        # Position in the implicit-conversion order (see Parameter.set_data):
        # a value may be cast to a type of equal or higher rank, never lower.
        self._rank = rank

    def __repr__(self) -> str:
        attr = "bool_" if self._np == np.bool_ else self._np.name
        return f"reference.{attr}"

    def __str__(self) -> str:
        return self._name

    def __reduce__(self):
        # Singletons survive pickling (multiprocessing, caches).
        return (_from_name, (self._name,))

    @property
    def itemsize(self) -> int:
        return self._np.itemsize


bool_ = Type("Bool", np.bool_, 0)
int8 = Type("Int8", np.int8, 1)
uint8 = Type("UInt8", np.uint8, 1)
int16 = Type("Int16", np.int16, 2)
int32 = Type("Int32", np.int32, 3)
int64 = Type("Int64", np.int64, 4)
float16 = Type("Float16", np.float16, 5)
bfloat16 = Type("BFloat16", ml_dtypes.bfloat16, 5)
float32 = Type("Float32", np.float32, 6)
float64 = Type("Float64", np.float64, 7)

_ALL = (bool_, int8, uint8, int16, int32, int64, float16, bfloat16, float32, float64)
_BY_NAME = {t._name: t for t in _ALL}
_BY_NUMPY = {t._np: t for t in _ALL}

int_type = (int8, uint8, int16, int32, int64)
float_type = (float16, bfloat16, float32, float64)


def _from_name(name: str) -> Type:
    return _BY_NAME[name]


def dtype_to_nptype(dtype: Type) -> np.dtype:
    """The numpy dtype of `dtype` (``float32`` -> ``numpy.float32``)."""
    if not isinstance(dtype, Type):
        raise TypeError(f"dtype must be a reference dtype such as reference.float32, got {dtype!r}")
    return dtype._np


def pytype_to_dtype(obj) -> Type:
    """The reference dtype for a reference dtype, numpy dtype, or numpy scalar type.

    >>> pytype_to_dtype(np.float32)
    reference.float32
    """
    if isinstance(obj, Type):
        return obj
    try:
        found = _BY_NUMPY.get(np.dtype(obj))
    except TypeError:
        found = None
    if found is None:
        names = ", ".join(str(t) for t in _ALL)
        raise TypeError(f"dtype {obj!r} is not supported; the reference supports {names}")
    return found
