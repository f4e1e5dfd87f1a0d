"""``Embedding``, mirroring ``mindspore.nn.Embedding``: a lookup into ``embedding_table``
of shape ``(vocab_size, embedding_size)`` (default init ``'normal'``, i.e. N(0, 0.01²))."""

from __future__ import annotations

import numpy as np

from reference.common import dtype as mstype
from reference.common.initializer import initializer
from reference.common.parameter import Parameter
from reference.common.tensor import Tensor
from reference.nn.cell import Cell
from reference.nn.layer._inputs import is_int, output_tensor, positive_int

__all__ = ["Embedding"]


class Embedding(Cell):
    """Maps integer ids of any shape S to vectors: output shape ``S + (embedding_size,)``.

    Row `padding_idx` of the table (when given) starts as zeros. The table is float32, as
    in MindSpore, whose `dtype` argument describes the one-hot values, not the table.

    >>> import numpy as np, reference as ms
    >>> from reference import nn
    >>> nn.Embedding(10, 3)(ms.Tensor(np.array([[1, 2], [3, 9]], np.int32))).shape
    (2, 2, 3)
    """

    def __init__(self, vocab_size, embedding_size, use_one_hot=False, embedding_table="normal",
                 dtype=mstype.float32, padding_idx=None) -> None:
        super().__init__()
        self.vocab_size = positive_int("Embedding", "vocab_size", vocab_size)
        self.embedding_size = positive_int("Embedding", "embedding_size", embedding_size)
        if not isinstance(use_one_hot, bool):
            raise TypeError(f"For 'Embedding', 'use_one_hot' must be a bool, but got {use_one_hot!r}.")
        self.use_one_hot = use_one_hot
        self.dtype = dtype
        table = initializer(embedding_table, (self.vocab_size, self.embedding_size))
        if padding_idx is not None:
            if not is_int(padding_idx) or not 0 <= padding_idx < self.vocab_size:
                raise ValueError(
                    f"For 'Embedding', 'padding_idx' must be an int in [0, {self.vocab_size}), but got {padding_idx!r}."
                )
            table._array[padding_idx] = 0
        self.padding_idx = padding_idx
        self.embedding_table = Parameter(table, name="embedding_table")

    def construct(self, ids):
        if not isinstance(ids, Tensor):
            raise TypeError(f"For 'Embedding', the input must be a Tensor of ids, but got {type(ids).__name__}.")
        arr = ids._array
        if not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"For 'Embedding', the ids must be integers, but got dtype {ids.dtype}.")
        if arr.size and (arr.min() < 0 or arr.max() >= self.vocab_size):
            raise ValueError(
                f"For 'Embedding', every id must be in [0, {self.vocab_size}), but got ids from "
                f"{arr.min()} to {arr.max()}."
            )
        # The one-hot product MindSpore offers as an option selects the same rows exactly.
        return output_tensor(self.embedding_table._array[arr])

    def extend_repr(self) -> str:
        return (
            f"vocab_size={self.vocab_size}, embedding_size={self.embedding_size}, use_one_hot={self.use_one_hot}, "
            f"embedding_table={self.embedding_table}, dtype={self.dtype}, padding_idx={self.padding_idx}"
        )
