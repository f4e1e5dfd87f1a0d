"""``reference.nn``: cells and layers mirroring ``mindspore.nn`` (SPEC §4).

Layers have MindSpore 2.x signatures, weight layouts, parameter names and default
initialisations; their forward passes are vectorised numpy.
"""

from reference.nn import layer
from reference.nn.cell import Cell
from reference.nn.layer import *  # noqa: F403  (re-exports every layer, see layer.__all__)

__all__ = sorted(["Cell", *layer.__all__])
