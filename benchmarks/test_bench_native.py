"""torch's own calls on the cases ``test_fill`` times through the adapter.

``initcheck bench`` and ``test_fill`` time ``TorchBackend.fill``, which adds a
``torch.Generator`` and the conversion to numpy (zero-copy for float16/32) to
torch's work. These benchmarks time only ``torch.empty`` plus the
``torch.nn.init`` call, in the same groups as ``test_fill``, so that
``pytest-benchmark compare`` shows the adapter's share side by side. The
reference's speed goals are stated against these calls (issue 7).
"""

from __future__ import annotations

import time

import pytest

from initcheck import bench

torch = pytest.importorskip("torch", reason="torch is not installed")

_NATIVE = {
    "Normal": lambda t, p, g: torch.nn.init.normal_(t, p["mean"], p["sigma"], generator=g),
    "Uniform": lambda t, p, g: torch.nn.init.uniform_(t, -p["scale"], p["scale"], generator=g),
    "TruncatedNormal": lambda t, p, g: torch.nn.init.trunc_normal_(
        t, p["mean"], p["sigma"], p["a"], p["b"], generator=g
    ),
}
NATIVE_INITIALIZERS = tuple(_NATIVE)


def test_torch_native(benchmark, native_case):
    case = native_case
    dtype = getattr(torch, case.dtype)
    init = _NATIVE[case.spec.name]
    params = case.spec.params
    benchmark.group = f"{bench.short_spec(case.spec)} {case.dtype} {case.shape_text}"
    benchmark.extra_info.update(
        backend="torch-native",
        version=torch.__version__,
        spec=str(case.spec),
        dtype=case.dtype,
        shape=list(case.shape),
        elements=case.elements,
        bytes=case.nbytes,
    )
    seeds = iter(range(1, 1_000_000))

    def setup():
        return (torch.Generator().manual_seed(next(seeds)),), {}

    def fill(generator):
        with torch.no_grad():
            return init(torch.empty(case.shape, dtype=dtype), params, generator)

    rounds = 1
    if not benchmark.disabled:
        # untimed warm-up, which also sizes the rounds as test_fill does
        start = time.perf_counter()
        fill(*setup()[0])
        rounds = bench.rounds_for(time.perf_counter() - start, repeat=10, max_time=1.0)
    result = benchmark.pedantic(fill, setup=setup, rounds=rounds)
    assert tuple(result.shape) == case.shape
