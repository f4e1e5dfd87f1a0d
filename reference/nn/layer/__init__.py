"""Layers of ``reference.nn``, mirroring ``mindspore.nn.layer``."""

from reference.nn.layer.activation import ReLU, Sigmoid, Tanh, get_activation
from reference.nn.layer.basic import Dense
from reference.nn.layer.container import CellList, SequentialCell
from reference.nn.layer.conv import Conv1d, Conv2d, Conv2dTranspose, Conv3d
from reference.nn.layer.embedding import Embedding
from reference.nn.layer.normalization import BatchNorm1d, BatchNorm2d, LayerNorm

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
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
