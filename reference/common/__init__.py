"""``reference.common``: dtypes, Tensor, Parameter, seeds and initializers (mirrors
``mindspore.common``)."""

from reference.common import dtype
from reference.common.dtype import (
    bfloat16,
    bool_,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
)
from reference.common.parameter import Parameter
from reference.common.seed import get_seed, set_seed
from reference.common.tensor import Tensor
from reference.common import initializer  # noqa: E402  (after Tensor: it builds Tensors)

__all__ = [
    "Parameter",
    "Tensor",
    "bfloat16",
    "bool_",
    "dtype",
    "float16",
    "float32",
    "float64",
    "get_seed",
    "initializer",
    "int16",
    "int32",
    "int64",
    "int8",
    "set_seed",
    "uint8",
]
