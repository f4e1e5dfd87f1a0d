"""Test-suite set-up: helper modules importable, one BLAS thread per process.

The helper modules in tests/ import as top-level modules:

``independent_backend`` and ``broken_backends`` are plain modules beside the tests (no
package), imported by several test files; putting this directory on sys.path makes that
work under every pytest import mode, not only the default ``prepend``.
"""

import os
import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

# The suite runs as `pytest -n 2` on 2 cores: one BLAS thread per worker. OpenBLAS's
# default (a thread per core in each worker) oversubscribes the cores and made a
# 256x256 QR ten times slower in our measurements. Only effective if numpy has not
# been imported yet, which holds: no plugin loaded before this file imports it.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
