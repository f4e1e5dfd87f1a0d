"""The pytest plugin: ``pytest --pyargs initcheck.suite --initcheck-backend NAME``.

Run through ``pytester`` (the plugin is loaded from its ``pytest11`` entry point, as in
a user's session): in-process where possible, in a subprocess for pytest-xdist.
Batteries are restricted with ``--initcheck-only`` and ``-k`` to keep the suite fast.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# imported here, before pytester snapshots sys.modules: numpy cannot be imported twice
from initcheck.backends import load_backend
from initcheck.battery import plan

pytest_plugins = ["pytester"]

TESTS = str(Path(__file__).resolve().parent)
EXAMPLES = str(Path(TESTS).parent / "examples")


@pytest.fixture
def suite(pytester, monkeypatch):
    # the test backends live in tests/ and examples/: backends are named by module
    monkeypatch.syspath_prepend(EXAMPLES)
    monkeypatch.syspath_prepend(TESTS)
    monkeypatch.delenv("INITCHECK_BACKEND", raising=False)

    def run(*args, subprocess=False):
        runner = pytester.runpytest_subprocess if subprocess else pytester.runpytest_inprocess
        if subprocess:
            monkeypatch.setenv("PYTHONPATH", TESTS)
        return runner("--pyargs", "initcheck.suite", "-p", "no:cacheprovider", *args)
    return run


def _plan(ref, only):
    return plan(load_backend(ref), only=only)


def test_one_test_per_check_with_readable_ids(suite):
    result = suite("--initcheck-only", "Identity", "--collect-only", "-q")
    ids = [line.split("::")[-1] for line in result.outlines if "::test_check[" in line]
    assert "test_check[Identity|exact|64x64|float32]" in ids
    assert ids == [f"test_check[{case.id}]" for case in _plan("reference", "Identity")]


def test_a_correct_backend_passes(suite):
    result = suite("--initcheck-backend", "independent_backend:NumpyBackend",
                   "--initcheck-only", "Dirac", "--initcheck-budget", "quick")
    result.assert_outcomes(passed=len(_plan("independent_backend:NumpyBackend", "Dirac")))
    assert result.ret == 0


def test_failures_read_like_the_cli(suite):
    result = suite("--initcheck-backend", "broken_backends:FansSwapped",
                   "--initcheck-only", "HeNormal", "-k", "ks and 160x640 and float32")
    assert result.ret == 1
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "FAILED HeNormal|ks|160x640|float32" in text
    assert "looks like fan_in and fan_out swapped" in text
    assert "repro: initcheck run --backend broken_backends:FansSwapped" in text
    assert "Traceback" not in text


def test_environment_variable_names_the_backend(suite, monkeypatch):
    monkeypatch.setenv("INITCHECK_BACKEND", "toyinit_backend:ToyBackend")
    result = suite("--initcheck-only", "TruncatedNormal", "-k", "shape", "-rs")
    # toyinit has no TruncatedNormal: not provided is a skip, not a failure
    assert result.ret == 0
    assert "toyinit has no TruncatedNormal" in result.stdout.str()
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped", 0) > 0 and "failed" not in outcomes


def test_bad_backend_and_empty_selection_are_usage_errors(suite):
    result = suite("--initcheck-backend", "no_such_module:Backend")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "cannot import module 'no_such_module'" in result.stderr.str() + result.stdout.str()
    result = suite("--initcheck-only", "NoSuchInit*")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "matches no initializer" in result.stderr.str() + result.stdout.str()


def test_spreads_over_xdist_workers(suite):
    result = suite("-n", "2", "--initcheck-only", "Zero", subprocess=True)
    assert result.ret == 0
    result.assert_outcomes(passed=len(_plan("reference", "Zero")))


def test_plugin_import_is_cheap():
    # imported by every pytest session: no numpy, scipy or backend at import time
    code = ("import sys, initcheck.plugin; "
            "print(sorted(m for m in ('numpy', 'scipy', 'torch', 'jax', 'initcheck.battery')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
