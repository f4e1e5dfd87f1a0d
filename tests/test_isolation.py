"""--timeout and --isolate: hanging and crashing backends are recorded, the run goes on.

The backends in tests/crashing_backends.py hang (ignoring SIGTERM) on Normal and abort
or segfault on Uniform; every other initializer is filled correctly.
"""

from __future__ import annotations

import pytest

from crashing_backends import HangsOnNormal
from initcheck.battery import plan
from initcheck.isolate import run_isolated


def cases_for(backend, only):
    # the cheapest check of one fill per initializer keeps worker round trips few
    cases = plan(backend, only=only, dtypes=["float32"], checks=["shape"])
    firsts = {}
    for case in cases:
        firsts.setdefault(case.spec.name, case)
    return list(firsts.values())


def test_a_hanging_check_is_stopped_and_recorded_as_error():
    cases = cases_for(HangsOnNormal(), "Zero,Normal,One")
    seen = []
    results = run_isolated("crashing_backends:HangsOnNormal", cases, timeout=5.0,
                           on_result=lambda r, d: seen.append(r.id))
    outcomes = {r.initializer: r for r, _ in results}
    assert outcomes["Normal"].outcome == "error"
    assert "did not finish within 5 s (--timeout)" in outcomes["Normal"].message
    assert outcomes["Normal"].repro.endswith(f"--case '{outcomes['Normal'].id}'")
    # the checks after the hang ran in a fresh worker
    assert outcomes["Zero"].outcome == outcomes["One"].outcome == "passed"
    assert seen == [c.id for c in cases]


@pytest.mark.parametrize("backend, signal_name", [
    ("crashing_backends:AbortsOnUniform", "SIGABRT"),
    ("crashing_backends:SegfaultsOnUniform", "SIGSEGV"),
])
def test_a_crashing_backend_costs_one_check_under_isolate(backend, signal_name):
    cases = cases_for(HangsOnNormal(), "Uniform,Zero")
    assert [c.spec.name for c in cases] == ["Uniform", "Zero"]
    (uniform, _), (zero, _) = run_isolated(backend, cases, isolate=True)
    assert uniform.outcome == "error"
    assert f"killed by signal {signal_name}" in uniform.message
    assert "crashing_backends.py" in uniform.message  # faulthandler's innermost frame
    assert zero.outcome == "passed"


def test_loading_time_does_not_count_against_the_timeout():
    cases = cases_for(HangsOnNormal(), "Zero")
    ((result, _),) = run_isolated("crashing_backends:SleepyLoader", cases, timeout=1.0)
    assert result.outcome == "passed", result.message


def test_a_backend_the_worker_cannot_load_is_an_error_per_check():
    cases = cases_for(HangsOnNormal(), "Zero")
    ((result, _),) = run_isolated("crashing_backends:NoSuchBackend", cases, timeout=5.0)
    assert result.outcome == "error"
    assert "could not load backend 'crashing_backends:NoSuchBackend'" in result.message


def test_timeout_must_be_positive():
    with pytest.raises(ValueError, match="timeout must be > 0 seconds, got 0"):
        run_isolated("reference", [], timeout=0)
