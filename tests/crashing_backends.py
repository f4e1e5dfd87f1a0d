"""Backends that hang or crash the interpreter, for the --timeout and --isolate tests.

Each is the correct `independent_backend.NumpyBackend` except for one initializer:
Normal hangs (a sleep that ignores everything short of SIGKILL), Uniform aborts
(SIGABRT) or dereferences a null pointer (SIGSEGV). Used by name as
``crashing_backends:HangsOnNormal`` with tests/ on the path.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time

from independent_backend import NumpyBackend

__all__ = ["AbortsOnUniform", "HangsOnNormal", "SegfaultsOnUniform", "SleepyLoader"]


class HangsOnNormal(NumpyBackend):
    name = "hangs-on-normal"

    def fill(self, spec, shape, dtype, seed):
        if spec.name == "Normal":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # only SIGKILL stops it
            marker = os.environ.get("HANG_MARKER")
            if marker:  # tell a waiting test that the hang has begun
                open(marker, "w").close()
            while True:
                time.sleep(3600)
        return super().fill(spec, shape, dtype, seed)


class AbortsOnUniform(NumpyBackend):
    name = "aborts-on-uniform"

    def fill(self, spec, shape, dtype, seed):
        if spec.name == "Uniform":
            os.abort()
        return super().fill(spec, shape, dtype, seed)


class SegfaultsOnUniform(NumpyBackend):
    name = "segfaults-on-uniform"

    def fill(self, spec, shape, dtype, seed):
        if spec.name == "Uniform":
            ctypes.string_at(0)  # read address 0: SIGSEGV
        return super().fill(spec, shape, dtype, seed)


class SleepyLoader(NumpyBackend):
    """Slow to load (like a heavy library) but correct: a timeout must not count it."""

    name = "sleepy-loader"

    def __init__(self):
        time.sleep(1.5)
        super().__init__()
