"""Test-suite set-up: the helper modules in tests/ import as top-level modules.

``independent_backend`` and ``broken_backends`` are plain modules beside the tests (no
package), imported by several test files; putting this directory on sys.path makes that
work under every pytest import mode, not only the default ``prepend``.
"""

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
