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


def test_workers_explain_failures_and_group_cases_by_initializer():
    import broken_backends

    cases = [c for c in plan(broken_backends.FansSwapped(), only="HeNormal,Zero",
                             dtypes=["float32"], checks=["ks", "shape"])
             if c.shape in ((160, 640), (640, 160))]
    interleaved = [cases[0], *[c for c in cases if c.spec.name == "Zero"][:1], cases[1]]
    answers = run_isolated("broken_backends:FansSwapped", interleaved, isolate=True,
                           timeout=60.0)
    assert [r.initializer for r, _ in answers] == ["HeNormal", "HeNormal", "Zero"]
    failed = [(r, d) for r, d in answers if r.outcome == "failed"]
    assert failed and all("looks like fan_in and fan_out swapped" in d for _, d in failed)


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


# -- the command line ------------------------------------------------------------------

import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

TESTS = Path(__file__).resolve().parent
ZERO, NORMAL, UNIFORM = ("Zero|shape|160x640|float32", "Normal|shape|640x160|float32",
                         "Uniform|shape|48x16x4x4x8|float32")


def command(*args):
    return [sys.executable, "-m", "initcheck", "run", "--dtypes", "float32", *args]


def env(**extra):
    return dict(os.environ, PYTHONPATH=str(TESTS), **extra)


def test_cli_isolate_records_a_segfault_and_goes_on(tmp_path):
    out = tmp_path / "run.json"
    run = subprocess.run(command("--backend", "crashing_backends:SegfaultsOnUniform", "--isolate",
                                 "--case", UNIFORM, "--case", ZERO, "--json", str(out)),
                         capture_output=True, text=True, env=env(), cwd=tmp_path, timeout=300)
    assert run.returncode == 1, run.stderr
    assert f"ERROR {UNIFORM}" in run.stdout and "killed by signal SIGSEGV" in run.stdout
    outcomes = {r["id"]: r["outcome"] for r in json.loads(out.read_text())["results"]}
    assert outcomes == {UNIFORM: "error", ZERO: "passed"}


def test_ctrl_c_writes_the_results_so_far_marked_incomplete(tmp_path):
    out, marker = tmp_path / "run.json", tmp_path / "hanging"
    proc = subprocess.Popen(command("--backend", "crashing_backends:HangsOnNormal",
                                    "--case", ZERO, "--case", NORMAL, "--json", str(out)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env(HANG_MARKER=str(marker)), cwd=tmp_path)
    try:
        # wait (generously: CI machines are slow) until the run hangs inside Normal
        for _ in range(1200):
            if marker.exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the run never reached the hanging check"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted after 1 of 2 checks" in stderr
    assert "INCOMPLETE" in stdout
    data = json.loads(out.read_text())
    assert data["incomplete"] is True
    assert [(r["id"], r["outcome"]) for r in data["results"]] == [(ZERO, "passed")]
