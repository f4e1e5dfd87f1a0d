"""Specs: which initializer, with which parameters.

A `Spec` names one entry of the catalog (SPEC §2) with every parameter filled in.
It is what the checker hands a backend's ``fill``; it is hashable (so fills can be
cached) and JSON-serialisable (so a report can name it and a run can be reproduced).

The catalog here is written from the specification, not read from any
implementation: initcheck never imports ``reference`` outside its adapter.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

__all__ = ["CATALOG", "ALIASES", "REQUIRED", "Spec", "canonical_name"]

_REQUIRED = object()

# name -> ordered parameters with their defaults (SPEC §2). `_REQUIRED` marks a
# parameter without a default.
_CATALOG: dict[str, dict[str, Any]] = {
    "Zero": {},
    "One": {},
    "Constant": {"value": _REQUIRED},
    "Normal": {"sigma": 0.01, "mean": 0.0},
    "Uniform": {"scale": 0.07},
    "TruncatedNormal": {"sigma": 0.01, "mean": 0.0, "a": -2.0, "b": 2.0},
    "XavierUniform": {"gain": 1},
    "XavierNormal": {"gain": 1},
    "HeUniform": {"negative_slope": 0, "mode": "fan_in", "nonlinearity": "leaky_relu"},
    "HeNormal": {"negative_slope": 0, "mode": "fan_in", "nonlinearity": "leaky_relu"},
    "VarianceScaling": {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"},
    "Orthogonal": {"gain": 1.0},
    "Identity": {},
    "Dirac": {"groups": 1},
    "Sparse": {"sparsity": _REQUIRED, "sigma": 0.01},
}

#: Catalog name -> its parameters and defaults (read-only). A required parameter
#: has the default `REQUIRED`.
CATALOG: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {name: MappingProxyType(params) for name, params in _CATALOG.items()}
)
REQUIRED = _REQUIRED

#: Alias (lower case) -> catalog name.
ALIASES: Mapping[str, str] = MappingProxyType(
    {
        **{name.lower(): name for name in _CATALOG},
        "zeros": "Zero",
        "ones": "One",
        "xavier_uniform": "XavierUniform",
        "xavier_normal": "XavierNormal",
        "he_uniform": "HeUniform",
        "he_normal": "HeNormal",
    }
)


def canonical_name(name: str) -> str:
    """The catalog name for `name`, a catalog name or an alias (case-insensitive)."""
    if not isinstance(name, str):
        raise TypeError(f"initializer name must be a str, got {name!r}")
    found = ALIASES.get(name.lower())
    if found is None:
        raise ValueError(
            f"unknown initializer {name!r}; the catalog has: {', '.join(_CATALOG)}"
        )
    return found


def _check_json_value(name: str, key: str, value: Any) -> None:
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            # inf/nan are legitimate *invalid* parameters for rejects checks, and
            # JSON has no spelling for them; the report writes them via repr.
            return
        return
    raise TypeError(
        f"{name}: parameter {key}={value!r} must be a JSON scalar "
        "(None, bool, int, float or str)"
    )


@dataclass(frozen=True)
class Spec:
    """One catalog initializer with all its parameters.

    >>> s = Spec.make("HeUniform", mode="fan_out")
    >>> str(s)
    "HeUniform(negative_slope=0, mode='fan_out', nonlinearity='leaky_relu')"
    >>> Spec.from_json(s.to_json()) == s
    True

    Parameter *values* are not validated: invalid specs are needed to check that a
    backend rejects them. Parameter *names* are.
    """

    name: str
    _items: tuple[tuple[str, Any], ...]

    @classmethod
    def make(cls, name: str, **params: Any) -> "Spec":
        name = canonical_name(name)
        declared = _CATALOG[name]
        unknown = set(params) - set(declared)
        if unknown:
            raise TypeError(
                f"{name} has no parameter(s) {', '.join(sorted(unknown))}; "
                f"it takes {', '.join(declared) or 'none'}"
            )
        items = []
        for key, default in declared.items():
            value = params.get(key, default)
            if value is _REQUIRED:
                raise TypeError(f"{name} needs the parameter {key!r}")
            _check_json_value(name, key, value)
            items.append((key, value))
        return cls(name, tuple(items))

    @property
    def params(self) -> dict[str, Any]:
        """All parameters, defaults filled, in catalog order (a fresh dict)."""
        return dict(self._items)

    def replace(self, **params: Any) -> "Spec":
        """This spec with some parameters changed."""
        return Spec.make(self.name, **{**self.params, **params})

    def __str__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._items)
        return f"{self.name}({inner})"

    def __repr__(self) -> str:
        return f"Spec({self})"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "params": self.params}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Spec":
        return cls.make(data["name"], **dict(data.get("params", {})))

    @classmethod
    def parse(cls, text: str) -> "Spec":
        """Parse ``str(spec)`` back, or a bare name: ``Spec.parse("Normal(sigma=0.2)")``."""
        text = text.strip()
        try:
            node = ast.parse(text, mode="eval").body
        except SyntaxError as exc:
            raise ValueError(f"cannot parse spec {text!r}: {exc.msg}") from None
        if isinstance(node, ast.Name):
            return cls.make(node.id)
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)) or node.args:
            raise ValueError(
                f"cannot parse spec {text!r}: expected Name or Name(key=value, ...)"
            )
        params = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise ValueError(f"cannot parse spec {text!r}: no **kwargs allowed")
            try:
                params[kw.arg] = ast.literal_eval(kw.value)
            except ValueError:
                # float('inf') / float('nan') as written by repr()
                src = ast.unparse(kw.value)
                if src in ("inf", "-inf", "nan"):
                    params[kw.arg] = float(src)
                else:
                    raise ValueError(
                        f"cannot parse spec {text!r}: {kw.arg}={src} is not a literal"
                    ) from None
        return cls.make(node.func.id, **params)
