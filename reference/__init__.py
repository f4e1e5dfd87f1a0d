"""Reference implementation of the MindSpore initializer API (see SPEC §4).

``import reference as ms`` stands in for ``import mindspore as ms`` in the parts of
the API that parameter initialization uses: ``ms.Tensor``, ``ms.Parameter``, the
dtypes, ``ms.set_seed`` / ``ms.get_seed``, ``reference.common.initializer`` and
``reference.nn``. Pure numpy.
"""

from reference import common
from reference.common import *  # noqa: F403  (the top level re-exports reference.common)
from reference import nn

__version__ = "0.1.0"

__all__ = [*common.__all__, "common", "nn"]
