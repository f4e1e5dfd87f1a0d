"""Adapter for MindSpore's ``mindspore.common.initializer`` (SPEC §5).

The catalog (SPEC §2) *is* MindSpore's API, so the translation is the identity:

===================  ===========================================================
catalog spec         MindSpore call
===================  ===========================================================
every catalog name   ``initializer(Cls(**params), shape, dtype).init_data()``,
                     where ``Cls`` is the class of the same name and the
                     parameter names are MindSpore's own; truncated-normal
                     bounds are absolute in both
unknown names        ``initializer(name, shape, dtype)``: MindSpore's own alias
                     lookup accepts or rejects the string
===================  ===========================================================

Layout: MindSpore weights are ``(out, in, *kernel)``, the reference layout.

Seeds: MindSpore's initializers draw from numpy's *global* legacy RNG
(``np.random.randint`` seeds its C++ samplers, ``np.random.permutation`` picks
Sparse's zero rows). A fill calls ``mindspore.set_seed(seed)`` and
``np.random.seed(seed)`` -- exactly what a MindSpore user does for a
reproducible initialisation -- and restores numpy's global state afterwards,
so the fill is a pure function of its arguments and leaves its caller's numpy
RNG where it was. Seeds of 2**32 and more, which numpy refuses, are hashed to
32 bits (`initcheck.backends.seeds.seed32`).

dtypes: float16, float32 and float64. bfloat16 is left out: MindSpore 2.10 is
built against numpy 1.x, and under numpy 2 it cannot create a bfloat16 numpy
array at all (``init_data`` raises TypeError "The Numpy bfloat16 data type is
not supported now"), so no bfloat16 value of MindSpore's own can be obtained.

The adapter fixes nothing: whatever MindSpore computes (including for
``VarianceScaling(distribution='truncated_normal')``) is what gets checked.

``layer`` builds ``mindspore.nn.Dense`` / ``mindspore.nn.Conv2d`` from the
config as given (the config names are MindSpore's) and returns their
parameters by their short names (``weight``, ``bias``).
"""

from __future__ import annotations

import contextlib

import numpy as np

from initcheck.backends.seeds import seed32

__all__ = ["MindSporeBackend"]


class MindSporeBackend:
    """``mindspore.common.initializer`` as an initcheck backend (see the module docstring)."""

    name = "mindspore"
    dtypes = ("float16", "float32", "float64")

    def __init__(self) -> None:
        import mindspore
        import mindspore.nn
        from mindspore.common import initializer as init_module

        self._ms = mindspore
        self._init = init_module
        self.version = mindspore.__version__
        self._ms_dtypes = {
            "float16": mindspore.float16,
            "float32": mindspore.float32,
            "float64": mindspore.float64,
        }

    @contextlib.contextmanager
    def _seeded(self, seed):
        """MindSpore's and numpy's global seeds set to `seed`; numpy's state restored after."""
        seed = seed32(seed)
        saved = np.random.get_state()
        try:
            self._ms.set_seed(seed)
            np.random.seed(seed)
            yield
        finally:
            np.random.set_state(saved)

    def _initializer_for(self, spec):
        cls = getattr(self._init, spec.name, None)
        if isinstance(cls, type) and issubclass(cls, self._init.Initializer):
            return cls(**spec.params)
        # Not a class name: hand the string to MindSpore's alias registry, which
        # rejects it (the rejects check's unknown-alias cases) or knows it.
        return spec.name

    def fill(self, spec, shape, dtype, seed):
        ms_dtype = self._ms_dtypes.get(dtype)
        if ms_dtype is None:
            raise ValueError(f"dtype must be one of {self.dtypes}, got {dtype!r}")
        with self._seeded(seed):
            init = self._initializer_for(spec)
            tensor = self._init.initializer(init, tuple(shape), ms_dtype)
            return tensor.init_data().asnumpy()

    def fans(self, shape):
        return self._init._calculate_fan_in_and_fan_out(tuple(shape))

    def gain(self, nonlinearity, param=None):
        return self._init._calculate_gain(nonlinearity, param)

    def layer(self, kind, config, seed):
        if kind not in ("Dense", "Conv2d"):
            raise NotImplementedError(f"the mindspore adapter has no layer kind {kind!r}")
        with self._seeded(seed):
            cell = getattr(self._ms.nn, kind)(**config)
            return {
                name.rsplit(".", 1)[-1]: param.asnumpy().copy()
                for name, param in cell.parameters_and_names()
            }
