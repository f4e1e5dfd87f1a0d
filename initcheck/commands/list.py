"""``initcheck list``: the backends (installed or not, versions) and the catalog.

Nothing heavy is imported: versions come from package metadata and "installed"
from the import system's finder, so listing never pays for importing torch, jax or
mindspore.
"""

from __future__ import annotations

import importlib.util
from importlib.metadata import PackageNotFoundError, version

from initcheck.backends import ENTRY_POINT_GROUP, available_backends
from initcheck.spec import ALIASES, CATALOG, REQUIRED

HELP = "list backends (installed or not, versions) and the catalog of initializers"
DESCRIPTION = HELP[0].upper() + HELP[1:] + "."
EPILOG = """examples:
  initcheck list                 backends and catalog
  initcheck list --backends      only the backends
  initcheck list --catalog       only the initializers, their parameters and laws
"""

#: Built-in backend -> (the module it wraps, the distribution that ships it).
_BUILTIN_LIBRARIES = {
    "reference": ("reference", "initcheck"),
    "torch": ("torch", "torch"),
    "jax": ("jax", "jax"),
    "mindspore": ("mindspore", "mindspore"),
}

#: The law of every element, in one line (SPEC §2).
LAWS = {
    "Zero": "exactly 0",
    "One": "exactly 1",
    "Constant": "exactly value, cast to the dtype",
    "Normal": "N(mean, sigma²)",
    "Uniform": "U(-scale, scale)",
    "TruncatedNormal": "N(mean, sigma²) conditioned on [a, b] (absolute bounds)",
    "XavierUniform": "U(-B, B), B = gain·√(6/(fan_in+fan_out))",
    "XavierNormal": "N(0, gain²·2/(fan_in+fan_out))",
    "HeUniform": "U(-B, B), B = √3·gain(nonlinearity, negative_slope)/√fan(mode)",
    "HeNormal": "N(0, gain(nonlinearity, negative_slope)²/fan(mode))",
    "VarianceScaling": "s = scale/max(1, fan(mode)); uniform, normal or 2σ-truncated, variance s",
    "Orthogonal": "Haar-distributed orthonormal rows or columns, times gain",
    "Identity": "2-D identity matrix",
    "Dirac": "3/4/5-D Dirac delta per group",
    "Sparse": "2-D; ceil(sparsity·rows) zeros per column, others N(0, sigma²)",
}
assert set(LAWS) == set(CATALOG)


def configure(parser) -> None:
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--backends", action="store_true", help="list only the backends")
    which.add_argument("--catalog", action="store_true", help="list only the catalog")


def _library_status(name: str, entry_point) -> tuple[str, str]:
    """(``installed`` or ``not installed``, version text) without importing the library."""
    module, dist = _BUILTIN_LIBRARIES.get(name, (None, None))
    if module is None:
        # a third party's adapter: its distribution is installed (it registered the
        # entry point); report that distribution's version
        dist_obj = getattr(entry_point, "dist", None)
        if dist_obj is None:
            return "installed", "version unknown"
        return "installed", f"{dist_obj.name} {dist_obj.version}"
    if importlib.util.find_spec(module) is None:
        return "not installed", f"pip install 'initcheck[{name}]'"
    try:
        return "installed", f"{dist} {version(dist)}"
    except PackageNotFoundError:
        return "installed", "version unknown"


def backends_table() -> list[str]:
    rows = []
    for name, ep in sorted(available_backends().items()):
        status, ver = _library_status(name, ep)
        rows.append((name, status, ver, ep.value))
    lines = [f"Backends (entry-point group {ENTRY_POINT_GROUP}):"]
    if not rows:
        lines.append("  none registered")
    widths = [max(len(r[i]) for r in rows) for i in range(3)] if rows else []
    for row in rows:
        lines.append("  " + "  ".join(text.ljust(w) for text, w in zip(row, widths + [0])))
    lines.append("  or your own: --backend package.module:attr (an instance, a class or a factory)")
    return lines


def _signature(name: str) -> str:
    params = []
    for key, default in CATALOG[name].items():
        params.append(key if default is REQUIRED else f"{key}={default!r}")
    return f"{name}({', '.join(params)})"


def catalog_table() -> list[str]:
    lines = ["Catalog (parameters with their defaults; the law of every element; aliases):"]
    for name in CATALOG:
        aliases = sorted(a for a, target in ALIASES.items() if target == name)
        lines.append(f"  {_signature(name)}")
        lines.append(f"      {LAWS[name]}; aliases: {', '.join(aliases)}")
    return lines


def main(args) -> int:
    sections = []
    if not args.catalog:
        sections.append(backends_table())
    if not args.backends:
        sections.append(catalog_table())
    print("\n\n".join("\n".join(lines) for lines in sections))
    return 0
