"""pytest-benchmark suite of fill speed (SPEC §8); run it on its own:

    python -m pytest benchmarks                          # time everything
    python -m pytest benchmarks --benchmark-json=out.json
    python -m pytest benchmarks --benchmark-disable -q   # smoke mode (CI)

The cases (initializers, sizes, dtypes, Orthogonal's size cap) are those of
``initcheck bench``, taken from ``initcheck.bench`` so the two cannot drift.
With ``--benchmark-disable`` every backend x initializer x dtype runs once at
the smallest size only: CI checks that every path still works, in seconds.
"""

from __future__ import annotations

import math

import pytest

from initcheck import bench
from initcheck.spec import Spec

_OPTIONS = {
    "--bench-backends": (
        ",".join(bench.DEFAULT_BACKENDS),
        "comma-separated backends to time (a backend that cannot be loaded is skipped "
        "with the reason)",
    ),
    "--bench-sizes": (
        ",".join("x".join(map(str, s)) for s in bench.DEFAULT_SHAPES),
        "comma-separated element counts (1e6) or shapes (1000x1000)",
    ),
    "--bench-dtypes": (",".join(bench.DEFAULT_DTYPES), "comma-separated dtypes"),
}


def pytest_addoption(parser):
    group = parser.getgroup("initcheck-bench", "initcheck fill benchmarks")
    for flag, (default, text) in _OPTIONS.items():
        group.addoption(flag, metavar="LIST", default=default, help=f"{text}. Default: {default}")


def _shapes(config):
    shapes = bench.parse_sizes(config.getoption("--bench-sizes"))
    if config.getoption("benchmark_disable", False):
        return [min(shapes, key=math.prod)]
    return shapes


def pytest_generate_tests(metafunc):
    config = metafunc.config
    dtypes = bench.parse_dtypes(config.getoption("--bench-dtypes"))
    shapes = _shapes(config)
    for argname in ("case", "native_case"):
        if argname not in metafunc.fixturenames:
            continue
        specs = bench.DEFAULT_SPECS
        if argname == "native_case":  # the module names the initializers it has native calls for
            specs = [s for s in specs if s.name in metafunc.module.NATIVE_INITIALIZERS]
        todo, _capped = bench.cases(specs, shapes, dtypes)
        metafunc.parametrize(
            argname, todo, ids=[f"{bench.short_spec(c.spec)}-{c.dtype}-{c.shape_text}" for c in todo]
        )
    if "floor_case" in metafunc.fixturenames:
        floor_cases = [
            bench.Case(Spec.make("Constant", value=1), shape, dtype)
            for dtype in dtypes
            for shape in shapes
        ]
        metafunc.parametrize(
            "floor_case", floor_cases, ids=[f"{c.dtype}-{c.shape_text}" for c in floor_cases]
        )
    if "backend_name" in metafunc.fixturenames:
        names = [n.strip() for n in config.getoption("--bench-backends").split(",") if n.strip()]
        metafunc.parametrize("backend_name", names)


_LOADED: dict[str, object] = {}
_UNAVAILABLE: dict[str, str] = {}


@pytest.fixture
def backend(backend_name):
    """The named backend, loaded once per session; skipped, with the reason, when
    its library is not installed or fails to load."""
    if backend_name not in _LOADED and backend_name not in _UNAVAILABLE:
        loaded, unavailable = bench.load_backends([backend_name])
        _LOADED.update({backend_name: b for b in loaded.values()})
        _UNAVAILABLE.update(unavailable)
    if backend_name in _UNAVAILABLE:
        pytest.skip(f"backend {backend_name!r} not available: {_UNAVAILABLE[backend_name]}")
    return _LOADED[backend_name]
