"""``reference.nn``: cells and layers mirroring ``mindspore.nn`` (SPEC §4).

Layers have MindSpore 2.x signatures, weight layouts, parameter names and default
initialisations; their forward passes are vectorised numpy.
"""

from reference.nn.cell import Cell
from reference.nn.layer import (
    BatchNorm1d,
    BatchNorm2d,
    CellList,
    Conv1d,
    Conv2d,
    Conv2dTranspose,
    Conv3d,
    Dense,
    Embedding,
    LayerNorm,
    ReLU,
    SequentialCell,
    Sigmoid,
    Tanh,
    get_activation,
)

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "Cell",
    "CellList",
    "Conv1d",
    "Conv2d",
    "Conv2dTranspose",
    "Conv3d",
    "Dense",
    "Embedding",
    "LayerNorm",
    "ReLU",
    "SequentialCell",
    "Sigmoid",
    "Tanh",
    "get_activation",
]
