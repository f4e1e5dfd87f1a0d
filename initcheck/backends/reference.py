"""Adapter for this project's own numpy reference (``reference``).

The only place where initcheck touches ``reference``: the laws initcheck judges it
by are written independently in ``initcheck.laws``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ReferenceBackend"]


class ReferenceBackend:
    name = "reference"
    dtypes = ("float16", "bfloat16", "float32", "float64")

    def __init__(self) -> None:
        import reference

        self._ms = reference
        from reference.common import initializer as init_mod

        self._init = init_mod
        self.version = getattr(reference, "__version__", "0")

    def _dtype(self, dtype: str):
        return getattr(self._ms, dtype)

    def fill(self, spec, shape, dtype, seed):
        cls = getattr(self._init, spec.name, None)
        if cls is None:
            raise NotImplementedError(f"reference has no initializer {spec.name}")
        init = cls(**spec.params)
        self._ms.set_seed(int(seed))
        tensor = self._init.initializer(init, tuple(shape), self._dtype(dtype))
        return np.asarray(tensor.init_data().asnumpy())

    def fans(self, shape):
        return self._init._calculate_fan_in_and_fan_out(tuple(shape))

    def gain(self, nonlinearity, param=None):
        return self._init._calculate_gain(nonlinearity, param)

    def layer(self, kind, config, seed):
        from reference import nn

        if kind not in ("Dense", "Conv2d"):
            raise NotImplementedError(f"reference adapter has no layer kind {kind!r}")
        self._ms.set_seed(int(seed))
        cell = getattr(nn, kind)(**config)
        return {
            name.rsplit(".", 1)[-1]: np.asarray(param.asnumpy())
            for name, param in cell.parameters_and_names()
        }
