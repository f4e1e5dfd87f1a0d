"""Fill speed of every backend, beside the memory-write floor (SPEC §8).

What is timed is the backend's ``fill(spec, shape, dtype, seed)``, adapter work
included, exactly as ``initcheck bench`` times it: that is the one interface
every backend shares. ``test_bench_native.py`` times torch's own calls on the
same cases so the adapter's share can be read off.
"""

from __future__ import annotations

import itertools
import time

import pytest

from initcheck import bench


def _extra_info(benchmark, backend_name, version, spec_text, case):
    benchmark.extra_info.update(
        backend=backend_name,
        version=version,
        spec=spec_text,
        dtype=case.dtype,
        shape=list(case.shape),
        elements=case.elements,
        bytes=case.nbytes,
    )


def test_fill(benchmark, backend_name, backend, case):
    if case.dtype not in backend.dtypes:
        pytest.skip(f"{backend_name} does not offer {case.dtype}")
    benchmark.group = f"{bench.short_spec(case.spec)} {case.dtype} {case.shape_text}"
    _extra_info(benchmark, backend_name, backend.version, str(case.spec), case)
    seeds = itertools.count(1)

    def setup():
        return (case.spec, case.shape, case.dtype, next(seeds)), {}

    rounds = 1
    try:
        if not benchmark.disabled:
            # untimed warm-up (jax compiles per shape), which also sizes the rounds
            start = time.perf_counter()
            backend.fill(case.spec, case.shape, case.dtype, 0)
            warm = time.perf_counter() - start
            rounds = bench.rounds_for(warm, repeat=10, max_time=1.0)
        result = benchmark.pedantic(backend.fill, setup=setup, rounds=rounds)
    except NotImplementedError as exc:
        pytest.skip(f"{backend_name} has no {case.spec}: {exc}")
    if benchmark.disabled:
        # smoke mode: the path ran; make sure it produced what it claims
        assert result.shape == case.shape and str(result.dtype) == case.dtype


def test_floor(benchmark, floor_case):
    """``ndarray.fill`` over the same bytes, already allocated and touched."""
    benchmark.group = f"floor {floor_case.dtype} {floor_case.shape_text}"
    call, setup = bench.floor_setup(floor_case)
    (buffer,) = setup(0)
    import numpy as np

    _extra_info(benchmark, bench.FLOOR, f"numpy {np.__version__}", "ndarray.fill", floor_case)
    benchmark.pedantic(call, args=(buffer,), rounds=bench.FLOOR_ROUNDS, warmup_rounds=1)
    assert (buffer == 1).all()
