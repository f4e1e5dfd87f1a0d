"""The backend protocol (SPEC §5) and how a backend is found by name.

A backend is any object with ``name``, ``version``, ``dtypes`` and
``fill(spec, shape, dtype, seed) -> numpy.ndarray``; optionally ``fans``, ``gain``
and ``layer``. Built-in adapters are registered in the entry-point group
``initcheck.backends``; a user's backend is named as ``package.module:attr`` where
attr is an instance, a class or a zero-argument factory.
"""

from __future__ import annotations

import importlib
import importlib.util
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "DTYPES",
    "ENTRY_POINT_GROUP",
    "Backend",
    "BackendLoadError",
    "available_backends",
    "load_backend",
    "validate_backend",
]

ENTRY_POINT_GROUP = "initcheck.backends"
DTYPES = ("float16", "bfloat16", "float32", "float64")


@runtime_checkable
class Backend(Protocol):
    name: str
    version: str
    dtypes: tuple[str, ...]

    def fill(self, spec, shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
        """Values the library's own implementation of `spec` produces, as a numpy
        array of exactly `shape` and `dtype` (bfloat16 as ml_dtypes.bfloat16).
        Raise NotImplementedError when the library has no equivalent of `spec`;
        let the library's own exception propagate for arguments it rejects."""
        ...


class BackendLoadError(Exception):
    """A backend could not be found or imported; the message says why and what exists."""


def available_backends() -> dict[str, Any]:
    """Registered backends: entry-point name -> EntryPoint (nothing imported)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _instantiate(obj: Any, origin: str) -> Any:
    if isinstance(obj, type) or (callable(obj) and not hasattr(obj, "fill")):
        try:
            obj = obj()
        except ImportError as exc:
            raise BackendLoadError(
                f"backend {origin!r} is registered but its library cannot be imported: {exc}"
            ) from exc
    return obj


def validate_backend(obj: Any, origin: str = "backend") -> Any:
    """Raise BackendLoadError unless `obj` has the protocol's required members."""
    missing = [a for a in ("name", "version", "dtypes", "fill") if not hasattr(obj, a)]
    if missing:
        raise BackendLoadError(
            f"{origin!r} is not a backend: it lacks {', '.join(missing)} "
            "(a backend needs name, version, dtypes and fill(spec, shape, dtype, seed))"
        )
    bad = [d for d in obj.dtypes if d not in DTYPES]
    if bad:
        raise BackendLoadError(
            f"{origin!r} declares unknown dtypes {bad}; allowed: {', '.join(DTYPES)}"
        )
    return obj


def load_backend(name: str) -> Any:
    """The backend called `name`: an entry-point name or ``package.module:attr``."""
    if not isinstance(name, str) or not name:
        raise BackendLoadError(f"backend name must be a non-empty str, got {name!r}")
    registered = available_backends()
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise BackendLoadError(
                f"cannot import module {module_name!r} for backend {name!r}: {exc}"
            ) from exc
        try:
            obj = module
            for part in attr.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            raise BackendLoadError(
                f"module {module_name!r} has no attribute {attr!r} (backend {name!r})"
            ) from None
        return validate_backend(_instantiate(obj, name), name)
    if name not in registered:
        raise BackendLoadError(
            f"unknown backend {name!r}; registered backends: "
            f"{', '.join(sorted(registered)) or 'none'} "
            "(or name your own as package.module:attr)"
        )
    try:
        obj = registered[name].load()
    except ImportError as exc:
        raise BackendLoadError(
            f"backend {name!r} is registered but cannot be imported: {exc}"
        ) from exc
    return validate_backend(_instantiate(obj, name), name)
