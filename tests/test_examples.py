"""examples/: the toyinit adapter of the usage guide, run through the battery."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from initcheck.backends import load_backend
from initcheck.diagnose import diagnose_result
from initcheck.runner import run_battery

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture(autouse=True)
def examples_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))


def test_the_toy_adapter_passes_the_whole_quick_battery():
    backend = load_backend("toyinit_backend:ToyBackend")
    report = run_battery(backend, budget="quick", seed=0)
    assert report.ok, [r.message for r in report.results if not r.ok][:3]
    by_name = {}
    for r in report.results:
        by_name.setdefault(r.initializer, set()).add(r.outcome)
    for provided in ("Zero", "One", "Constant", "Normal", "Uniform", "HeUniform", "HeNormal",
                     "XavierNormal", "fans", "gain"):
        assert by_name[provided] == {"passed"}, provided
    # what toyinit lacks is reported as not provided, with the adapter's reason
    skipped = [r for r in report.results if r.initializer == "Orthogonal"]
    assert skipped and all(r.outcome == "skipped" for r in skipped)
    assert "toyinit has no Orthogonal" in skipped[0].message


def test_the_buggy_copy_fails_he_uniform_only_and_is_explained():
    backend = load_backend("toyinit_backend:ToyBackendWithABug")
    report = run_battery(backend, only="HeUniform,HeNormal", dtypes=["float32"], seed=0)
    failed = [r for r in report.results if r.outcome == "failed"]
    assert failed and {r.initializer for r in failed} == {"HeUniform"}
    ks = next(r for r in failed if r.check == "ks" and r.shape == [160, 640])
    assert "looks like fan_in and fan_out swapped" in diagnose_result(backend, ks)


def test_the_adapter_is_short():
    # the usage guide promises an adapter of about thirty lines
    source = (EXAMPLES / "toyinit_backend.py").read_text()
    adapter = source.split("class ToyBackendWithABug")[0]
    assert len(adapter.strip().splitlines()) <= 40


def test_the_readme_shows_the_adapter_as_it_is_tested():
    guide = (ROOT / "README.md").read_text()
    adapter = (EXAMPLES / "toyinit_backend.py").read_text()
    assert adapter.split("class ToyBackendWithABug")[0].strip() in guide


def test_the_cli_runs_the_example_as_the_guide_says(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(EXAMPLES))
    run = subprocess.run(
        [sys.executable, "-m", "initcheck", "run", "--backend", "toyinit_backend:ToyBackend",
         "--only", "HeUniform,Zero", "--dtypes", "float32", "--quiet"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "toyinit 0.3.1" in run.stdout
