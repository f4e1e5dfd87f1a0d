"""initcheck: a statistical conformance checker for parameter initializers."""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Attributes are imported on first access (PEP 562): the pytest plugin,
# ``initcheck.plugin``, is imported by every pytest session in the environment and
# must not pay for numpy or the backend loader.
_LAZY = {
    "CATALOG": "initcheck.spec",
    "Backend": "initcheck.backends",
    "BackendLoadError": "initcheck.backends",
    "CheckResult": "initcheck.results",
    "Report": "initcheck.results",
    "Spec": "initcheck.spec",
    "load_backend": "initcheck.backends",
}

__all__ = [
    "CATALOG",
    "Backend",
    "BackendLoadError",
    "CheckResult",
    "Report",
    "Spec",
    "__version__",
    "load_backend",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'initcheck' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
